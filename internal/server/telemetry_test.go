package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/runtime"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{in: "15m", want: now.Add(-15 * time.Minute)},
		{in: "0s", want: now},
		{in: "2026-11-22T09:00:00Z", want: now.Add(-time.Hour)},
		{in: "2026-11-22T09:00:00.5+01:00", want: now.Add(-2*time.Hour + 500*time.Millisecond)},
		{in: "-5m", err: `since="-5m": give a positive duration`},
		{in: "1d", err: `since="1d": give a duration before now (15m, 2h) or an RFC 3339 time`},
		{in: "2026-11-22", err: "RFC 3339"},
	} {
		got, err := ParseSince("since", c.in, now)
		switch {
		case c.err == "" && (err != nil || !got.Equal(c.want)):
			t.Errorf("ParseSince(%q) = %v, %v; want %v", c.in, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ParseSince(%q) error = %v, want one with %q", c.in, err, c.err)
		}
	}
}

// TestParseTelemetry checks what each request asks of the platform: since
// defaults to 15 minutes before until (or now) for the map and stats, the
// trace list is open-ended, and bad parameters are named.
func TestParseTelemetry(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	nine := now.Add(-time.Hour)
	for _, c := range []struct {
		path string
		want telemetryQuery
		err  string
	}{
		{path: "/v1/traces", want: telemetryQuery{endpoint: "traces"}},
		{path: "/v1/traces?function=f&since=1h&until=30m&slow=100ms&errors=true&limit=7", want: telemetryQuery{endpoint: "traces",
			traces: store.TraceFilter{Function: "f", Since: nine, Until: now.Add(-30 * time.Minute), MinDuration: 100 * time.Millisecond, ErrorsOnly: true, Limit: 7}}},
		{path: "/v1/traces/1-6B026771-E721498F11BE74E967725EC8", want: telemetryQuery{endpoint: "trace", traceID: "6b026771e721498f11be74e967725ec8"}},
		{path: "/v1/map", want: telemetryQuery{endpoint: "map", since: now.Add(-15 * time.Minute)}},
		{path: "/v1/map?until=2026-11-22T09:00:00Z", want: telemetryQuery{endpoint: "map", since: nine.Add(-15 * time.Minute), until: nine}},
		{path: "/v1/stats?function=f&by=version&since=2h", want: telemetryQuery{endpoint: "stats", byVersion: true,
			stats: store.StatsFilter{Function: "f", Since: now.Add(-2 * time.Hour)}}},
		{path: "/v1/stats/compare", want: telemetryQuery{endpoint: "compare", window: DefaultTelemetryWindow}},
		{path: "/v1/stats/compare?since=1h&function=f", want: telemetryQuery{endpoint: "compare", stats: store.StatsFilter{Function: "f"}, window: time.Hour}},

		{path: "/v1/traces?since=30m&until=1h", err: `until="1h" is not after since="30m"`},
		{path: "/v1/traces?slow=-1s", err: `slow="-1s": give a duration`},
		{path: "/v1/traces?limit=100001", err: "from 1 to 10000"},
		{path: "/v1/traces?errors=maybe", err: "give errors=1 or errors=0"},
		{path: "/v1/traces/00000000000000000000000000000000", err: "32 hex digits or an X-Ray root"},
		{path: "/v1/map?since=tuesday", err: `since="tuesday"`},
		{path: "/v1/stats?by=color", err: `by="color": give by=version`},
		{path: "/v1/stats/compare?since=0s", err: "positive duration"},
		{path: "/v1/stats/everything", err: "not a telemetry endpoint"},
	} {
		u, _ := url.Parse(c.path)
		got, err := parseTelemetry(u.Path, u.Query(), now)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want one with %q", c.path, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.path, err)
		case c.err == "" && !reflect.DeepEqual(got, c.want):
			t.Errorf("%s:\n got %+v\nwant %+v", c.path, got, c.want)
		}
	}
}

// A platform that does not trace answers every telemetry endpoint with
// 503 and how to turn tracing on.
func TestTelemetryWithoutTracing(t *testing.T) {
	rt := runtime.New(runtime.Options{Logs: runtime.NewLogs("")})
	defer rt.Close()
	srv := httptest.NewServer(&Control{Token: "t", Platform: platformOf{rt}})
	defer srv.Close()
	for _, path := range []string{"/v1/traces", "/v1/traces/6b026771e721498f11be74e967725ec8", "/v1/map", "/v1/stats", "/v1/stats/compare", "/v1/telemetry"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"TracingOff"`) || !strings.Contains(string(body), "without --no-tracing") {
			t.Errorf("GET %s: %d %s; want 503 TracingOff", path, resp.StatusCode, body)
		}
	}
}

// tracingPlatform is a platform with no function deployed whose span store
// holds traces and stats of Old, a function removed since, and which is
// dropping records.
type tracingPlatform struct{ platformOf }

func (tracingPlatform) TelemetryTraces(_ context.Context, f store.TraceFilter) ([]store.TraceSummary, error) {
	if f.Function == "Old" {
		return []store.TraceSummary{{TraceID: strings.Repeat("ab", 16), RootName: "Old"}}, nil
	}
	return nil, nil
}
func (tracingPlatform) TelemetryTrace(context.Context, string) (telemetry.TraceView, error) {
	return telemetry.TraceView{}, nil
}
func (tracingPlatform) TelemetryMap(context.Context, time.Time, time.Time) (telemetry.MapReport, error) {
	return telemetry.MapReport{}, nil
}
func (tracingPlatform) TelemetryStats(_ context.Context, f store.StatsFilter, _ bool) ([]store.FunctionStats, error) {
	if f.Function == "Old" {
		return []store.FunctionStats{{Function: "Old", Invocations: 1}}, nil
	}
	return nil, nil
}
func (tracingPlatform) TelemetryCompare(context.Context, string, time.Duration) (VersionComparison, error) {
	return VersionComparison{}, nil
}
func (tracingPlatform) TelemetryStatus() (telemetry.Status, error) {
	return telemetry.Status{Dropping: true, Store: &store.Status{Dropping: true, DroppedSpans: 3, Fix: "free disk space"}}, nil
}

// A function that is neither deployed nor in the answer is a 404 naming
// it; one removed since that still has records is answered; the status
// endpoint says the store is dropping.
func TestTelemetryUnknownFunction(t *testing.T) {
	rt := runtime.New(runtime.Options{Logs: runtime.NewLogs("")})
	defer rt.Close()
	srv := httptest.NewServer(&Control{Token: "t", Platform: tracingPlatform{platformOf{rt}}})
	defer srv.Close()
	get := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, path := range []string{"/v1/traces?function=Nope", "/v1/stats?function=Nope", "/v1/stats/compare?function=Nope"} {
		if code, body := get(path); code != http.StatusNotFound || !strings.Contains(body, `"FunctionNotFound"`) ||
			!strings.Contains(body, `function=\"Nope\"`) || !strings.Contains(body, "deployed functions: none") {
			t.Errorf("GET %s: %d %s; want 404 FunctionNotFound naming Nope and the deployed functions", path, code, body)
		}
	}
	for _, path := range []string{"/v1/traces?function=Old", "/v1/stats?function=Old"} {
		if code, body := get(path); code != http.StatusOK || !strings.Contains(body, "Old") {
			t.Errorf("GET %s of a removed function with records: %d %s; want them", path, code, body)
		}
	}
	code, body := get("/v1/telemetry")
	var st telemetry.Status
	if code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil || !st.Dropping || st.Store == nil || st.Store.DroppedSpans != 3 || st.Store.Fix != "free disk space" {
		t.Errorf("GET /v1/telemetry: %d %s; want the store dropping, 3 spans lost and the fix", code, body)
	}
}
