package platform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/telemetry/metrics"
)

// series gathers the families named from m, as "family{label=value,...}"
// (labels sorted) to value.
func series(t *testing.T, m *metrics.Metrics, families ...string) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, f := range families {
		want[f] = true
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if !want[mf.GetName()] {
			continue
		}
		for _, s := range mf.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			v := s.GetCounter().GetValue() + s.GetGauge().GetValue() + float64(s.GetHistogram().GetSampleCount())
			out[mf.GetName()+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	return out
}

// TestMetricsFollowDeployments: the version label is the deployment an
// invocation ran under; a deploy starts its functions' counters at 0 and
// the series of the version before it, and of a function it removed, go.
func TestMetricsFollowDeployments(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs functions")
	}
	ctx := context.Background()
	code, _ := filepath.Abs("../runtime/testdata/echo")
	dir := t.TempDir()
	write := func(name string, fns ...string) string {
		var b strings.Builder
		b.WriteString("Transform: AWS::Serverless-2016-10-31\nResources:\n")
		for _, fn := range fns {
			fmt.Fprintf(&b, "  %s:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: %s\n      Handler: bootstrap\n      Runtime: provided.al2023\n      Timeout: 5\n", fn, code)
		}
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	both, one := write("both.yaml", "Echo", "Other"), write("one.yaml", "Echo")
	p, err := New(Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m := metrics.New()
	p.Instrument(m)

	if _, err := p.Deploy(ctx, both); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	got := series(t, m, metrics.ErrorsTotal, metrics.ThrottlesTotal, metrics.TelemetryDroppedTotal)
	for _, k := range []string{
		"stacklab_errors_total{function=Echo,version=1}", "stacklab_errors_total{function=Other,version=1}",
		"stacklab_throttles_total{function=Echo,version=1}", "stacklab_throttles_total{function=Other,version=1}",
		"stacklab_telemetry_dropped_total{kind=span,sink=store}", "stacklab_telemetry_dropped_total{kind=invocation,sink=store}",
	} {
		if v, ok := got[k]; !ok || v != 0 {
			t.Errorf("after deployment 1, before any invocation: %s = %v (served %v), want 0\n%v", k, v, ok, got)
		}
	}
	if _, err := p.Invoke(ctx, invoke.Request{Function: "Echo", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if got := series(t, m, metrics.InvocationsTotal); got["stacklab_invocations_total{function=Echo,outcome=ok,version=1}"] != 1 {
		t.Errorf("an invocation under deployment 1 is not counted under version 1: %v", got)
	}

	if _, err := p.Deploy(ctx, one); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if _, err := p.Invoke(ctx, invoke.Request{Function: "Echo", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	got = series(t, m, metrics.InvocationsTotal, metrics.ErrorsTotal, metrics.InvocationDuration)
	if got["stacklab_invocations_total{function=Echo,outcome=ok,version=2}"] != 1 || got["stacklab_errors_total{function=Echo,version=2}"] != 0 {
		t.Errorf("deployment 2: want one ok invocation and 0 errors under version 2: %v", got)
	}
	for k := range got {
		if strings.Contains(k, "version=1") || strings.Contains(k, "function=Other") {
			t.Errorf("after deployment 2 removed Other: %s is still served", k)
		}
	}
}
