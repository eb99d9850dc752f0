package platform

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/topic"
)

func logText(p *Platform, fn string) string {
	var text []string
	for _, l := range p.Logs().Query(fn, time.Time{}, "") {
		text = append(text, l.Text)
	}
	return strings.Join(text, "\n")
}

// TestTopicFanOut publishes two messages to a topic with two functions and
// two queues subscribed: the functions' filter policies let one through,
// the queues get both, as envelopes or raw.
func TestTopicFanOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs functions")
	}
	ctx := context.Background()
	file, _ := filepath.Abs("testdata/topic/template.yaml")
	p, err := New(Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Deploy(ctx, file); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	publish := func(msg, kind, total string) {
		t.Helper()
		_, err := p.Topics().Publish(ctx, "Orders", topic.PublishInput{Message: msg, Subject: "s",
			MessageAttributes: map[string]topic.Attribute{"kind": {DataType: "String", StringValue: kind}, "total": {DataType: "Number", StringValue: total}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	publish("order 7", "order", "50")
	publish("refund 8", "refund", "500")

	for _, fn := range []string{"Billing", "Shipping"} {
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(logText(p, fn), "sns message: order 7") {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not get the order; its log:\n%s", fn, logText(p, fn))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, q := range []string{"Audit", "Raw"} {
		var bodies []string
		deadline := time.Now().Add(10 * time.Second)
		for len(bodies) < 2 && time.Now().Before(deadline) {
			msgs, err := p.Queues().Receive(ctx, q, 10, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				if q == "Audit" {
					var env topic.Envelope
					if err := json.Unmarshal([]byte(m.Body), &env); err != nil || env.Type != "Notification" || env.TopicArn == "" {
						t.Errorf("Audit got %s, want an SNS envelope", m.Body)
					}
					bodies = append(bodies, env.Message)
				} else {
					bodies = append(bodies, m.Body)
				}
			}
		}
		slices.Sort(bodies)
		if !slices.Equal(bodies, []string{"order 7", "refund 8"}) {
			t.Errorf("%s got %q, want both messages", q, bodies)
		}
	}
	time.Sleep(500 * time.Millisecond)
	for _, fn := range []string{"Billing", "Shipping"} {
		if log := logText(p, fn); strings.Contains(log, "refund 8") || strings.Count(log, "sns message: order 7") != 1 {
			t.Errorf("%s: want the order once and no refund (filtered out):\n%s", fn, log)
		}
	}
}
