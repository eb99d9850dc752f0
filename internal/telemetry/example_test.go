package telemetry_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// A hop starts a span, passes the context on, ends the span, and records the
// invocation; the store answers afterwards.
func ExampleTelemetry_StartSpan() {
	dir, _ := os.MkdirTemp("", "telemetry-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	tel, err := telemetry.New(ctx, telemetry.Config{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tel.Close(ctx)

	_, span := tel.StartSpan(ctx, "Scorer", telemetry.Server,
		telemetry.FaaSName("Scorer"), telemetry.FaaSTrigger(telemetry.TriggerPubSub), telemetry.FaaSColdstart(false))
	span.End()
	tel.Record(model.Invocation{Function: "Scorer", RequestID: "r1", TraceID: span.TraceID(), Start: time.Now(),
		Duration: 120 * time.Millisecond, MemorySizeMB: 1024, Outcome: model.OutcomeOK})

	if err := tel.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	traces, _ := tel.Store().ListTraces(ctx, store.TraceFilter{Function: "Scorer"})
	stats, _ := tel.Store().Stats(ctx, store.StatsFilter{Function: "Scorer"})
	fmt.Println(traces[0].RootName, traces[0].Spans, "span")
	fmt.Printf("%s: %d invocation, %.3f GB-s\n", stats[0].Function, stats[0].Invocations, stats[0].GBSeconds)
	// Output:
	// Scorer 1 span
	// Scorer: 1 invocation, 0.120 GB-s
}
