package runtime

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
	"github.com/stacklab/stacklab/internal/telemetry/teltest"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// TestTraceOutcomes runs invocations that end every way a function can
// (ok, handled error, crash, timeout, throttle) under a test's root span
// and checks each one's span status and record outcome.
func TestTraceOutcomes(t *testing.T) {
	tel := teltest.New(t)
	spec := echoSpec(t)
	spec.Timeout = 500 * time.Millisecond
	closed := echoSpec(t)
	closed.ID, closed.Name, closed.Reserved = "Closed", "closed-fn", 0
	rt := newTestRuntime(t, Options{}, spec, closed)
	rt.SetTelemetry(tel)
	rt.SetDeployment("7")

	for _, tt := range []struct {
		name, fn, payload string
		trigger           string
		want              model.Outcome
	}{
		{"ok", "echo-fn", `{}`, telemetry.TriggerPubSub, model.OutcomeOK},
		{"handled", "echo-fn", `{"fail":"no"}`, "", model.OutcomeHandledError},
		{"crash", "echo-fn", `{"exit":3}`, telemetry.TriggerTimer, model.OutcomeUnhandled},
		{"timeout", "echo-fn", `{"sleep_ms":3000}`, telemetry.TriggerDatasource, model.OutcomeTimeout},
		{"throttled", "closed-fn", `{}`, telemetry.TriggerHTTP, model.OutcomeThrottled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, root := teltest.Root(tel, "test "+tt.name)
			res, err := rt.Invoke(context.Background(), invoke.Request{Function: tt.fn, Payload: []byte(tt.payload), Type: invoke.RequestResponse,
				TraceID: tracectx.XRay(ctx), Trigger: tt.trigger})
			root.End()
			if tt.want == model.OutcomeThrottled {
				if !errors.Is(err, invoke.ErrTooManyRequests) {
					t.Fatalf("invoking a function with no concurrency: %v, want TooManyRequests", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			spans := teltest.Trace(t, tel, root.TraceID())
			inv := teltest.One(t, spans, tt.fn)
			if inv.ParentID != teltest.ID(root.SpanContext()) {
				t.Errorf("invocation span's parent %s, want the root %s", inv.ParentID, teltest.ID(root.SpanContext()))
			}
			trigger := tt.trigger
			if trigger == "" {
				trigger = telemetry.TriggerOther
			}
			if inv.Attributes["faas.trigger"] != trigger {
				t.Errorf("faas.trigger %v, want %s", inv.Attributes["faas.trigger"], trigger)
			}
			if tt.want == model.OutcomeOK {
				if inv.Status != model.StatusOK {
					t.Errorf("status %s (%s), want ok", inv.Status, inv.StatusMessage)
				}
			} else if inv.Status != model.StatusError || inv.Attributes["error.type"] != string(tt.want) {
				t.Errorf("status %s, error.type %v; want error, %s", inv.Status, inv.Attributes["error.type"], tt.want)
			}
			if tt.want == model.OutcomeThrottled {
				// Refused at once (ReservedConcurrentExecutions 0): it ran
				// nothing (a queue wait span only if the machine was slow
				// to refuse it, over minQueueWait).
				if len(teltest.Named(spans, "run")) != 0 || len(teltest.Named(spans, "queue wait")) > 1 {
					t.Errorf("a throttled invocation has spans %v; want no run and at most a queue wait", spans)
				}
			} else if run := teltest.One(t, spans, "run"); (run.Status == model.StatusError) != (tt.want != model.OutcomeOK) {
				t.Errorf("run span status %s for outcome %s", run.Status, tt.want)
			}
			recs, err := tel.Store().Invocations(context.Background(), store.InvocationFilter{TraceID: root.TraceID()})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Fatalf("%d records in the trace, want 1", len(recs))
			}
			r := recs[0]
			if r.Outcome != tt.want || r.Function != tt.fn || r.Deployment != "7" || r.Trigger != trigger || r.RequestID != inv.Attributes["faas.invocation_id"] {
				t.Errorf("record %+v: want outcome %s of %s in deployment 7, request id of the span", r, tt.want, tt.fn)
			}
			if tt.want == model.OutcomeThrottled {
				if r.Cost != 0 || r.Duration != 0 {
					t.Errorf("a throttled invocation costs %v and ran %v, want nothing", r.Cost, r.Duration)
				}
			} else if r.Cost <= 0 || r.BilledDuration <= 0 || r.RequestID != res.RequestID || res.TraceID != root.TraceID() {
				t.Errorf("record %+v, result's trace %s: want a cost, the result's request id %s and trace %s", r, res.TraceID, res.RequestID, root.TraceID())
			}
		})
	}
}

// TestTraceInMemoryAsync: without a durable queue, an async invocation is
// traced in the caller's trace as attempt 1; one without a caller's context
// gets a trace of its own at acceptance, which its result names.
func TestTraceInMemoryAsync(t *testing.T) {
	tel := teltest.New(t)
	rt := newTestRuntime(t, Options{}, echoSpec(t))
	rt.SetTelemetry(tel)
	ctx, root := teltest.Root(tel, "async caller")
	res, err := rt.Invoke(ctx, invoke.Request{Function: "echo-fn", Type: invoke.Event, Payload: []byte(`{}`)})
	root.End()
	if err != nil {
		t.Fatal(err)
	}
	if res.TraceID != root.TraceID() {
		t.Errorf("accepted in trace %q, want the caller's %s", res.TraceID, root.TraceID())
	}
	rec := waitRecord(t, tel, res.RequestID)
	if rec.TraceID != root.TraceID() || rec.Retries != 0 {
		t.Errorf("record %+v: want trace %s, first attempt", rec, root.TraceID())
	}
	inv := teltest.One(t, teltest.Trace(t, tel, root.TraceID()), "echo-fn")
	if inv.Attributes[string(AttemptKey)] != float64(1) || inv.ParentID != teltest.ID(root.SpanContext()) {
		t.Errorf("async invocation span %+v: want attempt 1, child of the caller", inv)
	}

	res, err = rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Type: invoke.Event, Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.TraceID) != 32 || res.TraceID == root.TraceID() {
		t.Fatalf("an async invocation without a context was accepted in trace %q, want a new one", res.TraceID)
	}
	if rec := waitRecord(t, tel, res.RequestID); rec.TraceID != res.TraceID {
		t.Errorf("record in trace %s, want the accepted one %s", rec.TraceID, res.TraceID)
	}
	teltest.One(t, teltest.Trace(t, tel, res.TraceID), "echo-fn")
}

// waitRecord waits for the invocation record of a request.
func waitRecord(t *testing.T, tel *telemetry.Telemetry, requestID string) model.Invocation {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if err := tel.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		recs, err := tel.Store().Invocations(context.Background(), store.InvocationFilter{RequestID: requestID})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 0 {
			return recs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no record of invocation %s", requestID)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
