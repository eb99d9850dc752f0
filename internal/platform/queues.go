package platform

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/stack"
)

var _ server.Queues = (*Platform)(nil)

// queueConfigs are the stack's queues as the queue service runs them.
func queueConfigs(st *stack.Stack) []queue.Config {
	var out []queue.Config
	for _, q := range st.Queues {
		c := queue.Config{
			ID: q.ID, Name: q.Name, Fifo: q.Fifo, ContentBasedDedup: q.ContentBasedDedup,
			VisibilityTimeout: time.Duration(q.VisibilityTimeout) * time.Second,
			Retention:         time.Duration(q.MessageRetentionPeriod) * time.Second,
			Delay:             time.Duration(q.DelaySeconds) * time.Second,
			ReceiveWait:       time.Duration(q.ReceiveWaitTime) * time.Second,
			MaxReceiveCount:   q.MaxReceiveCount,
		}
		if q.MaxReceiveCount > 0 {
			c.DeadLetter = q.DeadLetter.String()
		}
		out = append(out, c)
	}
	return out
}

// queueMappings are the enabled SQS events of functions and the
// AWS::Lambda::EventSourceMappings whose source is a queue of the stack.
func queueMappings(st *stack.Stack) []queue.Mapping {
	isQueue := func(t stack.Target) (string, bool) {
		for _, q := range st.Queues {
			if t.Ref == q.ID {
				return q.ID, true
			}
			name := q.Name
			if name == "" {
				// The name the queue service gives it.
				name = q.ID
				if q.Fifo {
					name += ".fifo"
				}
			}
			if t.Literal != "" && (t.Literal == name || strings.HasSuffix(t.Literal, ":"+name) || strings.HasSuffix(t.Literal, "/"+name)) {
				return q.ID, true
			}
		}
		return "", false
	}
	reports := func(types []string) bool { return slices.Contains(types, "ReportBatchItemFailures") }
	// A mapping runs ScalingConfig.MaximumConcurrency batches at once when
	// it is set (Lambda invokes the function up to that many at once from
	// the queue), else queue.DefaultConcurrency. A function with reserved
	// concurrency gets no more batches at once than it may run, which
	// would be throttled and wait out the visibility timeout.
	batches := func(fn string, maxConcurrency int) int {
		n := cmp.Or(maxConcurrency, queue.DefaultConcurrency)
		for _, f := range st.Functions {
			if f.Name == fn && f.ReservedConcurrency != nil && *f.ReservedConcurrency > 0 {
				n = min(n, *f.ReservedConcurrency)
			}
		}
		return n
	}
	var out []queue.Mapping
	for _, f := range st.Functions {
		for _, e := range f.Events {
			if e.Type != stack.EventSQS || !e.Runs || !e.Enabled {
				continue
			}
			if id, ok := isQueue(e.Source); ok {
				out = append(out, queue.Mapping{ID: f.ID + "." + e.ID, Queue: id, Function: f.Name, BatchSize: e.BatchSize,
					Window: time.Duration(e.MaxBatchingWindow) * time.Second, ReportBatchItemFailures: reports(e.FunctionResponseTypes),
					Concurrency: batches(f.Name, e.MaximumConcurrency)})
			}
		}
	}
	for _, m := range st.Mappings {
		id, ok := isQueue(m.Source)
		if !ok || !m.Enabled {
			continue
		}
		fn := m.Function.String()
		if i := strings.LastIndex(fn, ":function:"); i >= 0 {
			fn = fn[i+len(":function:"):]
		}
		if m.Function.Ref != "" {
			for _, f := range st.Functions {
				if f.ID == m.Function.Ref {
					fn = f.Name
				}
			}
		}
		out = append(out, queue.Mapping{ID: m.ID, Queue: id, Function: fn, BatchSize: m.BatchSize,
			Window: time.Duration(m.MaxBatchingWindow) * time.Second, ReportBatchItemFailures: reports(m.FunctionResponseTypes),
			Concurrency: batches(fn, m.MaximumConcurrency)})
	}
	return out
}

// applyQueues creates or updates the streams of the stack's queues.
func (p *Platform) applyQueues(ctx context.Context, st *stack.Stack) error {
	return p.queues.Apply(ctx, queueConfigs(st))
}

// startPollers runs the stack's queue event source mappings, replacing
// those of the stack deployed before.
func (p *Platform) startPollers(st *stack.Stack) {
	if err := p.queues.StartPollers(p.rt, queueMappings(st)); err != nil {
		p.log.Error("starting the queue pollers", "err", err)
	}
}

// Queues is the platform's queue service.
func (p *Platform) Queues() *queue.Service { return p.queues }

// ControlQueue serves the control API's queue endpoints (server.Queues).
func (p *Platform) ControlQueue(ctx context.Context, method, name, action string, query url.Values, body []byte) (any, int, error) {
	v, err := p.controlQueue(ctx, method, name, action, query, body)
	return answer(v, err, queue.ErrNoQueue, queue.ErrInvalid)
}

func (p *Platform) controlQueue(ctx context.Context, method, name, action string, query url.Values, body []byte) (any, error) {
	qs := p.queues
	switch {
	case method == http.MethodGet && name == "":
		out := []queue.Stats{}
		for _, c := range qs.Queues() {
			st, err := qs.Stats(ctx, c.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, st)
		}
		return out, nil
	case method == http.MethodGet && action == "":
		return qs.Stats(ctx, name)
	case method != http.MethodPost || name == "":
	case action == "messages":
		var in queue.SendInput
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, fmt.Errorf("%w: the body must be {\"body\": \"...\"}: %v", queue.ErrInvalid, err)
		}
		return qs.Send(ctx, name, in)
	case action == "receive":
		maxN, wait := 1, time.Duration(0)
		if s := query.Get("max"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("%w: max must be a number of messages, 1 to 10", queue.ErrInvalid)
			}
			maxN = n
		}
		if s := query.Get("wait"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d < 0 || d > 20*time.Second {
				return nil, fmt.Errorf("%w: wait must be a duration up to 20s", queue.ErrInvalid)
			}
			wait = d
		}
		msgs, err := qs.Receive(ctx, name, maxN, wait)
		if err != nil {
			return nil, err
		}
		if query.Get("delete") != "" {
			for _, m := range msgs {
				if err := qs.Delete(ctx, name, m.ReceiptHandle); err != nil {
					return nil, err
				}
			}
		}
		if msgs == nil {
			msgs = []queue.Message{}
		}
		return msgs, nil
	case action == "delete":
		var in struct {
			ReceiptHandle string `json:"receiptHandle"`
		}
		if json.Unmarshal(body, &in) != nil || in.ReceiptHandle == "" {
			return nil, fmt.Errorf("%w: the body must be {\"receiptHandle\": \"...\"}", queue.ErrInvalid)
		}
		return map[string]bool{"deleted": true}, qs.Delete(ctx, name, in.ReceiptHandle)
	case action == "purge":
		return map[string]bool{"purged": true}, qs.Purge(ctx, name)
	}
	return nil, fmt.Errorf("%w: %s /v1/queues/%s/%s is not a queue operation", queue.ErrInvalid, method, name, action)
}
