package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// Telemetry serves the telemetry endpoints; a Platform that traces
// implements it. Every method returns ErrTracingOff when the platform runs
// without tracing, store.ErrTraceNotFound for an unknown trace.
//
//	GET /v1/traces?function=&since=&until=&slow=&errors=&limit=   newest first
//	GET /v1/traces/{id}                    spans and critical path (32 hex or X-Ray root)
//	GET /v1/map?since=&until=              service map and bottleneck
//	GET /v1/stats?function=&since=&until=&by=version
//	GET /v1/stats/compare?since=D&function=   each deployment against the one before
//	GET /v1/telemetry                      the span store's and export's state (TelemetryStatus)
//
// A function given by a name or logical id that is not deployed, and that
// has nothing in the answer, is a 404 FunctionNotFound listing the deployed
// functions: a function removed since keeps its traces.
type Telemetry interface {
	TelemetryTraces(ctx context.Context, f store.TraceFilter) ([]store.TraceSummary, error)
	TelemetryTrace(ctx context.Context, id string) (telemetry.TraceView, error)
	TelemetryMap(ctx context.Context, since, until time.Time) (telemetry.MapReport, error)
	// TelemetryStats splits by deployment version when byVersion is set.
	TelemetryStats(ctx context.Context, f store.StatsFilter, byVersion bool) ([]store.FunctionStats, error)
	// TelemetryCompare compares each deployment with the one before it,
	// each over window after it went live.
	TelemetryCompare(ctx context.Context, function string, window time.Duration) (VersionComparison, error)
}

// TelemetryStatus is a Telemetry that tells how recording goes: whether
// the span store or export is dropping records (GET /v1/telemetry).
type TelemetryStatus interface {
	TelemetryStatus() (telemetry.Status, error)
}

// VersionComparison is the answer of GET /v1/stats/compare.
type VersionComparison struct {
	// Window is how long after each deployment went live its invocations
	// were counted.
	Window time.Duration
	// Versions are the deployments compared, oldest first.
	Versions []VersionWindow
	// Changes pair each deployment's stats with the one before it, per
	// function (Before/After.Version is the deployment number).
	Changes []store.VersionChange
}

// VersionWindow is the window over which one deployment was measured.
type VersionWindow struct {
	Version int
	// Live is when the deployment went live; Until is the end of its
	// window (Live+Window, or when the next went live, or now).
	Live, Until time.Time
}

// ErrTracingOff is returned by the telemetry endpoints of a platform that
// runs without tracing.
var ErrTracingOff = errors.New("tracing is off on this platform: it was started with --no-tracing, or its span store did not open (its log says why); restart it with 'stacklab up' without --no-tracing")

// DefaultTelemetryWindow is the window of the map and the stats when the
// request gives no since.
const DefaultTelemetryWindow = 15 * time.Minute

// maxTraceLimit bounds ?limit= of the trace list.
const maxTraceLimit = 10000

// badParam is a parameter error that names the parameter and the fix.
type badParam struct{ msg string }

func (e badParam) Error() string { return e.msg }

func paramErr(format string, args ...any) error { return badParam{fmt.Sprintf(format, args...)} }

// ParseSince reads a point in time given as a duration before now ("15m")
// or an RFC 3339 time. name is the parameter, for the error.
func ParseSince(name, s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, paramErr("%s=%q: give a positive duration (15m) or an RFC 3339 time", name, s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, paramErr("%s=%q: give a duration before now (15m, 2h) or an RFC 3339 time (2026-11-22T10:00:00Z)", name, s)
}

func (c *Control) telemetry(w http.ResponseWriter, r *http.Request, path string) {
	tp, ok := c.Platform.(Telemetry)
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "TracingOff", ErrTracingOff.Error())
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "NotFound", r.Method+" "+r.URL.Path+": the telemetry endpoints answer GET only")
		return
	}
	if path == "/v1/telemetry" {
		ts, ok := tp.(TelemetryStatus)
		if !ok {
			writeError(w, http.StatusNotFound, "NotFound", "this platform does not report its telemetry's state")
			return
		}
		st, err := ts.TelemetryStatus()
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "TracingOff", ErrTracingOff.Error())
			return
		}
		writeJSON(w, http.StatusOK, st)
		return
	}
	q := r.URL.Query()
	// Records and spans name a function by its name; the logical id names
	// it too, as for invoke and logs.
	fn := q.Get("function")
	known := fn == ""
	var deployed []string
	if fn != "" {
		for _, f := range c.Platform.Functions() {
			deployed = append(deployed, f.Name)
			if f.ID == fn || f.Name == fn {
				q.Set("function", f.Name)
				known = true
			}
		}
	}
	t, err := parseTelemetry(path, q, time.Now())
	var v any
	if err == nil {
		v, err = serveTelemetry(r.Context(), tp, t)
	}
	if err == nil && !known && emptyAnswer(v) {
		list := "none"
		if len(deployed) > 0 {
			slices.Sort(deployed)
			list = strings.Join(deployed, ", ")
		}
		writeError(w, http.StatusNotFound, "FunctionNotFound",
			fmt.Sprintf("function=%q: no function of that name or logical id is deployed, and none has records in the window; deployed functions: %s", fn, list))
		return
	}
	if err != nil {
		var bp badParam
		switch {
		case errors.As(err, &bp), errors.Is(err, store.ErrBadTraceID):
			writeError(w, http.StatusBadRequest, "InvalidParameterValue", err.Error())
		case errors.Is(err, store.ErrTraceNotFound):
			writeError(w, http.StatusNotFound, "TraceNotFound", err.Error()+" (it may be older than the store's retention, or its spans are not written yet: try again in a second)")
		case errors.Is(err, ErrTracingOff), errors.Is(err, telemetry.ErrNoStore):
			writeError(w, http.StatusServiceUnavailable, "TracingOff", ErrTracingOff.Error())
		default:
			writeError(w, http.StatusInternalServerError, "TelemetryError", err.Error())
		}
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// emptyAnswer reports whether a telemetry answer holds nothing of a
// function: no traces, no stats, no comparison.
func emptyAnswer(v any) bool {
	switch a := v.(type) {
	case []store.TraceSummary:
		return len(a) == 0
	case []store.FunctionStats:
		return len(a) == 0
	case VersionComparison:
		return len(a.Changes) == 0
	}
	return false
}

// telemetryQuery is one telemetry request, its parameters parsed.
type telemetryQuery struct {
	endpoint  string // traces, trace, map, stats or compare
	traceID   string // trace: 32 lower-case hex digits
	traces    store.TraceFilter
	stats     store.StatsFilter // stats and compare (Function)
	byVersion bool
	// since and until bound the map; window is compare's.
	since, until time.Time
	window       time.Duration
}

// parseTelemetry reads the path and parameters of a telemetry request at
// time now; an error names the parameter and the fix.
func parseTelemetry(path string, q url.Values, now time.Time) (telemetryQuery, error) {
	p := params{q: q, now: now}
	var t telemetryQuery
	switch {
	case path == "/v1/traces":
		since, until := p.window(0)
		t = telemetryQuery{endpoint: "traces", traces: store.TraceFilter{Function: q.Get("function"), Since: since, Until: until,
			MinDuration: p.duration("slow"), ErrorsOnly: p.bool("errors"), Limit: p.limit()}}
	case strings.HasPrefix(path, "/v1/traces/"):
		id, err := store.NormalizeTraceID(strings.TrimPrefix(path, "/v1/traces/"))
		if err != nil {
			return t, err
		}
		t = telemetryQuery{endpoint: "trace", traceID: id}
	case path == "/v1/map":
		t.endpoint = "map"
		t.since, t.until = p.window(DefaultTelemetryWindow)
	case path == "/v1/stats":
		since, until := p.window(DefaultTelemetryWindow)
		t = telemetryQuery{endpoint: "stats", stats: store.StatsFilter{Function: q.Get("function"), Since: since, Until: until}}
		switch by := q.Get("by"); by {
		case "", "function":
		case "version":
			t.byVersion = true
		default:
			p.fail("by=%q: give by=version to split by deployment version, or leave it out", by)
		}
	case path == "/v1/stats/compare":
		t = telemetryQuery{endpoint: "compare", stats: store.StatsFilter{Function: q.Get("function")}, window: DefaultTelemetryWindow}
		if s := q.Get("since"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				p.fail("since=%q: give the window after each deployment went live as a positive duration (15m, 1h)", s)
			}
			t.window = d
		}
	default:
		return t, paramErr("GET %s is not a telemetry endpoint: use /v1/traces, /v1/traces/{id}, /v1/map, /v1/stats or /v1/stats/compare", path)
	}
	return t, p.err
}

// serveTelemetry answers one telemetry request from the platform. Lists
// are never null in JSON.
func serveTelemetry(ctx context.Context, tp Telemetry, t telemetryQuery) (any, error) {
	switch t.endpoint {
	case "traces":
		list, err := tp.TelemetryTraces(ctx, t.traces)
		if list == nil {
			list = []store.TraceSummary{}
		}
		return list, err
	case "trace":
		return tp.TelemetryTrace(ctx, t.traceID)
	case "map":
		m, err := tp.TelemetryMap(ctx, t.since, t.until)
		if m.Nodes == nil {
			m.Nodes = []store.Node{}
		}
		if m.Edges == nil {
			m.Edges = []store.Edge{}
		}
		return m, err
	case "stats":
		stats, err := tp.TelemetryStats(ctx, t.stats, t.byVersion)
		if stats == nil {
			stats = []store.FunctionStats{}
		}
		return stats, err
	}
	return tp.TelemetryCompare(ctx, t.stats.Function, t.window)
}

// params reads query parameters, keeping the first error.
type params struct {
	q   url.Values
	now time.Time
	err error
}

func (p *params) fail(format string, args ...any) {
	if p.err == nil {
		p.err = paramErr(format, args...)
	}
}

// window reads since and until and checks that until comes after since.
// Without since, the window is the span def before until (or now); def 0
// leaves it open.
func (p *params) window(def time.Duration) (since, until time.Time) {
	until = p.time("until", time.Time{})
	end := until
	if end.IsZero() {
		end = p.now
	}
	if def > 0 {
		since = end.Add(-def)
	}
	since = p.time("since", since)
	if p.err == nil && !until.IsZero() && !until.After(since) {
		p.fail("until=%q is not after since=%q: give a window that ends after it starts", p.q.Get("until"), p.q.Get("since"))
	}
	return since, until
}

func (p *params) time(name string, def time.Time) time.Time {
	s := p.q.Get(name)
	if s == "" {
		return def
	}
	t, err := ParseSince(name, s, p.now)
	if err != nil && p.err == nil {
		p.err = err
	}
	return t
}

func (p *params) duration(name string) time.Duration {
	s := p.q.Get(name)
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		p.fail("%s=%q: give a duration such as 100ms or 2s", name, s)
	}
	return d
}

func (p *params) bool(name string) bool {
	s := p.q.Get(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		p.fail("%s=%q: give %s=1 or %s=0", name, s, name, name)
	}
	return b
}

func (p *params) limit() int {
	s := p.q.Get("limit")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxTraceLimit {
		p.fail("limit=%q: give a number of traces from 1 to %d", s, maxTraceLimit)
	}
	return n
}
