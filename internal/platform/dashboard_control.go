package platform

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/stacklab/stacklab/internal/dashboard"
	"github.com/stacklab/stacklab/internal/plan"
	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// The dashboard's data (server.Dashboard): the running stack and earlier
// ones rebuilt from their recorded templates, the invocation records and
// cost from the span store, the experiment runs from the state folder.
var _ server.Dashboard = (*Platform)(nil)

// DashboardGraph lays out the stack of deployment version, or the running
// stack for 0.
func (p *Platform) DashboardGraph(ctx context.Context, version int) (dashboard.Graph, error) {
	if version == 0 {
		st := p.Stack()
		if st == nil {
			return dashboard.Graph{}, fmt.Errorf("%w: nothing is deployed yet", server.ErrNoDeployment)
		}
		cur, err := p.Current(ctx)
		if err != nil {
			return dashboard.Graph{}, err
		}
		if cur != nil {
			version = cur.Version
		}
		return dashboard.FromStack(st, version)
	}
	st, err := p.deployedStack(ctx, version)
	if err != nil {
		return dashboard.Graph{}, err
	}
	return dashboard.FromStack(st, version)
}

// DashboardDiff is what deploying deployment to's template over deployment
// from's stack changes.
func (p *Platform) DashboardDiff(ctx context.Context, from, to int) (dashboard.Diff, error) {
	a, err := p.deployedStack(ctx, from)
	if err != nil {
		return dashboard.Diff{}, err
	}
	b, err := p.deployedStack(ctx, to)
	if err != nil {
		return dashboard.Diff{}, err
	}
	return dashboard.DiffOf(from, to, plan.Diff(a, b)), nil
}

// deployedStack rebuilds the stack of a recorded deployment from its
// template's text and parameters.
func (p *Platform) deployedStack(ctx context.Context, version int) (*stack.Stack, error) {
	all, err := p.Deployments(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range all {
		if d.Version != version {
			continue
		}
		st, _, err := p.load(d.Template, []byte(d.Source), d.Params)
		if err != nil {
			return nil, fmt.Errorf("rebuilding deployment %d's stack (%s): %w", version, d.Outcome, err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("%w: there is no deployment %d", server.ErrNoDeployment, version)
}

// DashboardInvocations reads invocation records, newest first.
func (p *Platform) DashboardInvocations(ctx context.Context, f store.InvocationFilter) ([]model.Invocation, error) {
	st, err := p.spanStore(ctx)
	if err != nil {
		return nil, err
	}
	return st.Invocations(ctx, f)
}

// DashboardCost sums the cost of [since, until) by function and by the
// deployment that ran it.
func (p *Platform) DashboardCost(ctx context.Context, since, until time.Time) (dashboard.Cost, error) {
	f := store.StatsFilter{Since: since, Until: until}
	byFunction, err := p.TelemetryStats(ctx, f, false)
	if err != nil {
		return dashboard.Cost{}, err
	}
	byVersion, err := p.TelemetryStats(ctx, f, true)
	if err != nil {
		return dashboard.Cost{}, err
	}
	if until.IsZero() {
		until = time.Now()
	}
	ids := map[string]string{}
	for _, fn := range p.Functions() {
		ids[fn.Name] = fn.ID
	}
	return dashboard.CostOf(since, until, byFunction, byVersion, ids), nil
}

// DashboardCurrent is the running deployment; 0 and nil before the first.
func (p *Platform) DashboardCurrent(ctx context.Context) (int, any, error) {
	cur, err := p.Current(ctx)
	if err != nil || cur == nil {
		return 0, nil, err
	}
	return cur.Version, cur, nil
}

// DashboardExperiments is STATE/experiments, where 'stacklab experiment
// run' keeps its runs.
func (p *Platform) DashboardExperiments() string {
	return filepath.Join(p.StateDir(), "experiments")
}
