package topic

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/services/queue"
)

// invoker records the async invocations it is given; it fails the first
// fail of them.
type invoker struct {
	mu   sync.Mutex
	reqs []invoke.Request
	fail int
}

func (i *invoker) Invoke(ctx context.Context, req invoke.Request) (invoke.Result, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.fail > 0 {
		i.fail--
		return invoke.Result{}, invoke.Errorf(invoke.ErrTooManyRequests, "try later")
	}
	i.reqs = append(i.reqs, req)
	return invoke.Result{RequestID: "r"}, nil
}

func (i *invoker) requests() []invoke.Request {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]invoke.Request(nil), i.reqs...)
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var topics = []Config{{ID: "Orders", Subscriptions: []Subscription{
	{ID: "All", Protocol: Lambda, Endpoint: "all-fn"},
	{ID: "Big", Protocol: Lambda, Endpoint: "big-fn", FilterPolicy: `{"total": [{"numeric": [">", 100]}]}`},
	{ID: "Envelope", Protocol: SQS, Endpoint: "Audit"},
	{ID: "Raw", Protocol: SQS, Endpoint: "arn:aws:sqs:us-east-1:123456789012:Raw", Raw: true, FilterPolicy: map[string]any{"kind": []any{"order"}}},
}}}

// setup runs a bus, the queues Audit and Raw, and the topic service with
// the Orders topic.
func setup(t *testing.T, dir string, inv invoke.Invoker) (*Service, *queue.Service, func()) {
	t.Helper()
	ctx := context.Background()
	b := bustest.Start(t, dir)
	qs := queue.New(b.JetStream(), queue.Options{})
	if err := qs.Apply(ctx, []queue.Config{{ID: "Audit"}, {ID: "Raw"}}); err != nil {
		t.Fatal(err)
	}
	s := New(b.JetStream(), inv, qs, Options{RetryDelay: 50 * time.Millisecond})
	if err := s.Apply(ctx, topics); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		s.Close()
		qs.Close()
		b.Close()
	}
	return s, qs, stop
}

func TestFanOut(t *testing.T) {
	ctx := context.Background()
	inv := &invoker{fail: 1} // the first delivery is retried
	s, qs, stop := setup(t, t.TempDir(), inv)
	defer stop()
	s.Start()

	out, err := s.Publish(ctx, "arn:aws:sns:us-east-1:123456789012:Orders", PublishInput{Message: "order 7", Subject: "new order",
		MessageAttributes: map[string]Attribute{"total": {DataType: "Number", StringValue: "250"}, "kind": {DataType: "String", StringValue: "order"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, "Orders", PublishInput{Message: "small", MessageAttributes: map[string]Attribute{"total": {DataType: "Number", StringValue: "5"}}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "three invocations", func() bool { return len(inv.requests()) == 3 })
	time.Sleep(200 * time.Millisecond)
	byFn := map[string][]Event{}
	for _, r := range inv.requests() {
		if r.Type != invoke.Event {
			t.Errorf("invocation type %s, want Event", r.Type)
		}
		var ev Event
		if err := json.Unmarshal(r.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		byFn[r.Function] = append(byFn[r.Function], ev)
	}
	if len(byFn["all-fn"]) != 2 || len(byFn["big-fn"]) != 1 {
		t.Fatalf("invocations: %v; want 2 of all-fn and the big order for big-fn", byFn)
	}

	// The event shape Lambda documents.
	var raw map[string]any
	for _, r := range inv.requests() {
		if r.Function == "big-fn" {
			json.Unmarshal(r.Payload, &raw)
		}
	}
	rec := raw["Records"].([]any)[0].(map[string]any)
	sns := rec["Sns"].(map[string]any)
	for k, want := range map[string]any{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:Orders:Big"} {
		if rec[k] != want {
			t.Errorf("record %s = %v, want %v", k, rec[k], want)
		}
	}
	for k, want := range map[string]any{"Type": "Notification", "MessageId": out.MessageID, "TopicArn": "arn:aws:sns:us-east-1:123456789012:Orders",
		"Subject": "new order", "Message": "order 7", "SignatureVersion": "1"} {
		if sns[k] != want {
			t.Errorf("Sns.%s = %v, want %v", k, sns[k], want)
		}
	}
	for _, k := range []string{"Timestamp", "Signature", "SigningCertUrl", "UnsubscribeUrl"} {
		if s, _ := sns[k].(string); s == "" {
			t.Errorf("Sns.%s is missing", k)
		}
	}
	if _, err := time.Parse(time.RFC3339, sns["Timestamp"].(string)); err != nil {
		t.Errorf("Timestamp: %v", err)
	}
	attrs, _ := json.Marshal(sns["MessageAttributes"])
	if string(attrs) != `{"kind":{"Type":"String","Value":"order"},"total":{"Type":"Number","Value":"250"}}` {
		t.Errorf("MessageAttributes %s", attrs)
	}
	if small := byFn["all-fn"]; small[0].Records[0].Sns.Subject != nil && small[1].Records[0].Sns.Subject != nil {
		t.Errorf("a publish without a subject has Subject null")
	}

	// The queue without raw delivery gets both envelopes; the raw one only
	// the order, as is, with its attributes.
	msgs, err := qs.Receive(ctx, "Audit", 10, 2*time.Second)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("Audit: %d messages, %v", len(msgs), err)
	}
	var env map[string]any
	for _, m := range msgs {
		json.Unmarshal([]byte(m.Body), &env)
		if env["Message"] == "order 7" {
			break
		}
	}
	for k, want := range map[string]any{"Type": "Notification", "MessageId": out.MessageID, "Subject": "new order", "Message": "order 7",
		"TopicArn": "arn:aws:sns:us-east-1:123456789012:Orders"} {
		if env[k] != want {
			t.Errorf("envelope %s = %v, want %v", k, env[k], want)
		}
	}
	if env["SigningCertURL"] == nil || env["UnsubscribeURL"] == nil || env["MessageAttributes"] == nil {
		t.Errorf("envelope lacks fields: %v", env)
	}
	msgs, err = qs.Receive(ctx, "Raw", 10, 2*time.Second)
	if err != nil || len(msgs) != 1 || msgs[0].Body != "order 7" || msgs[0].MessageAttributes["kind"].StringValue != "order" {
		t.Fatalf("Raw: %+v, %v; want the raw order with its attributes", msgs, err)
	}
}

func TestPublishInvalid(t *testing.T) {
	s, _, stop := setup(t, t.TempDir(), &invoker{})
	defer stop()
	ctx := context.Background()
	if _, err := s.Publish(ctx, "Nope", PublishInput{Message: "x"}); !errors.Is(err, ErrNoTopic) {
		t.Errorf("unknown topic: %v", err)
	}
	for _, in := range []PublishInput{
		{},
		{Message: "x", MessageAttributes: map[string]Attribute{"n": {DataType: "Number", StringValue: "many"}}},
		{Message: "x", MessageAttributes: map[string]Attribute{"n": {DataType: "Weird", StringValue: "1"}}},
		{Message: string(make([]byte, MaxMessageSize+1))},
	} {
		if _, err := s.Publish(ctx, "Orders", in); !errors.Is(err, ErrInvalid) {
			t.Errorf("%.40v: %v, want ErrInvalid", in, err)
		}
	}
	bad := []Config{{ID: "T", Subscriptions: []Subscription{{ID: "S", Protocol: Lambda, Endpoint: "f", FilterPolicy: `{"a": "x"}`}}}}
	if err := s.Apply(ctx, bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("apply with a bad filter policy: %v", err)
	}
	if len(s.Topics()) != 1 {
		t.Errorf("a failed apply changed the topics: %v", s.Topics())
	}
}

// TestPublishSurvivesRestart accepts a publish while nothing fans out,
// restarts the bus on the same store, and sees it delivered.
func TestPublishSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s, _, stop := setup(t, dir, &invoker{})
	if _, err := s.Publish(context.Background(), "Orders", PublishInput{Message: "kept"}); err != nil {
		t.Fatal(err)
	}
	stop()

	inv := &invoker{}
	s, qs, stop := setup(t, dir, inv)
	defer stop()
	s.Start()
	eventually(t, 10*time.Second, "the publish delivered after the restart", func() bool {
		r := inv.requests()
		return len(r) == 1 && r[0].Function == "all-fn"
	})
	msgs, err := qs.Receive(context.Background(), "Audit", 10, 2*time.Second)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Audit after the restart: %v, %v", msgs, err)
	}
}

// TestClose stops a fan-out that keeps failing: Close returns, and the
// service refuses publishes after it.
func TestClose(t *testing.T) {
	inv := &invoker{fail: 1 << 30}
	s, _, stop := setup(t, t.TempDir(), inv)
	defer stop()
	s.Start()
	s.Start() // once
	if _, err := s.Publish(context.Background(), "Orders", PublishInput{Message: "x"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, err := s.Publish(context.Background(), "Orders", PublishInput{Message: "x"}); !errors.Is(err, ErrClosed) {
		t.Errorf("publish after Close: %v, want ErrClosed", err)
	}
	if err := s.Apply(context.Background(), topics); !errors.Is(err, ErrClosed) {
		t.Errorf("apply after Close: %v, want ErrClosed", err)
	}
}

// TestFifoDedup: a FIFO topic needs a group and drops a publish whose
// deduplication id was seen within five minutes.
func TestFifoDedup(t *testing.T) {
	ctx := context.Background()
	inv := &invoker{}
	s, _, stop := setup(t, t.TempDir(), inv)
	defer stop()
	fifo := []Config{{ID: "Events", Fifo: true, Subscriptions: []Subscription{{ID: "F", Protocol: Lambda, Endpoint: "fn"}}}}
	if err := s.Apply(ctx, fifo); err != nil {
		t.Fatal(err)
	}
	s.Start()
	if _, err := s.Publish(ctx, "Events.fifo", PublishInput{Message: "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no group: %v, want ErrInvalid", err)
	}
	for _, m := range []string{"first", "again"} {
		if _, err := s.Publish(ctx, "Events", PublishInput{Message: m, GroupID: "g", DeduplicationID: "d1"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Publish(ctx, "Events", PublishInput{Message: "other", GroupID: "g", DeduplicationID: "d2"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "two invocations", func() bool { return len(inv.requests()) == 2 })
	time.Sleep(300 * time.Millisecond)
	if n := len(inv.requests()); n != 2 {
		t.Errorf("%d invocations, want 2 (the duplicate dropped)", n)
	}
}
