package platform

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/topic"
)

// TestTopicAfterRestart publishes, restarts the platform on the same state
// and resumes: the topic is served again and the queue subscribed holds
// the envelope.
func TestTopicAfterRestart(t *testing.T) {
	ctx := context.Background()
	state := t.TempDir()
	only, _ := filepath.Abs("testdata/topic/topic-only.yaml")
	p, err := New(Options{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Deploy(ctx, only); err != nil {
		p.Close()
		t.Fatalf("deploy: %v", err)
	}
	if _, err := p.Topics().Publish(ctx, "Orders", topic.PublishInput{Message: "before the restart"}); err != nil {
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
	if _, err := p.Topics().Publish(ctx, "Orders", topic.PublishInput{Message: "after the restart"}); err != nil {
		t.Fatalf("publish after the restart: %v", err)
	}
	got := map[string]bool{}
	deadline := time.Now().Add(15 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		msgs, err := p.Queues().Receive(ctx, "Audit", 10, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			var env topic.Envelope
			if err := json.Unmarshal([]byte(m.Body), &env); err != nil {
				t.Fatalf("Audit got %q: %v", m.Body, err)
			}
			got[env.Message] = true
		}
	}
	if !got["before the restart"] || !got["after the restart"] {
		t.Errorf("Audit got %v, want both publishes", got)
	}
}
