package metrics

import (
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// BenchmarkInvocation is the cost the runtime's observer adds to each
// invocation: a warm, successful one (three series updated).
func BenchmarkInvocation(b *testing.B) {
	m := New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Invocation("Echo", "$LATEST", model.OutcomeOK, 3*time.Millisecond, 0, false)
		}
	})
}

// BenchmarkGatewayRequest is the cost of timing one gateway request.
func BenchmarkGatewayRequest(b *testing.B) {
	m := New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.GatewayRequest("ServerlessHttpApi", "GET /items/{id}", 200, 4*time.Millisecond)
		}
	})
}
