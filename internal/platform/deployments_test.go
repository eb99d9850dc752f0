package platform

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// A platform killed during a deploy leaves the deployment's record
// "deploying"; the next start on the same state records it as interrupted,
// and the current deployment (what runs) is not changed.
func TestInterruptedDeploymentIsRecordedAsFailed(t *testing.T) {
	ctx := context.Background()
	state := t.TempDir()
	p, err := New(Options{StateDir: state, Tracing: TracingOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := p.kv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []Deployment{
		{Version: 1, Template: "/t/a.yaml", Time: time.Now().UTC(), Outcome: "deployed"},
		{Version: 2, Template: "/t/b.yaml", Time: time.Now().UTC(), Outcome: "deploying"}, // killed here
	} {
		b, _ := json.Marshal(d)
		if _, err := kv.Put(ctx, versionKey(d.Version), b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := kv.Put(ctx, "current", []byte("1")); err != nil {
		t.Fatal(err)
	}
	p.Close()

	p, err = New(Options{StateDir: state, Tracing: TracingOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	list, err := p.Deployments(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("deployments %+v, %v; want 2", list, err)
	}
	if list[0].Outcome != "deployed" || list[1].Outcome != interrupted {
		t.Errorf("outcomes %q, %q; want deployed and %q", list[0].Outcome, list[1].Outcome, interrupted)
	}
	if cur, err := p.Current(ctx); err != nil || cur == nil || cur.Version != 1 {
		t.Errorf("current = %+v, %v; want deployment 1", cur, err)
	}
}
