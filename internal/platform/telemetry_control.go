package platform

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// The control API's telemetry endpoints (server.Telemetry) read the span
// store; numbers per deployment version come from the invocation records'
// deployment and the deployments' times.
var (
	_ server.Telemetry       = (*Platform)(nil)
	_ server.TelemetryStatus = (*Platform)(nil)
)

// TelemetryStatus tells whether the span store and export are dropping
// records, and how many they dropped since the platform started.
func (p *Platform) TelemetryStatus() (telemetry.Status, error) {
	if p.tel == nil {
		return telemetry.Status{}, server.ErrTracingOff
	}
	return p.tel.Status(), nil
}

// spanStore is the store the telemetry endpoints read, or ErrTracingOff.
// What has ended is written first (the writer otherwise batches for up to
// its FlushInterval), so that a trace asked for right after its request is
// read whole.
func (p *Platform) spanStore(ctx context.Context) (*store.Store, error) {
	st := p.tel.Store()
	if st == nil {
		return nil, server.ErrTracingOff
	}
	fctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := st.Flush(fctx); err != nil {
		p.log.Debug("flushing the span store before a query", "err", err)
	}
	return st, nil
}

// TelemetryTraces lists traces, newest first.
func (p *Platform) TelemetryTraces(ctx context.Context, f store.TraceFilter) ([]store.TraceSummary, error) {
	st, err := p.spanStore(ctx)
	if err != nil {
		return nil, err
	}
	return st.ListTraces(ctx, f)
}

// TelemetryTrace reads one trace with its critical path.
func (p *Platform) TelemetryTrace(ctx context.Context, id string) (telemetry.TraceView, error) {
	if _, err := p.spanStore(ctx); err != nil {
		return telemetry.TraceView{}, err
	}
	return p.tel.Trace(ctx, id)
}

// TelemetryMap is the service map of [since, until) with its bottleneck.
func (p *Platform) TelemetryMap(ctx context.Context, since, until time.Time) (telemetry.MapReport, error) {
	if _, err := p.spanStore(ctx); err != nil {
		return telemetry.MapReport{}, err
	}
	return p.tel.ServiceMap(ctx, since, until, 0)
}

// TelemetryStats returns per-function invocation stats over the filter's
// window; with byVersion, one line per function and deployment version
// (FunctionStats.Version is the deployment number).
func (p *Platform) TelemetryStats(ctx context.Context, f store.StatsFilter, byVersion bool) ([]store.FunctionStats, error) {
	st, err := p.spanStore(ctx)
	if err != nil {
		return nil, err
	}
	if !byVersion {
		return st.Stats(ctx, f)
	}
	deps, err := p.liveDeployments(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.FunctionStats
	for i, d := range deps {
		// Deployment i runs from its Time until i+1 is swapped in, which
		// is before i+2 starts (deploys take turns): skip the ones that
		// cannot have run in the window.
		if (!f.Until.IsZero() && !d.Time.Before(f.Until)) || (i+2 < len(deps) && !deps[i+2].Time.After(f.Since)) {
			continue
		}
		part, err := p.deploymentStats(ctx, st, d.Version, store.StatsFilter{Function: f.Function, Since: f.Since, Until: f.Until})
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// TelemetryCompare compares each deployment that went live with the one
// before it: per function, the invocations each ran over the same length of
// time after it went live. That length is the window, or less when either
// of the two was live for less (replaced by the next, or live only since a
// moment ago): a version live for two minutes is set against the first two
// minutes of the one before, not its whole window.
func (p *Platform) TelemetryCompare(ctx context.Context, function string, window time.Duration) (server.VersionComparison, error) {
	st, err := p.spanStore(ctx)
	if err != nil {
		return server.VersionComparison{}, err
	}
	deps, err := p.liveDeployments(ctx)
	if err != nil {
		return server.VersionComparison{}, err
	}
	cmp := server.VersionComparison{Window: window, Versions: liveWindows(deps, window, time.Now()), Changes: []store.VersionChange{}}
	for i := 1; i < len(cmp.Versions); i++ {
		before, after := cmp.Versions[i-1], cmp.Versions[i]
		over := min(before.Until.Sub(before.Live), after.Until.Sub(after.Live))
		if over <= 0 {
			continue
		}
		var stats []store.FunctionStats
		for _, v := range []server.VersionWindow{before, after} {
			// Records carry their deployment: the query needs no clipping
			// at the next deployment.
			part, err := p.deploymentStats(ctx, st, v.Version, store.StatsFilter{Function: function, Since: v.Live, Until: v.Live.Add(over)})
			if err != nil {
				return server.VersionComparison{}, err
			}
			stats = append(stats, part...)
		}
		for _, c := range store.CompareVersions(stats) {
			c.Over = over
			cmp.Changes = append(cmp.Changes, c)
		}
	}
	slices.SortStableFunc(cmp.Changes, func(a, b store.VersionChange) int { return strings.Compare(a.Function, b.Function) })
	return cmp, nil
}

// liveWindows is how long each deployment (oldest first) was live, up to
// window: from when it went live until window later, when the next went
// live, or now, whichever is first.
func liveWindows(deps []Deployment, window time.Duration, now time.Time) []server.VersionWindow {
	out := make([]server.VersionWindow, 0, len(deps))
	for i, d := range deps {
		live := wentLive(d)
		till := live.Add(window)
		if i+1 < len(deps) {
			if next := wentLive(deps[i+1]); next.Before(till) {
				till = next
			}
		}
		if now.Before(till) {
			till = now
		}
		if till.Before(live) {
			till = live
		}
		out = append(out, server.VersionWindow{Version: d.Version, Live: live, Until: till})
	}
	return out
}

// wentLive is when a deployment went live; a record made before stacklab
// kept that has only when it started.
func wentLive(d Deployment) time.Time {
	if d.Live.IsZero() {
		return d.Time
	}
	return d.Live
}

// deploymentStats is Stats of the invocations one deployment ran, each
// line's Version set to the deployment number.
func (p *Platform) deploymentStats(ctx context.Context, st *store.Store, version int, f store.StatsFilter) ([]store.FunctionStats, error) {
	f.Deployment = strconv.Itoa(version)
	stats, err := st.Stats(ctx, f)
	if err != nil {
		return nil, err
	}
	for i := range stats {
		stats[i].Version = f.Deployment
	}
	return stats, nil
}

// liveDeployments are the deployments that went live (not the failed ones),
// oldest first.
func (p *Platform) liveDeployments(ctx context.Context) ([]Deployment, error) {
	all, err := p.Deployments(ctx)
	if err != nil {
		return nil, err
	}
	live := all[:0]
	for _, d := range all {
		if d.Outcome == "deployed" {
			live = append(live, d)
		}
	}
	return live, nil
}
