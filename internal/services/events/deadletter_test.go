package events

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/services/queue"
)

// broken refuses every invocation.
type broken struct{}

func (broken) Invoke(context.Context, invoke.Request) (invoke.Result, error) {
	return invoke.Result{}, invoke.Errorf(invoke.ErrNotFound, "Function not found: gone-fn")
}

// TestDeadLetter delivers to a function that always fails: after the
// RetryPolicy's one retry the event goes to the target's dead-letter queue
// with EventBridge's attributes, and the other target still gets it once.
func TestDeadLetter(t *testing.T) {
	ctx := context.Background()
	s, qs, stop := setup(t, t.TempDir(), broken{})
	defer stop()
	if err := qs.Apply(ctx, []queue.Config{{ID: "Audit"}, {ID: "Summary"}, {ID: "Notified"}, {ID: "Dead"}}); err != nil {
		t.Fatal(err)
	}
	one := 1
	if err := s.Apply(ctx, Config{Rules: []Rule{{ID: "R", Enabled: true, Pattern: `{"source": ["shop"]}`, Targets: []Target{
		{ID: "Fn", Kind: Function, Name: "gone-fn", MaxRetries: &one, DeadLetter: "Dead"},
		{ID: "Q", Kind: Queue, Name: "Audit"},
	}}}}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	res, err := s.Put(ctx, []Entry{{Source: "shop", DetailType: "Order Placed", Detail: `{"id": 1}`}})
	if err != nil || res.FailedEntryCount != 0 {
		t.Fatalf("put: %v %+v", err, res)
	}
	dead := deadLetters(t, qs)
	var ev Event
	if err := json.Unmarshal([]byte(dead[0].Body), &ev); err != nil || ev.ID != res.Entries[0].EventID {
		t.Errorf("dead-letter body %s, want the event %s", dead[0].Body, res.Entries[0].EventID)
	}
	for name, want := range map[string]string{
		"RULE_ARN": "arn:aws:events:us-east-1:123456789012:rule/R", "TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:gone-fn",
		"ERROR_CODE": "ResourceNotFoundException", "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts", "RETRY_ATTEMPTS": "1",
	} {
		if got := dead[0].MessageAttributes[name].StringValue; got != want {
			t.Errorf("attribute %s = %q, want %q", name, got, want)
		}
	}
	if !strings.Contains(dead[0].MessageAttributes["ERROR_MESSAGE"].StringValue, "gone-fn") {
		t.Errorf("ERROR_MESSAGE %+v does not say what failed", dead[0].MessageAttributes["ERROR_MESSAGE"])
	}
	if got := receive(t, qs, "Audit", 1); len(got) != 1 {
		t.Errorf("Audit got %q, want the event once", got)
	}
	time.Sleep(300 * time.Millisecond)
	if more, _ := qs.Receive(ctx, "Dead", 10, 100*time.Millisecond); len(more) != 0 {
		t.Errorf("the dead-letter queue got the event %d more times", len(more))
	}

	bad := -1
	for _, c := range []struct {
		t    Target
		want string
	}{
		{Target{ID: "T", Kind: Function, Name: "f", MaxRetries: &bad}, "MaximumRetryAttempts is -1"},
		{Target{ID: "T", Kind: Function, Name: "f", MaxAge: time.Second}, "MaximumEventAgeInSeconds is 1"},
	} {
		if err := s.Check(Config{Rules: []Rule{{ID: "R", Pattern: `{"a": ["b"]}`, Targets: []Target{c.t}}}}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check: %v, want an error with %q", err, c.want)
		}
	}
}

// mute fails every invocation with an error that has no message.
type mute struct{}

func (mute) Invoke(context.Context, invoke.Request) (invoke.Result, error) {
	return invoke.Result{}, invoke.Errorf(invoke.ErrNotFound, "")
}

// An error without a message still sends the event to the dead-letter
// queue: SQS refuses an attribute with an empty value, so ERROR_MESSAGE
// is left out rather than the event lost.
func TestDeadLetterWithoutErrorMessage(t *testing.T) {
	ctx := context.Background()
	s, qs, stop := setup(t, t.TempDir(), mute{})
	defer stop()
	if err := qs.Apply(ctx, []queue.Config{{ID: "Dead"}}); err != nil {
		t.Fatal(err)
	}
	zero := 0
	if err := s.Apply(ctx, Config{Rules: []Rule{{ID: "R", Enabled: true, Pattern: `{"source": ["shop"]}`, Targets: []Target{
		{ID: "Fn", Kind: Function, Name: "gone-fn", MaxRetries: &zero, DeadLetter: "Dead"},
	}}}}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	if res, err := s.Put(ctx, []Entry{{Source: "shop", DetailType: "Order Placed", Detail: `{"id": 1}`}}); err != nil || res.FailedEntryCount != 0 {
		t.Fatalf("put: %v %+v", err, res)
	}
	dead := deadLetters(t, qs)
	if _, ok := dead[0].MessageAttributes["ERROR_MESSAGE"]; ok || dead[0].MessageAttributes["ERROR_CODE"].StringValue != "ResourceNotFoundException" {
		t.Errorf("attributes %+v, want ERROR_CODE and no ERROR_MESSAGE", dead[0].MessageAttributes)
	}
}

// A queue target that refuses the event (here a FIFO queue, which takes no
// message without a MessageGroupId, and the target gives none) would refuse
// every retry: the event goes to the dead-letter queue at once, as
// EventBridge does with errors a retry cannot mend, and is not delivered
// again. The other target still gets it once.
func TestRefusedByQueueGoesToDeadLetterAtOnce(t *testing.T) {
	ctx := context.Background()
	s, qs, stop := setup(t, t.TempDir(), broken{})
	defer stop()
	if err := qs.Apply(ctx, []queue.Config{{ID: "Audit"}, {ID: "Ordered", Fifo: true}, {ID: "Dead"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, Config{Rules: []Rule{{ID: "R", Enabled: true, Pattern: `{"source": ["shop"]}`, Targets: []Target{
		{ID: "Fifo", Kind: Queue, Name: "Ordered", DeadLetter: "Dead"}, // no RetryPolicy: 12 deliveries
		{ID: "Q", Kind: Queue, Name: "Audit"},
	}}}}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	res, err := s.Put(ctx, []Entry{{Source: "shop", DetailType: "Order Placed", Detail: `{"id": 1}`}})
	if err != nil || res.FailedEntryCount != 0 {
		t.Fatalf("put: %v %+v", err, res)
	}
	dead := deadLetters(t, qs)
	a := dead[0].MessageAttributes
	if a["RETRY_ATTEMPTS"].StringValue != "0" || a["TARGET_ARN"].StringValue != "arn:aws:sqs:us-east-1:123456789012:Ordered" ||
		!strings.Contains(a["ERROR_MESSAGE"].StringValue, "MessageGroupId") {
		t.Errorf("dead-letter attributes %+v, want no retries, the FIFO queue's ARN and why it refused", a)
	}
	if _, ok := a["EXHAUSTED_RETRY_CONDITION"]; ok {
		t.Errorf("EXHAUSTED_RETRY_CONDITION %+v: no retry limit was reached", a["EXHAUSTED_RETRY_CONDITION"])
	}
	if got := receive(t, qs, "Audit", 1); len(got) != 1 {
		t.Errorf("Audit got %q, want the event once", got)
	}
	time.Sleep(500 * time.Millisecond) // retries would come every 50 ms and more
	if more, _ := qs.Receive(ctx, "Dead", 10, 100*time.Millisecond); len(more) != 0 {
		t.Errorf("the dead-letter queue got the event %d more times", len(more))
	}
	if more, _ := qs.Receive(ctx, "Audit", 10, 100*time.Millisecond); len(more) != 0 {
		t.Errorf("Audit got the event %d more times", len(more))
	}
}

// deadLetters waits for the messages of the queue Dead, the targets'
// dead-letter queue in these tests.
func deadLetters(t *testing.T, qs *queue.Service) []queue.Message {
	t.Helper()
	var dead []queue.Message
	eventually(t, 10*time.Second, "the event in the dead-letter queue", func() bool {
		msgs, err := qs.Receive(context.Background(), "Dead", 10, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		dead = append(dead, msgs...)
		return len(dead) > 0
	})
	return dead
}
