package platform

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/teltest"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// TestDestinationSendIsInTheInvocationsTrace: a failed async event's dead
// letter is sent under a Producer span of the function, in the trace the
// event was invoked in, and the message carries that trace on.
func TestDestinationSendIsInTheInvocationsTrace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs functions")
	}
	ctx := context.Background()
	file, _ := filepath.Abs("testdata/destinations/template.yaml")
	p, err := New(Options{StateDir: t.TempDir(), AsyncRetryDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tel := p.Telemetry()
	if tel == nil {
		t.Fatal("the platform opened no telemetry")
	}
	if _, err := p.Deploy(ctx, file); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	_, caller := teltest.Root(tel, "caller")
	caller.End()
	if _, err := p.Invoke(ctx, invoke.Request{Function: "Failing", Type: invoke.Event, Payload: []byte(`{"fail":"out of stock"}`),
		TraceID: tracectx.FormatXRay(caller.SpanContext())}); err != nil {
		t.Fatal(err)
	}
	dl := receiveOne(t, p, "DeadLetters")
	receiveOne(t, p, "Failures")
	tid, pid := teltest.Parent(t, dl.Attributes[tracectx.AWSTraceHeader])
	if tid != caller.TraceID() {
		t.Fatalf("the dead letter is in trace %s, want the invocation's %s", tid, caller.TraceID())
	}
	var spans []model.Span
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if spans = teltest.Trace(t, tel, tid); len(teltest.Named(spans, "Failing OnFailure")) == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	dest := teltest.One(t, spans, "Failing DeadLetterQueue")
	if dest.Kind != telemetry.Producer || dest.Resource != "Failing" || dest.Attributes["stacklab.destination"] != "DeadLetterQueue" {
		t.Errorf("destination span %+v: want a Producer of Failing", dest)
	}
	send := teltest.One(t, spans, "DeadLetters send")
	if send.ParentID != dest.SpanID || send.SpanID != pid {
		t.Errorf("the dead letter's send %+v: want the destination span's child and the message's parent", send)
	}
	if onf := teltest.One(t, spans, "Failing OnFailure"); onf.ParentID != dest.ParentID {
		t.Errorf("the OnFailure span's parent %s differs from the dead-letter span's %s", onf.ParentID, dest.ParentID)
	}
}
