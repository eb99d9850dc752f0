package tracectx_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// TestContextCrossesRealNATS sends the context through the embedded NATS
// server in message headers and reads it back on the other side.
func TestContextCrossesRealNATS(t *testing.T) {
	b, err := bus.Start(context.Background(), bus.Options{Dir: filepath.Join(t.TempDir(), "nats")})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	nc := b.Conn()
	sub, err := nc.SubscribeSync("stacklab.test.trace")
	if err != nil {
		t.Fatal(err)
	}

	sent, err := tracectx.ParseXRay("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	if err != nil {
		t.Fatal(err)
	}
	sent, _ = tracectx.WithTracestate(sent, "stacklab=1")
	msg := nats.NewMsg("stacklab.test.trace")
	msg.Data = []byte("chunk")
	tracectx.Inject(trace.ContextWithSpanContext(context.Background(), sent), tracectx.NATS(msg.Header))
	if err := nc.PublishMsg(msg); err != nil {
		t.Fatal(err)
	}
	got, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sc := trace.SpanContextFromContext(tracectx.Extract(context.Background(), tracectx.NATS(got.Header)))
	if sc.TraceID() != sent.TraceID() || sc.SpanID() != sent.SpanID() || !sc.IsSampled() || sc.TraceState().Get("stacklab") != "1" {
		t.Errorf("received %v / %q, want %v / stacklab=1", sc, sc.TraceState().String(), sent)
	}
	if !sc.IsRemote() {
		t.Error("extracted span context should be remote")
	}
}
