package platform

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/runtime"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/telemetry/metrics"
	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// Instrument makes the platform feed m: every invocation the runtime runs
// or throttles and every async event's age as they happen; instances,
// invocations in progress and queue depths when m is scraped. Call it once,
// before the platform takes work.
//
// The version label of the function metrics is the deployment version the
// invocation ran under, as in its invocation record and 'stacklab stats
// --by version' ($LATEST before anything is deployed). Each deploy sets its
// functions' counters at 0 (metrics.Deployed).
func (p *Platform) Instrument(m *metrics.Metrics) {
	p.rt.Observe(func(o runtime.Observation) {
		version := cmp.Or(o.Deployment, o.Version)
		if o.Throttled {
			m.Throttle(o.Function, version)
			return
		}
		m.Invocation(o.Function, version, model.OutcomeOf(o.ErrorType), o.Duration, o.InitDuration, o.Cold)
	})
	p.async.ObserveAge(func(function string, age time.Duration) {
		m.AsyncAge(p.functionName(function), age)
	})
	m.SetSources(metrics.Sources{Functions: p.functionStates, Queues: p.queueStates, Telemetry: p.telemetryStates})
	p.met.Store(m)
	if st, v := p.Stack(), p.rt.Deployment(); st != nil && v != "" {
		p.deployedMetrics(v, st) // deployed before Instrument
	}
}

// deployedMetrics starts the counters of a deployment's functions at 0 and
// forgets those of the versions before it.
func (p *Platform) deployedMetrics(version string, st *stack.Stack) {
	m := p.met.Load()
	if m == nil {
		return
	}
	names := make([]string, 0, len(st.Functions))
	for _, f := range st.Functions {
		names = append(names, f.Name)
	}
	m.Deployed(version, names)
}

// telemetryStates are the span store's and OTLP export's drops, none when
// tracing is off.
func (p *Platform) telemetryStates() []metrics.TelemetryState {
	if p.tel == nil {
		return nil
	}
	st := p.tel.Status()
	var out []metrics.TelemetryState
	if s := st.Store; s != nil {
		out = append(out, metrics.TelemetryState{Sink: "store", Dropping: s.Dropping, DroppedSpans: s.DroppedSpans, DroppedInvocations: s.DroppedInvocations})
	}
	if e := st.Export; e != nil {
		out = append(out, metrics.TelemetryState{Sink: "otlp", Dropping: e.Dropping, DroppedSpans: e.Dropped})
	}
	return out
}

// functionName is the name of the function an invocation request names by
// name, logical id or either with a qualifier, as the runtime labels it.
func (p *Platform) functionName(ref string) string {
	ref, _, _ = strings.Cut(ref, ":")
	if st := p.Stack(); st != nil {
		for _, f := range st.Functions {
			if f.ID == ref {
				return f.Name
			}
		}
	}
	return ref
}

func (p *Platform) functionStates() []metrics.FunctionState {
	pools := p.rt.PoolStates()
	out := make([]metrics.FunctionState, len(pools))
	for i, s := range pools {
		out[i] = metrics.FunctionState{Function: s.Function, Version: cmp.Or(s.Deployment, s.Version), Concurrent: s.Running, Busy: s.Busy, Idle: s.Idle}
	}
	return out
}

func (p *Platform) queueStates(ctx context.Context) []metrics.QueueState {
	var out []metrics.QueueState
	for _, c := range p.queues.Queues() {
		st, err := p.queues.Stats(ctx, c.Name)
		if err != nil {
			p.log.Debug("metrics: reading a queue's numbers", "queue", c.Name, "err", err)
			continue
		}
		out = append(out, metrics.QueueState{Queue: st.Name, Visible: st.Visible, InFlight: st.InFlight, Delayed: st.Delayed,
			OldestAge: time.Duration(st.OldestAgeSeconds) * time.Second})
	}
	return out
}

// Busy counts what is still under way: invocations running and messages
// in the queues (waiting, in flight or delayed). Zero means idle, as far as
// functions and queues tell.
func (p *Platform) Busy(ctx context.Context) int {
	n := 0
	for _, s := range p.rt.PoolStates() {
		n += s.Busy
	}
	for _, q := range p.queueStates(ctx) {
		n += q.Visible + q.InFlight + q.Delayed
	}
	return n
}
