package experiment

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stacklab/stacklab/internal/experiment/report"
	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// Platform is where an experiment runs: one platform that holds every
// variant. Interfaces belong to their consumer; the CLI gives one.
type Platform interface {
	// Deploy runs the merged template (file names where it is kept).
	Deploy(ctx context.Context, file string, src []byte) error
	// Gateway is the gateway's base URL, "http://127.0.0.1:3000".
	Gateway() string
	// Busy reports what is still running: invocations in progress and
	// messages waiting in queues; zero when the platform is idle.
	Busy(ctx context.Context) int
	// Spans returns the spans of the traces that began in [since, until),
	// grouped by trace, and the invocation records of that window.
	Spans(ctx context.Context, since, until time.Time) ([][]model.Span, error)
	Invocations(ctx context.Context, since, until time.Time) ([]model.Invocation, error)
}

// Options tune a run.
type Options struct {
	// Progress receives a line per block and phase; nil discards them.
	Progress io.Writer
	// Client sends the workload; default a client with keep-alive.
	Client *http.Client
}

// sent is one request of the workload as it was sent.
type sent struct {
	variant int
	round   int // -1 for warm-up
	slot    int
	seq     int
	trace   string
	due     time.Time // when the open-loop schedule said to send it
	done    time.Time // when its answer came
	status  int
	err     string
}

// block is one variant's share of one round.
type block struct {
	round, slot, variant int
	start, end           time.Time
	sent                 []*sent
}

// Run deploys the plan's merged template on p, warms every variant up,
// runs the rounds, and analyses what the requests caused into a report.
// A variant that fails mid-run is reported and left out of later rounds;
// the others finish. When ctx ends, Run stops and returns ctx's error.
func Run(ctx context.Context, plan *Plan, p Platform, opts Options) (*report.Report, error) {
	started := time.Now()
	r, err := execute(ctx, plan, p, opts)
	if err != nil {
		return nil, err
	}
	rep := analyze(plan, r.blocks, r.spans, r.invs, r.failed)
	rep.Started, rep.Finished = started, time.Now()
	return rep, nil
}

// execute deploys, warms up, runs the rounds and reads what they caused
// from the span store.
func execute(ctx context.Context, plan *Plan, p Platform, opts Options) (*runner, error) {
	s := plan.Spec
	r := &runner{plan: plan, p: p, opts: opts, failed: map[int]string{}}
	if r.opts.Progress == nil {
		r.opts.Progress = io.Discard
	}
	if r.opts.Client == nil {
		r.opts.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	}
	r.timeout = durationOr(s.Workload.Timeout, 60*time.Second)
	r.quiet = durationOr(s.Workload.Quiet, time.Second)
	r.progress("deploying %d variants (%s) as one stack ...", len(plan.Merged.Variants), strings.Join(s.variantNames(), ", "))
	if err := p.Deploy(ctx, plan.File, plan.Merged.Source); err != nil {
		return nil, r.deployError(err)
	}
	if s.Workload.Warmup > 0 {
		for vi := range plan.Targets {
			r.progress("warm-up: %s, %d requests", plan.Targets[vi].Variant, s.Workload.Warmup)
			b := r.runBlock(ctx, -1, 0, vi, s.Workload.Warmup)
			r.checkFailed(b)
		}
	}
	r.measured = time.Now()
	rng := rand.New(rand.NewPCG(s.Design.Seed, 0x5eed))
	for round := 0; round < s.Design.Rounds; round++ {
		order := roundOrder(s.Design.Order, len(plan.Targets), round, rng)
		for slot, vi := range order {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if _, bad := r.failed[vi]; bad {
				continue
			}
			b := r.runBlock(ctx, round, slot, vi, 0)
			r.blocks = append(r.blocks, b)
			r.checkFailed(b)
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var err error
	if r.spans, r.invs, err = r.telemetry(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// telemetry reads the spans and invocation records of the measured rounds.
func (r *runner) telemetry(ctx context.Context) ([][]model.Span, []model.Invocation, error) {
	r.progress("reading traces ...")
	since, until := r.measured.Add(-time.Second), time.Now().Add(time.Minute)
	spans, err := r.p.Spans(ctx, since, until)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the spans of the run: %w", err)
	}
	invs, err := r.p.Invocations(ctx, since, until)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the invocation records of the run: %w", err)
	}
	return spans, invs, nil
}

type runner struct {
	plan    *Plan
	p       Platform
	opts    Options
	timeout time.Duration
	quiet   time.Duration
	blocks  []*block
	failed  map[int]string
	// measured is when the first measured round began.
	measured time.Time
	// spans and invs are what the measured rounds caused.
	spans  [][]model.Span
	invs   []model.Invocation
	errors int
	seq    int
}

func (r *runner) progress(format string, args ...any) {
	fmt.Fprintf(r.opts.Progress, format+"\n", args...)
}

func (r *runner) deployError(err error) error {
	msg := err.Error()
	for _, v := range r.plan.Merged.Variants {
		if strings.Contains(msg, v.Prefix) {
			return fmt.Errorf("variant %s failed to deploy (its resources are named %s...): %w", v.Name, v.Prefix, err)
		}
	}
	return fmt.Errorf("deploying the variants: %w", err)
}

// checkFailed marks a variant failed when every request of its block
// failed (and there were some).
func (r *runner) checkFailed(b *block) {
	bad := 0
	first := ""
	for _, s := range b.sent {
		if s.err != "" {
			bad++
			if first == "" {
				first = s.err
			}
		}
	}
	if len(b.sent) > 0 && bad == len(b.sent) {
		name := r.plan.Targets[b.variant].Variant
		r.failed[b.variant] = fmt.Sprintf("variant %s: every request of round %d failed (%s); left out of the rounds after it", name, b.round+1, first)
		r.progress("variant %s failed: %s", name, first)
	}
}

// roundOrder is the order of the variants in a round: a fresh random
// permutation, or ABBA (forward in even rounds, backward in odd ones).
func roundOrder(kind string, n, round int, rng *rand.Rand) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if kind == "abba" {
		if round%2 == 1 {
			for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		return order
	}
	rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	return order
}

// runBlock sends one block's requests on the open-loop schedule (each at
// its due time, whether or not earlier ones have answered, so a slow
// variant is not sent less: no coordinated omission), waits for their
// answers and for the platform to be quiet.
func (r *runner) runBlock(ctx context.Context, round, slot, vi, count int) *block {
	s := r.plan.Spec
	tg := r.plan.Targets[vi]
	b := &block{round: round, slot: slot, variant: vi}
	due := schedule(s, count)
	b.start = time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for n, at := range due {
		v := vars{Seq: n, Round: round + 1, Variant: tg.Variant, ID: requestID(round, n)}
		req, err := r.plan.request(tg, v, r.p.Gateway())
		x := &sent{variant: vi, round: round, slot: slot, seq: n, trace: newTraceID(), due: b.start.Add(at)}
		b.sent = append(b.sent, x)
		if err != nil {
			x.err = "making the request: " + err.Error()
			continue
		}
		wait := time.Until(x.due)
		if wait > 0 {
			select {
			case <-ctx.Done():
				// Stopped: the requests under way end (their context is
				// ctx) before the block is given back.
				b.sent = b.sent[:len(b.sent)-1]
				wg.Wait()
				b.end = time.Now()
				return b
			case <-time.After(wait):
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.send(ctx, x, req)
			mu.Lock()
			defer mu.Unlock()
			if x.err != "" {
				r.errors++
			}
		}()
	}
	wg.Wait()
	r.waitQuiet(ctx)
	b.end = time.Now()
	if round >= 0 {
		errs := 0
		for _, x := range b.sent {
			if x.err != "" {
				errs++
			}
		}
		r.progress("round %d/%d  %-12s sent %4d  errors %d (all rounds %d)", round+1, s.Design.Rounds, tg.Variant, len(b.sent), errs, r.errors)
	}
	return b
}

// schedule gives the due times of a block's requests from its start: a
// constant rate, or a linear ramp, for a count or a duration.
func schedule(s *Spec, count int) []time.Duration {
	w := s.Workload
	from, to := 0.0, 0.0
	if w.Ramp != nil {
		from, _ = ParseRate(w.Ramp.From)
		to, _ = ParseRate(w.Ramp.To)
	} else {
		from, _ = ParseRate(w.Rate)
		to = from
	}
	limit := time.Duration(math.MaxInt64)
	if count == 0 {
		count = w.Requests
	}
	if count == 0 {
		limit = durationOr(w.Duration, 10*time.Second)
		count = math.MaxInt32
	}
	// Over a block of length L the rate goes from `from` to `to`; for a
	// count, L is what the mean rate needs.
	length := limit
	if limit == time.Duration(math.MaxInt64) {
		length = time.Duration(float64(count) / ((from + to) / 2) * float64(time.Second))
	}
	var out []time.Duration
	t := 0.0
	for i := 0; i < count; i++ {
		at := time.Duration(t * float64(time.Second))
		if at >= limit {
			break
		}
		out = append(out, at)
		frac := 0.0
		if length > 0 {
			frac = math.Min(1, float64(at)/float64(length))
		}
		t += 1 / (from + (to-from)*frac)
	}
	return out
}

func (r *runner) send(ctx context.Context, x *sent, req request) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, req.method, strings.TrimSuffix(r.p.Gateway(), "/")+req.path, bytes.NewReader(req.body))
	if err != nil {
		x.err = err.Error()
		return
	}
	for k, v := range req.header {
		hr.Header.Set(k, v)
	}
	hr.Header.Set("traceparent", "00-"+x.trace+"-"+newSpanID()+"-01")
	resp, err := r.opts.Client.Do(hr)
	x.done = time.Now()
	if err != nil {
		x.err = err.Error()
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	x.done = time.Now()
	x.status = resp.StatusCode
	switch {
	case resp.StatusCode >= 400:
		x.err = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, firstLine(strings.TrimSpace(string(body))))
	case resp.Header.Get("X-Amz-Function-Error") != "":
		x.err = "function error: " + firstLine(strings.TrimSpace(string(body)))
	}
}

// waitQuiet waits until nothing runs on the platform and no span has been
// added for the quiet period, or the request timeout.
func (r *runner) waitQuiet(ctx context.Context) {
	deadline := time.Now().Add(r.timeout)
	quietSince := time.Time{}
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if r.p.Busy(ctx) == 0 {
			if quietSince.IsZero() {
				quietSince = time.Now()
			}
			if time.Since(quietSince) >= r.quiet {
				return
			}
		} else {
			quietSince = time.Time{}
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func requestID(round, n int) string {
	if round < 0 {
		return fmt.Sprintf("warm-%04d", n)
	}
	return fmt.Sprintf("r%02d-%04d", round+1, n)
}

func newTraceID() string {
	var b [16]byte
	crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newSpanID() string {
	var b [8]byte
	crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func durationOr(s string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d
	}
	return def
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
