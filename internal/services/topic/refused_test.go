package topic

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/syncbuf"
)

// countingSender counts the sends to each queue and passes them on.
type countingSender struct {
	*queue.Service
	mu    sync.Mutex
	sends map[string]int
}

func (c *countingSender) Send(ctx context.Context, q string, in queue.SendInput) (queue.SendOutput, error) {
	c.mu.Lock()
	c.sends[q]++
	c.mu.Unlock()
	return c.Service.Send(ctx, q, in)
}

func (c *countingSender) count(q string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sends[q]
}

// TestRefusedByQueue: a publish with more than 10 message attributes is
// refused by a queue subscribed with RawMessageDelivery (SQS takes at most
// 10). As SNS does with a client-side error, the message is dropped for
// that subscription at once, with one error log naming the subscription
// and the fix, while the other subscriptions get it, the one whose
// function fails at first included; the publish is then acknowledged.
func TestRefusedByQueue(t *testing.T) {
	ctx := context.Background()
	b := bustest.Start(t, t.TempDir())
	defer b.Close()
	qs := queue.New(b.JetStream(), queue.Options{})
	defer qs.Close()
	if err := qs.Apply(ctx, []queue.Config{{ID: "Audit"}, {ID: "Raw"}}); err != nil {
		t.Fatal(err)
	}
	sender := &countingSender{Service: qs, sends: map[string]int{}}
	var log syncbuf.Buffer
	inv := &invoker{fail: 1} // the publish is delivered again for all-fn
	s := New(b.JetStream(), inv, sender, Options{RetryDelay: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	defer s.Close()
	if err := s.Apply(ctx, topics); err != nil {
		t.Fatal(err)
	}
	s.Start()

	attrs := map[string]Attribute{"kind": {DataType: "String", StringValue: "order"}}
	for i := range 10 {
		attrs[fmt.Sprintf("a%d", i)] = Attribute{DataType: "String", StringValue: "v"}
	}
	out, err := s.Publish(ctx, "Orders", PublishInput{Message: "many attributes", MessageAttributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "all-fn invoked after its failure", func() bool { return len(inv.requests()) == 1 })
	s.mu.RLock()
	cons := s.cons
	s.mu.RUnlock()
	eventually(t, 10*time.Second, "the publish acknowledged", func() bool {
		info, err := cons.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0
	})
	if n := sender.count("arn:aws:sqs:us-east-1:123456789012:Raw"); n != 1 {
		t.Errorf("the refused message was sent to Raw %d times, want once (no retries)", n)
	}
	if msgs, err := qs.Receive(ctx, "Audit", 10, time.Second); err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].Body, `"a9":{"Type":"String","Value":"v"}`) {
		t.Errorf("Audit got %+v, %v; want the envelope with all 11 attributes", msgs, err)
	}
	text := log.String()
	if n := strings.Count(text, "dropping a publish for a subscription"); n != 1 {
		t.Errorf("the refusal is logged %d times, want once:\n%s", n, text)
	}
	for _, want := range []string{"level=ERROR", "subscription=Raw", "message_id=" + out.MessageID, "11 message attributes and SQS takes at most 10",
		"publish at most 10 to topic Orders, or turn RawMessageDelivery off for subscription Raw"} {
		if !strings.Contains(text, want) {
			t.Errorf("the log does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "after its retries") {
		t.Errorf("the publish was dropped after its retries:\n%s", text)
	}

	// The subscription still takes messages it can.
	if _, err := s.Publish(ctx, "Orders", PublishInput{Message: "few", MessageAttributes: map[string]Attribute{"kind": {DataType: "String", StringValue: "order"}}}); err != nil {
		t.Fatal(err)
	}
	if msgs, err := qs.Receive(ctx, "Raw", 10, 5*time.Second); err != nil || len(msgs) != 1 || msgs[0].Body != "few" {
		t.Errorf("Raw got %+v, %v; want the next message", msgs, err)
	}
}
