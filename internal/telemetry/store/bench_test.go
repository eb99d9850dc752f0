package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/ids"
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

// BenchmarkWrite measures the writer's cost per traced invocation as the
// invoke benchmark makes them: an invocation record that also holds the
// invocation span and its run (model.Invocation.Spans) and the gateway's
// span it served (AddInvocationWithEntry), in traces whose ids are made
// and noted as new (NoteNewTrace) as the platform makes them, at 10,000 a
// second.
func BenchmarkWrite(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir(), Options{Buffer: 1 << 16})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	add := func(ok func() bool) {
		for !ok() {
			time.Sleep(100 * time.Microsecond)
		}
	}
	now := time.Now()
	i := 0
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		i++
		t := now.Add(time.Duration(i) * 100 * time.Microsecond)
		// The gateway made the trace, as the tracer makes them, and noted it.
		raw := ids.Trace(t)
		NoteNewTrace(raw)
		tid := hex.EncodeToString(raw[:])
		id := func(j int) string { return fmt.Sprintf("%016x", (uint64(i)*8+uint64(j))*0xbf58476d1ce4e5b9) }
		// Request ids are UUIDv7s, as the runtime makes them: the time's
		// milliseconds, then random bits.
		h := uint64(i) * 0x94d049bb133111eb
		ms := uint64(t.UnixMilli())
		reqID := fmt.Sprintf("%08x-%04x-7%03x-%04x-%012x", uint32(ms>>16), uint16(ms), uint16(h)&0xfff, uint16(h*31)&0x3fff|0x8000, (h*0xbf58476d1ce4e5b9)>>16)
		gw := model.Span{TraceID: tid, SpanID: id(0), Name: "POST /echo", Kind: model.KindServer, Resource: "ServerlessHttpApi",
			Start: t, End: t.Add(150 * time.Microsecond), Status: model.StatusUnset,
			Attributes: map[string]any{"stacklab.resource": "ServerlessHttpApi", "http.request.method": "POST", "http.route": "/echo", "url.path": "/echo", "http.response.status_code": int64(200)}}
		inv := &model.Invocation{Function: "Echo", Version: "$LATEST", Deployment: "1", RequestID: reqID, TraceID: tid,
			Trigger: "http", Start: t, Duration: 100 * time.Microsecond, BilledDuration: time.Millisecond, MemorySizeMB: 128, Outcome: model.OutcomeOK,
			SpanID: id(1), ParentID: id(0), RunID: id(2), Resource: "Echo", Instance: "Echo-1", End: t.Add(140 * time.Microsecond),
			RunStart: t.Add(20 * time.Microsecond), RunEnd: t.Add(130 * time.Microsecond)}
		add(func() bool { return s.AddInvocationWithEntry(inv, spanSource{gw}) })
	}
	if err := s.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// processCPU is the CPU time the process has used, all goroutines and the
// writer's included, which wall time per op does not show on a busy machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
