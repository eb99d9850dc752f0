package tracectx_test

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// A hop reads the context from an incoming X-Ray header and writes it into an
// outgoing NATS message in both formats.
func ExampleInject() {
	in := map[string]string{"X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}
	ctx := tracectx.Extract(context.Background(), tracectx.Map(in))

	out := nats.Header{}
	tracectx.Inject(ctx, tracectx.NATS(out))
	fmt.Println(out.Get("traceparent"))
	fmt.Println(tracectx.XRay(ctx))
	// Output:
	// 00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01
	// Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1
}
