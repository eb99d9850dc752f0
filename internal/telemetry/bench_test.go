package telemetry

import (
	"context"
	"testing"
)

// BenchmarkSpan measures what a hop pays per span: start, two attributes,
// end (and the hand-off to the store when there is one).
func BenchmarkSpan(b *testing.B) {
	for _, tc := range []struct {
		name  string
		store bool
	}{{"off", false}, {"store", true}} {
		b.Run(tc.name, func(b *testing.B) {
			var tel *Telemetry
			if tc.store {
				var err error
				tel, err = New(context.Background(), Config{Dir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				defer tel.Close(context.Background())
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_, s := tel.StartSpan(ctx, "Scorer", Server, Resource("Scorer"), FaaSName("Scorer"))
				s.End()
			}
			b.StopTimer()
			if tel != nil {
				st := tel.Status()
				b.ReportMetric(float64(st.Store.DroppedSpans), "dropped")
			}
		})
	}
}
