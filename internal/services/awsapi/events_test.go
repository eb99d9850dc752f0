package awsapi

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/services/events"
	"github.com/stacklab/stacklab/internal/services/queue"
)

// busPutter puts on the events service as the platform's PutEvents does.
type busPutter struct{ s *events.Service }

func (b busPutter) PutEvents(ctx context.Context, entries []events.Entry) (events.PutResult, error) {
	return b.s.Put(ctx, entries)
}

// TestPutEventsWithTheAWSSDK puts events with the SDK's EventBridge client:
// the one a rule matches reaches its queue in the EventBridge shape, a bad
// entry fails alone, and an empty request is a ValidationException.
func TestPutEventsWithTheAWSSDK(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Start(ctx, bus.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	qs := queue.New(b.JetStream(), queue.Options{})
	ev := events.New(b.JetStream(), nil, qs, nil, events.Options{RetryDelay: 50 * time.Millisecond})
	srv := httptest.NewServer(&Handler{Queues: qs, Events: busPutter{ev}})
	t.Cleanup(func() { srv.Close(); ev.Close(); qs.Close(); b.Close() })
	if err := qs.Apply(ctx, []queue.Config{{ID: "Orders", Name: "orders"}}); err != nil {
		t.Fatal(err)
	}
	if err := ev.Apply(ctx, events.Config{Rules: []events.Rule{{ID: "Big", Enabled: true,
		Pattern: map[string]any{"source": []any{"shop"}, "detail": map[string]any{"total": []any{map[string]any{"numeric": []any{">", 100}}}}},
		Targets: []events.Target{{ID: "q", Kind: events.Queue, Name: "Orders"}}}}}); err != nil {
		t.Fatal(err)
	}
	ev.Start()

	c := eventbridge.NewFromConfig(config(t, srv))
	out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("shop"), DetailType: aws.String("Order Placed"), Detail: aws.String(`{"total":250}`)},
		{Source: aws.String("shop"), DetailType: aws.String("Order Placed"), Detail: aws.String(`{"total":5}`)},
		{Source: aws.String("shop"), DetailType: aws.String("Order Placed"), Detail: aws.String(`not json`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 1 || len(out.Entries) != 3 || aws.ToString(out.Entries[0].EventId) == "" || aws.ToString(out.Entries[2].ErrorCode) == "" {
		t.Fatalf("PutEvents = %d failed, %+v; want the third entry refused", out.FailedEntryCount, out.Entries)
	}
	msgs, err := qs.Receive(ctx, "orders", 10, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("the queue got %d messages, want the one event over 100", len(msgs))
	}
	var got struct {
		ID         string         `json:"id"`
		DetailType string         `json:"detail-type"`
		Detail     map[string]any `json:"detail"`
	}
	if err := json.Unmarshal([]byte(msgs[0].Body), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != aws.ToString(out.Entries[0].EventId) || got.DetailType != "Order Placed" || got.Detail["total"] != 250.0 {
		t.Errorf("delivered %s; want the first event", msgs[0].Body)
	}

	_, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{}})
	if code(err) != "ValidationException" || !strings.Contains(err.Error(), "at least one entry") {
		t.Errorf("empty PutEvents: %v (code %q), want a ValidationException", err, code(err))
	}
}
