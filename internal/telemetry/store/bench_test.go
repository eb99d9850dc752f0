package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// BenchmarkQueries measures the CLI's questions over a store holding
// 20,000 traces of 5 spans.
func BenchmarkQueries(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir(), Options{Buffer: 1 << 17})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const traces = 20000
	for i := 0; i < traces; i++ {
		base := i * 10
		for j, res := range []string{"Api", "Fn", "Queue", "Scorer", "Table"} {
			parent := ""
			if j > 0 {
				parent = fmt.Sprintf("%016x", j)
			}
			status := model.StatusOK
			if i%50 == 0 && j == 3 {
				status = model.StatusError
			}
			for !s.AddSpan(model.Span{
				TraceID: fmt.Sprintf("%032x", i+1), SpanID: fmt.Sprintf("%016x", j+1), ParentID: parent,
				Name: res, Kind: model.KindServer, Resource: res, Function: map[bool]string{true: res}[j == 1 || j == 3],
				Start: t0.Add(time.Duration(base+j) * time.Millisecond), End: t0.Add(time.Duration(base+j+5+i%7) * time.Millisecond),
				Status: status, Attributes: map[string]any{"faas.name": res},
			}) {
				time.Sleep(time.Millisecond)
			}
		}
		s.AddInvocation(model.Invocation{Function: "Scorer", RequestID: fmt.Sprint(i), Start: t0.Add(time.Duration(base) * time.Millisecond), Duration: time.Duration(i%100) * time.Millisecond, MemorySizeMB: 512, Outcome: model.OutcomeOK})
	}
	if err := s.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("list-recent", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ListTraces(ctx, TraceFilter{Limit: 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("list-errors-by-function", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ListTraces(ctx, TraceFilter{Function: "Scorer", ErrorsOnly: true, Limit: 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("trace", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Trace(ctx, fmt.Sprintf("%032x", 777)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stats", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Stats(ctx, StatsFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("service-map", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ServiceMap(ctx, time.Time{}, time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
