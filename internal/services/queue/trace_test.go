package queue

import (
	"context"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/teltest"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// tracedService is newService with telemetry.
func tracedService(t testing.TB, cfgs ...Config) (*Service, *telemetry.Telemetry) {
	t.Helper()
	tel := teltest.New(t)
	b := bustest.Start(t, t.TempDir())
	s := New(b.JetStream(), Options{Telemetry: tel})
	t.Cleanup(func() {
		s.Close()
		b.Close()
	})
	if err := s.Apply(context.Background(), cfgs); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return s, tel
}

func TestSendCarriesTraceContextToTheReceiver(t *testing.T) {
	s, tel := tracedService(t, Config{ID: "Work", Name: "work-q"})
	ctx, root := teltest.Root(tel, "upload")
	one, err := s.Send(ctx, "Work", SendInput{Body: "one"})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := s.SendBatch(ctx, "Work", []SendInput{{Body: "b1"}, {Body: "b2"}, {Body: ""}})
	if err != nil {
		t.Fatal(err)
	}
	if batch[2].Err == nil {
		t.Fatal("an empty body in a batch was stored")
	}
	root.End()
	traceID := root.TraceID()

	spans := teltest.Trace(t, tel, traceID)
	sends := teltest.Named(spans, "Work send")
	if len(sends) != 2 {
		t.Fatalf("%d send spans, want 2 (the Send and the SendBatch call)", len(sends))
	}
	byID := map[string]model.Span{}
	failed := 0
	for _, sp := range sends {
		byID[sp.SpanID] = sp
		if sp.ParentID != teltest.ID(root.SpanContext()) || sp.Kind != telemetry.Producer || sp.Resource != "Work" {
			t.Errorf("send span %+v: want a Producer of resource Work, child of the root", sp)
		}
		if sp.Attributes["messaging.destination.name"] != "work-q" || sp.Attributes["messaging.system"] != telemetry.SystemSQS {
			t.Errorf("send span attributes %v", sp.Attributes)
		}
		if sp.Status == model.StatusError {
			failed++
		}
	}
	if failed != 0 {
		t.Errorf("%d send spans failed; a batch with one bad entry is a call that succeeded, as on AWS", failed)
	}

	msgs := receive(t, s, "Work", 10, time.Second)
	if len(msgs) != 3 {
		t.Fatalf("received %d messages, want 3", len(msgs))
	}
	want := map[string]bool{one.MessageID: true, batch[0].MessageID: true, batch[1].MessageID: true}
	for _, m := range msgs {
		if !want[m.MessageID] {
			t.Errorf("received unknown message %s", m.MessageID)
		}
		tid, pid := teltest.Parent(t, m.Attributes[tracectx.AWSTraceHeader])
		sp, ok := byID[pid]
		if tid != traceID || !ok {
			t.Errorf("message %s: AWSTraceHeader %q is not one of the send spans of trace %s", m.MessageID, m.Attributes[tracectx.AWSTraceHeader], traceID)
			continue
		}
		if m.MessageID == one.MessageID {
			if sp.Attributes["messaging.message.id"] != m.MessageID {
				t.Errorf("message %s's send span names message %v", m.MessageID, sp.Attributes["messaging.message.id"])
			}
		} else if sp.Attributes["messaging.batch.message_count"] != 3.0 || sp.Attributes["stacklab.queue.failed_entries"] != 1.0 {
			t.Errorf("message %s came from send span %v; want the batch call's, of 3 messages, 1 failed", m.MessageID, sp.Attributes)
		}
	}
}

func TestBatchSpanParentsOneMessageAndLinksSeveral(t *testing.T) {
	rt := echoRuntime(t)
	s, tel := tracedService(t, Config{ID: "In", VisibilityTimeout: 5 * time.Second})
	ctx := context.Background()
	run := func(roots int) (invoke.Request, []telemetry.Span) {
		t.Helper()
		var rs []telemetry.Span
		for i := range 3 {
			if i < roots {
				_, r := teltest.Root(tel, "sender")
				rs = append(rs, r)
			}
			rctx := tracectx.FromXRay(ctx, tracectx.FormatXRay(rs[len(rs)-1].SpanContext()))
			if _, err := s.Send(rctx, "In", SendInput{Body: "m"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range rs {
			r.End()
		}
		rec := &teltest.Requests{Next: rt}
		if err := s.StartPollers(rec, []Mapping{{ID: "Sqs", Queue: "In", Function: "echo-fn", BatchSize: 3, Window: 2 * time.Second, Concurrency: 1}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "the batch processed", func() bool {
			st, _ := s.Stats(ctx, "In")
			return st.Visible == 0 && st.InFlight == 0
		})
		s.StopPollers()
		reqs := rec.Seen()
		if len(reqs) != 1 {
			t.Fatalf("%d invocations, want one batch of 3", len(reqs))
		}
		if reqs[0].Trigger != telemetry.TriggerPubSub {
			t.Errorf("trigger %q, want %q", reqs[0].Trigger, telemetry.TriggerPubSub)
		}
		return reqs[0], rs
	}

	t.Run("one trace", func(t *testing.T) {
		req, roots := run(1)
		tid, pid := teltest.Parent(t, req.TraceID)
		if tid != roots[0].TraceID() {
			t.Fatalf("the invocation is in trace %s, want the senders' %s", tid, roots[0].TraceID())
		}
		spans := teltest.Trace(t, tel, tid)
		proc := teltest.One(t, spans, "In process")
		if proc.SpanID != pid || proc.Kind != telemetry.Consumer {
			t.Errorf("the invocation's parent %s is not the Consumer span %s", pid, proc.SpanID)
		}
		if len(proc.Links) != 3 {
			t.Fatalf("the batch span has %d links, want one to each of 3 messages", len(proc.Links))
		}
		sends := map[string]bool{}
		for _, sp := range teltest.Named(spans, "In send") {
			sends[sp.SpanID] = true
		}
		for _, l := range proc.Links {
			if !sends[l.SpanID] {
				t.Errorf("link %s is not a send span of the trace", l.SpanID)
			}
		}
		if !sends[proc.ParentID] {
			t.Errorf("the batch span's parent %s is not a send span of the shared trace", proc.ParentID)
		}
		if n := proc.Attributes["messaging.batch.message_count"]; n != float64(3) {
			t.Errorf("messaging.batch.message_count = %v, want 3", n)
		}
	})
	t.Run("three traces", func(t *testing.T) {
		req, roots := run(3)
		tid, pid := teltest.Parent(t, req.TraceID)
		for _, r := range roots {
			if r.TraceID() == tid {
				t.Fatalf("a batch of three traces was made the child of one of them (%s)", tid)
			}
		}
		proc := teltest.One(t, teltest.Trace(t, tel, tid), "In process")
		if proc.ParentID != "" || proc.SpanID != pid {
			t.Errorf("batch span %+v: want a new root, the invocation's parent", proc)
		}
		linked := map[string]bool{}
		for _, l := range proc.Links {
			linked[l.TraceID] = true
		}
		for _, r := range roots {
			if !linked[r.TraceID()] {
				t.Errorf("no link into sender trace %s", r.TraceID())
			}
		}
	})
}

func TestRedriveContinuesTheTrace(t *testing.T) {
	s, tel := tracedService(t,
		Config{ID: "Work", VisibilityTimeout: time.Second, DeadLetter: "WorkDLQ", MaxReceiveCount: 1},
		Config{ID: "WorkDLQ"})
	ctx, root := teltest.Root(tel, "upload")
	send := func() {
		if _, err := s.Send(ctx, "Work", SendInput{Body: "poison"}); err != nil {
			t.Fatal(err)
		}
	}
	send()
	root.End()
	eventually(t, 20*time.Second, "the message in the DLQ", func() bool {
		receive(t, s, "Work", 10, 200*time.Millisecond)
		st, _ := s.Stats(context.Background(), "WorkDLQ")
		return st.Visible == 1
	})
	dead := receive(t, s, "WorkDLQ", 1, time.Second)
	if len(dead) != 1 {
		t.Fatalf("DLQ gave %d messages", len(dead))
	}
	tid, pid := teltest.Parent(t, dead[0].Attributes[tracectx.AWSTraceHeader])
	if tid != root.TraceID() {
		t.Fatalf("the dead letter is in trace %s, want %s", tid, root.TraceID())
	}
	spans := teltest.Trace(t, tel, tid)
	rd := teltest.One(t, spans, "WorkDLQ send")
	if rd.SpanID != pid || rd.ParentID != teltest.One(t, spans, "Work send").SpanID {
		t.Errorf("redrive span %+v: want the dead letter's parent and the send's child", rd)
	}
	if len(rd.Events) != 1 || rd.Events[0].Name != "redrive" {
		t.Errorf("redrive span events %+v, want one \"redrive\"", rd.Events)
	}
}
