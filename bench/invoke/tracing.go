package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"path/filepath"
	"sort"
	"time"
)

var rounds = flag.Int("rounds", 8, "with -tracing=both: rounds of off and on measurements, alternating which goes first (8: single runs of 4 rounds were ±3 points of throughput loss apart)")

// The parts of the path a side is measured on.
const (
	viaInvoke = iota // the Lambda Invoke API
	viaRoute         // the HTTP API route
)

// abSide is one platform of the tracing comparison and what was measured on
// it, pooled over the rounds.
type abSide struct {
	name string
	st   stack
	lat  [2][]time.Duration // every latency sample, by part
	rate [2][]float64       // requests per second, one per round, by part
	cpu  [2][]float64       // µs of CPU per request in this process, one per round
	// settle finishes the work a throughput measurement left behind (the
	// span store's writing of what it buffered), inside the measurement,
	// so that it is charged to this side and not to the next measured.
	settle func()
	busy   time.Duration // time measured on this side so far
}

// measure runs one round on the side: latency at 1 connection and
// throughput at -c connections, through the Invoke API and the route.
func (s *abSide) measure() (p50 [2]time.Duration, rate [2]float64) {
	start := time.Now()
	defer func() { s.busy += time.Since(start) }()
	for part, url := range [2]string{s.st.invokeURL, s.st.routeURL} {
		l := latency(url)
		s.lat[part] = append(s.lat[part], l...)
		p50[part] = pct(l, 50)
	}
	for part, url := range [2]string{s.st.invokeURL, s.st.routeURL} {
		r, c := throughput(url, s.settle)
		s.rate[part] = append(s.rate[part], r)
		s.cpu[part] = append(s.cpu[part], c.self)
		rate[part] = r
	}
	return p50, rate
}

// tracingAB measures what tracing adds to the warm invocation path. Two
// platforms run side by side, one with Tracing.Off and one with every hop
// traced into its span store; both are warm before the first round, and the
// rounds alternate which side goes first (off,on then on,off ...) so that a
// shared machine's drift falls on both sides alike.
func tracingAB(state, dir string) {
	if *rounds < 1 {
		log.Fatalf("-rounds=%d: want at least 1", *rounds)
	}
	off, on := &abSide{name: "off"}, &abSide{name: "on"}
	for _, s := range []*abSide{off, on} {
		s.st = startStack(filepath.Join(state, s.name), dir, s == off)
		defer s.st.p.Close()
		s.st.warm()
	}
	tel := on.st.p.Telemetry()
	if tel == nil {
		log.Fatal("tracing on: the platform has no telemetry; the span store did not open (its error is in the platform's log)")
	}
	if off.st.p.Telemetry() != nil {
		log.Fatal("tracing off: the platform still has telemetry; platform.Options.Tracing.Off is not honoured")
	}
	// The traced side's store writes what a measurement buffered, and runs
	// retention once a minute of its load as its timer would, inside its
	// own measurements: otherwise that work falls into whichever side is
	// measured next (both platforms share this process and its CPU time).
	var pruned time.Duration
	on.settle = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := tel.Flush(ctx); err != nil {
			log.Printf("flushing the span store: %v", err)
		}
		if on.busy-pruned >= time.Minute {
			pruned = on.busy
			if err := tel.Store().Prune(ctx); err != nil {
				log.Printf("span store retention: %v", err)
			}
		}
	}

	fmt.Printf("tracing overhead: warm Echo, tracing off and on, %d rounds alternating which goes first; each round %d requests at 1 connection and %s at %d connections per part\n\n",
		*rounds, *n, *dur, *conns)
	fmt.Printf("  %-5s %-4s %12s %12s %14s %14s\n", "round", "side", "Invoke p50", "route p50", "Invoke req/s", "route req/s")
	for r := range *rounds {
		order := []*abSide{off, on}
		if r%2 == 1 {
			order = []*abSide{on, off}
		}
		for _, s := range order {
			p50, rate := s.measure()
			fmt.Printf("  %-5d %-4s %12s %12s %14.0f %14.0f\n", r+1, s.name, p50[viaInvoke], p50[viaRoute], rate[viaInvoke], rate[viaRoute])
		}
	}

	fmt.Printf("\npooled over the rounds (latency: p50 of all samples; throughput and CPU: mean of the rounds)\n")
	for part, name := range [2]string{"Invoke API", "HTTP API route"} {
		lo, lt := pooledP50(off.lat[part]), pooledP50(on.lat[part])
		ro, rt := mean(off.rate[part]), mean(on.rate[part])
		co, ct := mean(off.cpu[part]), mean(on.cpu[part])
		fmt.Printf("  %-15s p50 off %8s  on %8s  added %+5.1f%%   throughput off %6.0f  on %6.0f req/s  loss %5.1f%%   CPU/req here off %5.1f  on %5.1f µs (%+.1f)\n",
			name, lo, lt, 100*(float64(lt)/float64(lo)-1), ro, rt, 100*(1-rt/ro), co, ct, ct-co)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tel.Flush(ctx); err != nil {
		log.Printf("flushing the span store: %v", err)
	}
	if st := tel.Status().Store; st != nil {
		perInv := 0.0
		if st.WrittenInvocations > 0 {
			perInv = float64(st.WrittenSpans) / float64(st.WrittenInvocations)
		}
		fmt.Printf("\nspan store (on): %d spans and %d invocation records written (%.1f spans per invocation), %d spans and %d records dropped\n",
			st.WrittenSpans, st.WrittenInvocations, perInv, st.DroppedSpans, st.DroppedInvocations)
	}
	fmt.Println("goal: tracing adds under 10% to p50 latency and takes under 10% of throughput")
}

// pooledP50 is the median of samples gathered over several rounds.
func pooledP50(samples []time.Duration) time.Duration {
	s := append([]time.Duration(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return pct(s, 50)
}

func mean(xs []float64) float64 {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(max(len(xs), 1))
}
