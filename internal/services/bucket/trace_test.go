package bucket

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/teltest"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// TestPutCarriesTraceToNotifications: a put under a trace makes a
// PutObject span in it, and the function invocation and the queue message
// it causes continue that span.
func TestPutCarriesTraceToNotifications(t *testing.T) {
	tel := teltest.New(t)
	b := bustest.Start(t, t.TempDir())
	defer b.Close()
	ctx := context.Background()
	qs := queue.New(b.JetStream(), queue.Options{Telemetry: tel})
	defer qs.Close()
	if err := qs.Apply(ctx, []queue.Config{{ID: "Uploads", VisibilityTimeout: time.Second}}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	s := New(b.JetStream(), Options{Telemetry: tel, Invoker: rec, SendToQueue: func(ctx context.Context, q, body string) error {
		_, err := qs.Send(ctx, q, queue.SendInput{Body: body})
		return err
	}})
	defer s.Close()
	if err := s.Apply(ctx, []Config{{ID: "Files", Name: "files", Notifications: []Notification{
		{ID: "ToFn", Events: []string{"s3:ObjectCreated:*"}, Function: "fn"},
		{ID: "ToQueue", Events: []string{"s3:ObjectCreated:*"}, Queue: "Uploads"},
	}}}); err != nil {
		t.Fatal(err)
	}

	// A remote caller, as a function's SDK call arrives over HTTP.
	_, caller := teltest.Root(tel, "caller")
	caller.End()
	rctx := tracectx.FromXRay(ctx, tracectx.FormatXRay(caller.SpanContext()))
	obj, err := s.Put(rctx, "Files", "in/a.fa", strings.NewReader(">x\nACGT"), PutInput{Metadata: map[string]string{"owner": "me"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := obj.Metadata["traceparent"]; ok || len(obj.Metadata) != 1 {
		t.Errorf("user metadata %v: the trace context must not show as x-amz-meta-*", obj.Metadata)
	}
	r, _, err := s.Get(rctx, "Files", "in/a.fa")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, r)
	r.Close()
	msgs, err := qs.Receive(ctx, "Uploads", 10, time.Second)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("the queue gave %d messages (%v), want the notification", len(msgs), err)
	}

	spans := teltest.Trace(t, tel, caller.TraceID())
	put := teltest.One(t, spans, "PutObject")
	if put.ParentID != caller.SpanContext().SpanID().String() || put.Kind != telemetry.Server || put.Resource != "Files" {
		t.Errorf("PutObject span %+v: want a Server span of Files, child of the caller", put)
	}
	if put.Attributes["faas.document.collection"] != "files" || put.Attributes["faas.document.name"] != "in/a.fa" || put.Attributes["faas.document.operation"] != telemetry.DocInsert {
		t.Errorf("PutObject attributes %v", put.Attributes)
	}
	if get := teltest.One(t, spans, "GetObject"); get.ParentID != put.ParentID || get.Resource != "Files" {
		t.Errorf("GetObject span %+v: want a span of Files, child of the caller", get)
	}

	rec.mu.Lock()
	reqs := append(rec.reqs[:0:0], rec.reqs...)
	rec.mu.Unlock()
	if len(reqs) != 1 {
		t.Fatalf("%d invocations, want 1", len(reqs))
	}
	sc, err := tracectx.ParseXRay(reqs[0].TraceID)
	if err != nil || sc.TraceID().String() != caller.TraceID() || sc.SpanID().String() != put.SpanID {
		t.Errorf("the invocation's TraceID %q (%v) does not continue PutObject %s", reqs[0].TraceID, err, put.SpanID)
	}
	if reqs[0].Trigger != telemetry.TriggerDatasource {
		t.Errorf("trigger %q, want %q", reqs[0].Trigger, telemetry.TriggerDatasource)
	}
	send := teltest.One(t, spans, "Uploads send")
	if send.ParentID != put.SpanID {
		t.Errorf("the queue send's parent is %s, want PutObject %s", send.ParentID, put.SpanID)
	}
	if sc, err := tracectx.ParseXRay(msgs[0].Attributes[tracectx.AWSTraceHeader]); err != nil || sc.SpanID().String() != send.SpanID {
		t.Errorf("the message's AWSTraceHeader %q does not continue the send span", msgs[0].Attributes[tracectx.AWSTraceHeader])
	}

	if obj.Trace.TraceID().String() != caller.TraceID() || obj.Trace.SpanID().String() != put.SpanID {
		t.Errorf("Put returned Trace %v, want the PutObject span %s of trace %s", obj.Trace, put.SpanID, caller.TraceID())
	}

	// A delete by an in-process span is its Client; Delete returns the
	// object as it was and the DeleteObject span's context.
	lctx, local := teltest.Root(tel, "local")
	gone, err := s.Delete(lctx, "Files", "in/a.fa")
	if err != nil {
		t.Fatal(err)
	}
	local.End()
	del := teltest.One(t, teltest.Trace(t, tel, local.TraceID()), "DeleteObject")
	if del.Kind != telemetry.Client || del.ParentID != local.SpanContext().SpanID().String() {
		t.Errorf("DeleteObject span %+v: want a Client child of the local span", del)
	}
	if gone.Trace.TraceID().String() != local.TraceID() || gone.Trace.SpanID().String() != del.SpanID {
		t.Errorf("Delete returned Trace %v, want the DeleteObject span %s of trace %s", gone.Trace, del.SpanID, local.TraceID())
	}
	if gone.Key != "in/a.fa" || gone.Size != 7 || gone.ETag != obj.ETag {
		t.Errorf("Delete returned %+v, want the object as it was (%+v)", gone, obj)
	}
}
