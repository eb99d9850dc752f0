package platform

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/queue"
)

// TestQueueMessageSurvivesRestart sends a message no function reads,
// restarts the platform on the same state, and deploys a function with an
// SQS event: the message reaches it.
func TestQueueMessageSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	ctx := context.Background()
	state := t.TempDir()
	only, _ := filepath.Abs("testdata/queue/queue-only.yaml")
	worker, _ := filepath.Abs("testdata/queue/with-worker.yaml")

	p, err := New(Options{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Deploy(ctx, only); err != nil {
		p.Close()
		t.Fatalf("deploy: %v", err)
	}
	if _, err := p.Queues().Send(ctx, "Jobs", queue.SendInput{Body: "kept across the restart"}); err != nil {
		p.Close()
		t.Fatal(err)
	}
	p.Close()

	p, err = New(Options{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, _, err := p.Resume(ctx); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if st, err := p.Queues().Stats(ctx, "Jobs"); err != nil || st.Visible != 1 {
		t.Fatalf("after the restart: %+v, %v; want the message visible", st, err)
	}
	if _, err := p.Deploy(ctx, worker); err != nil {
		t.Fatalf("deploy with the worker: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var text []string
		for _, l := range p.Logs().Query("Worker", time.Time{}, "") {
			text = append(text, l.Text)
		}
		if strings.Contains(strings.Join(text, "\n"), "sqs message: kept across the restart") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message did not reach the function; its log:\n%s", strings.Join(text, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		st, _ := p.Queues().Stats(ctx, "Jobs")
		if st.Visible == 0 && st.InFlight == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the processed message was not deleted: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
