package events

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/services/topic"
)

// invoker records the async invocations it is given; it refuses the first
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

// topics publishes through the real topic service.
type topics struct{ s *topic.Service }

func (t topics) Publish(ctx context.Context, name, message string) error {
	_, err := t.s.Publish(ctx, name, topic.PublishInput{Message: message})
	return err
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

var config = Config{
	Buses: []Bus{{ID: "OrdersBus", Name: "orders"}},
	Rules: []Rule{
		{ID: "BigOrders", Enabled: true, Pattern: `{"source": ["shop"], "detail": {"amount": [{"numeric": [">", 100]}]}}`, Targets: []Target{
			{ID: "Fn", Kind: Function, Name: "big-fn"},
			{ID: "Details", Kind: Queue, Name: "Audit", InputPath: "$.detail"},
		}},
		{ID: "AllShop", Enabled: true, Pattern: map[string]any{"source": []any{map[string]any{"prefix": "shop"}}}, Targets: []Target{
			{ID: "Summary", Kind: Queue, Name: "Summary", Transformer: &Transformer{
				PathsMap: map[string]string{"amount": "$.detail.amount", "type": "$['detail-type']", "nope": "$.detail.nope"},
				Template: `{"rule": <aws.events.rule-name>, "what": "<type> of <amount>", "amount": <amount>, "missing": <nope>}`,
			}},
		}},
		{ID: "Refunds", Bus: "orders", Enabled: true, Pattern: `{"detail-type": ["Refund"]}`, Targets: []Target{
			{ID: "Topic", Kind: Topic, Name: "Notices"},
			{ID: "Const", Kind: Function, Name: "refund-fn", Input: `{"fixed": true}`},
		}},
		{ID: "Off", Enabled: false, Pattern: `{"source": ["shop"]}`, Targets: []Target{{ID: "Fn", Kind: Function, Name: "off-fn"}}},
	},
}

// setup runs a bus, the queues Audit, Summary and Notified, the topic
// Notices (to Notified, raw) and the events service with config.
func setup(t *testing.T, dir string, inv invoke.Invoker) (*Service, *queue.Service, func()) {
	t.Helper()
	ctx := context.Background()
	b := bustest.Start(t, dir)
	qs := queue.New(b.JetStream(), queue.Options{})
	if err := qs.Apply(ctx, []queue.Config{{ID: "Audit"}, {ID: "Summary"}, {ID: "Notified"}}); err != nil {
		t.Fatal(err)
	}
	ts := topic.New(b.JetStream(), inv, qs, topic.Options{RetryDelay: 50 * time.Millisecond})
	if err := ts.Apply(ctx, []topic.Config{{ID: "Notices", Subscriptions: []topic.Subscription{{ID: "Q", Protocol: topic.SQS, Endpoint: "Notified", Raw: true}}}}); err != nil {
		t.Fatal(err)
	}
	ts.Start()
	s := New(b.JetStream(), inv, qs, topics{ts}, Options{RetryDelay: 50 * time.Millisecond})
	if err := s.Apply(ctx, config); err != nil {
		t.Fatal(err)
	}
	return s, qs, func() {
		s.Close()
		ts.Close()
		qs.Close()
		b.Close()
	}
}

func receive(t *testing.T, qs *queue.Service, name string, n int) []string {
	t.Helper()
	var bodies []string
	eventually(t, 10*time.Second, name+" gets its messages", func() bool {
		msgs, err := qs.Receive(context.Background(), name, 10, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			bodies = append(bodies, m.Body)
		}
		return len(bodies) >= n
	})
	return bodies
}

func TestPutAndDeliver(t *testing.T) {
	ctx := context.Background()
	inv := &invoker{fail: 1} // the first delivery is retried
	s, qs, stop := setup(t, t.TempDir(), inv)
	defer stop()
	s.Start()

	when := &Timestamp{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	res, err := s.Put(ctx, []Entry{
		{Source: "shop", DetailType: "Order Placed", Detail: `{"amount": 250, "id": 7}`, Resources: []string{"arn:x"}, Time: when},
		{Source: "shop", DetailType: "Order Placed", Detail: `{"amount": 5}`},
		{Source: "shop", DetailType: "Refund", Detail: `{"amount": 9}`, EventBusName: "arn:aws:events:us-east-1:123456789012:event-bus/orders"},
		{Source: "shop", DetailType: "x", Detail: `[1]`},
		{Source: "shop", DetailType: "x", Detail: `{}`, EventBusName: "nope"},
		{DetailType: "x", Detail: `{}`},
		{Source: "aws.ec2", DetailType: "x", Detail: `{}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.FailedEntryCount != 4 {
		t.Errorf("FailedEntryCount = %d, want 4: %+v", res.FailedEntryCount, res.Entries)
	}
	for i, want := range []string{"", "", "", CodeMalformedDetail, CodeNoBus, CodeInvalidArgument, CodeAWSSource} {
		e := res.Entries[i]
		if e.ErrorCode != want || (want == "") != (e.EventID != "") || (want != "" && e.ErrorMessage == "") {
			t.Errorf("entry %d: %+v, want code %q", i, e, want)
		}
	}
	if msg := res.Entries[4].ErrorMessage; !strings.Contains(msg, "nope") || !strings.Contains(msg, "default, orders") {
		t.Errorf("unknown bus message %q names neither the bus nor the buses", msg)
	}

	// BigOrders: the function gets the whole event, Audit its detail.
	eventually(t, 10*time.Second, "two invocations", func() bool { return len(inv.requests()) == 2 })
	var big Event
	for _, r := range inv.requests() {
		if r.Type != invoke.Event {
			t.Errorf("invocation of %s is %s, want Event", r.Function, r.Type)
		}
		switch r.Function {
		case "big-fn":
			if err := json.Unmarshal(r.Payload, &big); err != nil {
				t.Fatal(err)
			}
		case "refund-fn":
			if string(r.Payload) != `{"fixed": true}` {
				t.Errorf("refund-fn got %s, want its constant Input", r.Payload)
			}
		default:
			t.Errorf("unexpected invocation of %s", r.Function)
		}
	}
	want := Event{Version: "0", ID: res.Entries[0].EventID, DetailType: "Order Placed", Source: "shop", Account: "123456789012",
		Time: "2026-01-02T03:04:05Z", Region: "us-east-1", Resources: []string{"arn:x"}, Detail: json.RawMessage(`{"amount":250,"id":7}`)}
	if g, _ := json.Marshal(big); string(g) != mustJSON(want) {
		t.Errorf("big-fn got\n%s\nwant\n%s", g, mustJSON(want))
	}
	if got := receive(t, qs, "Audit", 1); !slices.Equal(got, []string{`{"amount":250,"id":7}`}) {
		t.Errorf("Audit got %q, want the big order's detail", got)
	}
	summary := receive(t, qs, "Summary", 2)
	slices.Sort(summary)
	wantSummary := []string{
		`{"rule": "AllShop", "what": "Order Placed of 250", "amount": 250, "missing": null}`,
		`{"rule": "AllShop", "what": "Order Placed of 5", "amount": 5, "missing": null}`,
	}
	if !slices.Equal(summary, wantSummary) {
		t.Errorf("Summary got\n%q\nwant\n%q", summary, wantSummary)
	}
	var refund Event
	notified := receive(t, qs, "Notified", 1)
	if err := json.Unmarshal([]byte(notified[0]), &refund); err != nil || refund.DetailType != "Refund" || refund.ID != res.Entries[2].EventID {
		t.Errorf("Notified got %q, want the refund event", notified)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(inv.requests()); n != 2 {
		t.Errorf("%d invocations, want 2 (the disabled rule and the small order invoke nothing)", n)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestPutSurvivesRestart puts events while nothing delivers, restarts the
// bus on the same store and then delivers them.
func TestPutSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	inv := &invoker{}
	s, _, stop := setup(t, dir, inv)
	res, err := s.Put(ctx, []Entry{{Source: "shop", DetailType: "Order Placed", Detail: `{"amount": 1000}`}})
	if err != nil || res.FailedEntryCount != 0 {
		t.Fatalf("put: %v %+v", err, res)
	}
	stop()

	s, _, stop = setup(t, dir, inv)
	defer stop()
	s.Start()
	eventually(t, 10*time.Second, "the stored event delivered", func() bool { return len(inv.requests()) == 1 })
	var ev Event
	if err := json.Unmarshal(inv.requests()[0].Payload, &ev); err != nil || ev.ID != res.Entries[0].EventID {
		t.Errorf("after the restart big-fn got %s, want event %s", inv.requests()[0].Payload, res.Entries[0].EventID)
	}
}

func TestPutRequestErrors(t *testing.T) {
	inv := &invoker{}
	s, _, stop := setup(t, t.TempDir(), inv)
	defer stop()
	ctx := context.Background()
	many := make([]Entry, MaxEntries+1)
	big := Entry{Source: "s", DetailType: "t", Detail: `{"x": "` + strings.Repeat("y", MaxEntrySize) + `"}`}
	half := Entry{Source: "s", DetailType: "t", Detail: `{"x": "` + strings.Repeat("y", MaxEntrySize/2) + `"}`}
	for _, c := range []struct {
		entries []Entry
		want    string
	}{
		{nil, "at least one entry"},
		{many, "more than the 10"},
		{[]Entry{big}, "the entry is 262155 bytes, more than the 262144 bytes PutEvents takes; make its Detail smaller"},
		{[]Entry{half, half}, "bytes in all"},
	} {
		if _, err := s.Put(ctx, c.entries); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Put(%d entries) = %v, want ErrInvalid with %q", len(c.entries), err, c.want)
		}
	}
	s.Close()
	if _, err := s.Put(ctx, []Entry{{Source: "s", DetailType: "t", Detail: "{}"}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close = %v, want ErrClosed", err)
	}
}

func TestApplyErrors(t *testing.T) {
	inv := &invoker{}
	s, _, stop := setup(t, t.TempDir(), inv)
	defer stop()
	fn := []Target{{ID: "Fn", Kind: Function, Name: "f"}}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Rules: []Rule{{ID: "R", Pattern: `{"detail": {"amount": [{"numeric": [">", 0, "<="]}]}}`, Targets: fn}}},
			`rule R: EventPattern: invalid event pattern: detail.amount[0]: numeric needs pairs like [">", 0, "<=", 5]`},
		{Config{Rules: []Rule{{ID: "R", Pattern: `{"a": ["x"]}`, Bus: "ghost", Targets: fn}}}, "rule R: event bus does not exist: ghost"},
		{Config{Buses: []Bus{{ID: "A", Name: "x"}, {ID: "B", Name: "x"}}}, `the name "x" is also the name of A`},
		{Config{Rules: []Rule{{ID: "R", Pattern: `{"a": ["x"]}`, Targets: append(fn, fn...)}}}, `two targets have the Id "Fn"`},
		{Config{Rules: []Rule{{ID: "R", Pattern: `{"a": ["x"]}`, Targets: []Target{{ID: "T", Kind: "stream", Name: "s"}}}}}, `target T is a "stream"`},
		{Config{Rules: []Rule{{ID: "R", Pattern: `{"a": ["x"]}`, Targets: []Target{{ID: "T", Kind: Function, Name: "f", InputPath: "$.a[*]"}}}}}, "target T: invalid parameter: InputPath"},
		{Config{Rules: []Rule{{ID: "R", Pattern: `{"a": ["x"]}`, Targets: []Target{{ID: "T", Kind: Function, Name: "f", Input: "{"}}}}}, "Input \"{\" is not JSON"},
		{Config{Rules: []Rule{{ID: "R", Pattern: `{"a": ["x"]}`, Targets: []Target{{ID: "T", Kind: Function, Name: "f", Input: "1", InputPath: "$"}}}}}, "at most one of"},
	} {
		if err := s.Apply(context.Background(), c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Apply: %v, want an error with %q", err, c.want)
		}
	}
	// A failed Apply changes nothing.
	if got := len(s.Rules()); got != len(config.Rules) {
		t.Errorf("%d rules after failed applies, want %d", got, len(config.Rules))
	}
	if got := s.Buses(); len(got) != 2 || got[0].Name != "default" || got[1].Name != "orders" {
		t.Errorf("Buses() = %+v, want default and orders", got)
	}
	if arn := s.RuleARN(Rule{Name: "Refunds", Bus: "orders"}); arn != "arn:aws:events:us-east-1:123456789012:rule/orders/Refunds" {
		t.Errorf("RuleARN = %s", arn)
	}
}

// BenchmarkPut puts one event per operation: checked, enveloped and stored
// in JetStream on disk before Put returns. Nothing delivers meanwhile.
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	bs, err := bus.Start(ctx, bus.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer bs.Close()
	s := New(bs.JetStream(), &invoker{}, nil, nil, Options{})
	defer s.Close()
	if err := s.Apply(ctx, Config{}); err != nil {
		b.Fatal(err)
	}
	entry := []Entry{{Source: "shop", DetailType: "Order Placed", Detail: `{"amount": 250, "id": 7, "items": [{"sku": "a"}]}`}}
	for b.Loop() {
		res, err := s.Put(ctx, entry)
		if err != nil || res.FailedEntryCount != 0 {
			b.Fatal(err, res)
		}
	}
}
