package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// StatsFilter selects invocations for Stats.
type StatsFilter struct {
	// Function keeps one function; "" keeps all.
	Function string
	// Deployment keeps the invocations run by one deployment (the record's
	// Deployment, the platform's deployment number); "" keeps all.
	Deployment string
	// Since and Until bound the invocations' start; Until zero means now.
	Since, Until time.Time
	// ByVersion splits each function's numbers by deployment version.
	ByVersion bool
	// Prices, when set, recomputes cost from the stored billed duration and
	// memory instead of using the cost stored with each record.
	Prices *model.Prices
}

// Latency holds nearest-rank percentiles of a set of durations.
type Latency struct {
	P50, P95, P99, Max time.Duration
}

// FunctionStats are the numbers of one function (and version, when split)
// over a window.
type FunctionStats struct {
	Function string
	// Version is "" unless the stats are split by version.
	Version     string
	Invocations int
	Errors      int
	Throttles   int
	ColdStarts  int
	// ColdStartRate and ErrorRate are over the invocations that ran (not
	// throttled); 0 when none ran.
	ColdStartRate float64
	ErrorRate     float64
	// Duration and Init are over the invocations that ran.
	Duration Latency
	Init     Latency
	// Outcomes counts invocations by outcome.
	Outcomes  map[model.Outcome]int
	GBSeconds float64
	Cost      float64
}

// Stats returns per-function (and per-version) invocation statistics over a
// window, ordered by function then version.
func (s *Store) Stats(ctx context.Context, f StatsFilter) ([]FunctionStats, error) {
	if f.Prices != nil {
		if err := f.Prices.Validate(); err != nil {
			return nil, fmt.Errorf("invocation stats: %w", err)
		}
	}
	since, until := window(f.Since, f.Until)
	q := `SELECT function, version, init_ns, duration_ns, billed_ns, memory_mb, cold, outcome, gb_seconds, cost
		FROM invocations WHERE start_ns >= ? AND start_ns < ?`
	args := []any{since, until}
	if f.Function != "" {
		q += ` AND function = ?`
		args = append(args, f.Function)
	}
	if f.Deployment != "" {
		q += ` AND deployment = ?`
		args = append(args, f.Deployment)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("invocation stats: %w", err)
	}
	defer rows.Close()
	type key struct{ fn, version string }
	type acc struct {
		st          FunctionStats
		durs, inits []time.Duration
	}
	groups := map[key]*acc{}
	for rows.Next() {
		var (
			fn, version, outcome    string
			initNs, durNs, billedNs int64
			mem                     int
			cold                    bool
			gbs, cost               float64
		)
		if err := rows.Scan(&fn, &version, &initNs, &durNs, &billedNs, &mem, &cold, &outcome, &gbs, &cost); err != nil {
			return nil, fmt.Errorf("invocation stats: %w", err)
		}
		k := key{fn: fn}
		if f.ByVersion {
			k.version = version
		}
		a := groups[k]
		if a == nil {
			a = &acc{st: FunctionStats{Function: fn, Version: k.version, Outcomes: map[model.Outcome]int{}}}
			groups[k] = a
		}
		o := model.Outcome(outcome)
		a.st.Invocations++
		a.st.Outcomes[o]++
		if f.Prices != nil {
			gbs, cost = 0, 0
			if o != model.OutcomeThrottled {
				gbs = float64(mem) / 1024 * time.Duration(billedNs).Seconds()
				cost = gbs*f.Prices.PerGBSecond + f.Prices.PerRequest
			}
		}
		a.st.GBSeconds += gbs
		a.st.Cost += cost
		if o == model.OutcomeThrottled {
			a.st.Throttles++
			continue
		}
		if o.IsError() {
			a.st.Errors++
		}
		if cold {
			a.st.ColdStarts++
			a.inits = append(a.inits, time.Duration(initNs))
		}
		a.durs = append(a.durs, time.Duration(durNs))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("invocation stats: %w", err)
	}
	out := make([]FunctionStats, 0, len(groups))
	for _, a := range groups {
		if ran := len(a.durs); ran > 0 {
			a.st.ColdStartRate = float64(a.st.ColdStarts) / float64(ran)
			a.st.ErrorRate = float64(a.st.Errors) / float64(ran)
		}
		a.st.Duration = percentiles(a.durs)
		a.st.Init = percentiles(a.inits)
		out = append(out, a.st)
	}
	slices.SortFunc(out, func(a, b FunctionStats) int {
		return cmp.Or(cmp.Compare(a.Function, b.Function), cmp.Compare(a.Version, b.Version))
	})
	return out, nil
}

// Node is a resource in the service map.
type Node struct {
	Resource string
	// Calls counts the spans by which work entered the resource (spans whose
	// parent is in another resource or absent).
	Calls  int
	Errors int
	// Rate is Calls per second over the window.
	Rate      float64
	ErrorRate float64
	Latency   Latency
}

// Edge is a caller -> callee relation between two resources.
type Edge struct {
	From, To string
	// Calls counts child spans in To whose parent is in From, and spans in
	// To linked to a span in From. Links counts the calls of Calls that
	// came through span links: the children of a batch span in From that
	// links the spans of its messages (an SQS batch of messages sent in
	// several calls, a stream's records of several writes), and the spans
	// in To linked to a span in From.
	Calls     int
	Links     int
	Errors    int
	ErrorRate float64
	// Latency is of the callee spans.
	Latency Latency
}

// Map is the service map over a window.
type Map struct {
	Since, Until time.Time
	Nodes        []Node
	Edges        []Edge
}

// ServiceMap derives nodes and edges from the spans that started in
// [since, until) (until zero means now): an edge from A to B for every span of
// resource B whose parent, or a linked span, belongs to resource A. A call
// whose parent has links (a batch: the links are the messages it carries)
// counts in the edge's Links too.
func (s *Store) ServiceMap(ctx context.Context, since, until time.Time) (Map, error) {
	lo, hi := window(since, until)
	m := Map{Since: time.Unix(0, lo), Until: time.Unix(0, hi)}
	if until.IsZero() {
		m.Until = time.Now()
	}
	spans, err := s.windowSpans(ctx, lo, hi)
	if err != nil {
		return Map{}, fmt.Errorf("service map: %w", err)
	}
	type nodeAcc struct {
		n    Node
		durs []time.Duration
	}
	type edgeKey struct{ from, to string }
	type edgeAcc struct {
		e    Edge
		durs []time.Duration
	}
	nodes := map[string]*nodeAcc{}
	edges := map[edgeKey]*edgeAcc{}
	addEdge := func(from, to string, d time.Duration, isErr, link bool) {
		k := edgeKey{from, to}
		e := edges[k]
		if e == nil {
			e = &edgeAcc{e: Edge{From: from, To: to}}
			edges[k] = e
		}
		e.e.Calls++
		if link {
			e.e.Links++
		}
		if isErr {
			e.e.Errors++
		}
		e.durs = append(e.durs, d)
	}
	// The resource of each span in the window, and whether it has links, to
	// find parents in; a parent outside it (the window began after it) is
	// looked up.
	type spanInfo struct {
		resource string
		linked   bool
	}
	infos := make(map[spanKey]spanInfo, len(spans))
	for _, sp := range spans {
		infos[spanKey{sp.trace, sp.id}] = spanInfo{sp.resource, hasLinks(sp.links)}
	}
	infoOf := func(trace, span string) spanInfo {
		k := spanKey{trace, span}
		if in, ok := infos[k]; ok {
			return in
		}
		var in spanInfo
		var links string
		if err := s.db.QueryRowContext(ctx, `SELECT resource, links FROM all_spans WHERE trace_id = ? AND span_id = ?`, trace, span).Scan(&in.resource, &links); err != nil {
			in = spanInfo{} // the span is gone, or never came
		}
		in.linked = hasLinks(links)
		infos[k] = in
		return in
	}
	resourceOf := func(trace, span string) string { return infoOf(trace, span).resource }
	for _, sp := range spans {
		if sp.parentOnly || sp.resource == "" {
			continue
		}
		var parent spanInfo
		if sp.parent != "" {
			parent = infoOf(sp.trace, sp.parent)
		}
		parentRes := parent.resource
		if parentRes != sp.resource {
			n := nodes[sp.resource]
			if n == nil {
				n = &nodeAcc{n: Node{Resource: sp.resource}}
				nodes[sp.resource] = n
			}
			n.n.Calls++
			if sp.err {
				n.n.Errors++
			}
			n.durs = append(n.durs, sp.dur)
		}
		if parentRes != "" && parentRes != sp.resource {
			// A parent with links is a batch (its links are its messages'
			// senders): the call came through them.
			addEdge(parentRes, sp.resource, sp.dur, sp.err, parent.linked)
		}
		if !hasLinks(sp.links) {
			continue
		}
		var ls []model.Link
		if json.Unmarshal([]byte(sp.links), &ls) != nil {
			continue
		}
		froms := map[string]bool{}
		for _, l := range ls {
			if from := resourceOf(l.TraceID, l.SpanID); from != "" && from != sp.resource {
				froms[from] = true
			}
		}
		for from := range froms {
			addEdge(from, sp.resource, sp.dur, sp.err, true)
		}
	}
	secs := m.Until.Sub(m.Since).Seconds()
	for _, n := range nodes {
		if n.n.Calls > 0 {
			n.n.ErrorRate = float64(n.n.Errors) / float64(n.n.Calls)
		}
		if secs > 0 {
			n.n.Rate = float64(n.n.Calls) / secs
		}
		n.n.Latency = percentiles(n.durs)
		m.Nodes = append(m.Nodes, n.n)
	}
	for _, e := range edges {
		e.e.ErrorRate = float64(e.e.Errors) / float64(e.e.Calls)
		e.e.Latency = percentiles(e.durs)
		m.Edges = append(m.Edges, e.e)
	}
	slices.SortFunc(m.Nodes, func(a, b Node) int { return cmp.Compare(a.Resource, b.Resource) })
	slices.SortFunc(m.Edges, func(a, b Edge) int { return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To)) })
	return m, nil
}

type spanKey struct{ trace, span string }

// hasLinks reports whether a span's links column holds any.
func hasLinks(links string) bool { return links != "" && links != "[]" }

// mapSpan is what the service map reads of a span.
type mapSpan struct {
	trace, id, parent, resource string
	dur                         time.Duration
	err                         bool
	links                       string
	// parentOnly: a run span, read to be found as a parent (its parent is
	// in its own resource, so it is neither a node's call nor an edge).
	parentOnly bool
}

// windowSpans reads the spans that started in [lo, hi) with what the
// service map needs, from the spans table and from invocation records
// (not through all_spans: a join or a correlated lookup on that view
// makes SQLite materialise all of it).
func (s *Store) windowSpans(ctx context.Context, lo, hi int64) ([]mapSpan, error) {
	var out []mapSpan
	rows, err := s.db.QueryContext(ctx, `SELECT trace_id, span_id, parent_id, resource, end_ns - start_ns, status = 'error', links
		FROM spans WHERE start_ns >= ? AND start_ns < ?`, lo, hi)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var sp mapSpan
		if err := rows.Scan(&sp.trace, &sp.id, &sp.parent, &sp.resource, &sp.dur, &sp.err, &sp.links); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, sp)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// An entry span (the call the invocation served) is read with its
	// record, which started within it: one that started before lo with its
	// record after it is counted, as if it had started at the record.
	rows, err = s.db.QueryContext(ctx, `SELECT trace_id, span_id, parent_id, run_id, resource, end_ns - start_ns, outcome <> 'ok',
			entry_name <> '', entry_parent_id, entry_resource, entry_end_ns - entry_start_ns, entry_status = 'error'
		FROM invocations WHERE start_ns >= ? AND start_ns < ? AND trace_id <> '' AND span_id <> ''`, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			sp, entry mapSpan
			run       string
			hasEntry  bool
		)
		if err := rows.Scan(&sp.trace, &sp.id, &sp.parent, &run, &sp.resource, &sp.dur, &sp.err,
			&hasEntry, &entry.parent, &entry.resource, &entry.dur, &entry.err); err != nil {
			return nil, err
		}
		out = append(out, sp)
		if hasEntry {
			entry.trace, entry.id = sp.trace, sp.parent
			out = append(out, entry)
		}
		if run != "" {
			out = append(out, mapSpan{trace: sp.trace, id: run, parent: sp.id, resource: sp.resource, parentOnly: true})
		}
	}
	return out, rows.Err()
}

// window turns optional bounds into Unix nanoseconds; a zero until is open.
func window(since, until time.Time) (int64, int64) {
	lo, hi := int64(0), int64(1<<63-1)
	if !since.IsZero() {
		lo = since.UnixNano()
	}
	if !until.IsZero() {
		hi = until.UnixNano()
	}
	return lo, hi
}

// percentiles returns nearest-rank percentiles; it sorts ds.
func percentiles(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	rank := func(q float64) time.Duration {
		i := int(math.Ceil(q*float64(len(ds)))) - 1
		return ds[min(max(i, 0), len(ds)-1)]
	}
	return Latency{P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: ds[len(ds)-1]}
}
