package cli

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/telemetry/export"
	"github.com/stacklab/stacklab/internal/telemetry/store"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// TestTracingFlags turns up's tracing flags into platform options and
// refuses the combinations that make no sense, naming the flag.
func TestTracingFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want func(platform.TracingOptions) bool
		err  string
	}{
		{nil, func(o platform.TracingOptions) bool {
			return !o.Off && o.Export == nil && o.Store.MaxAge == 7*24*time.Hour && o.Store.MaxBytes == 256<<20
		}, ""},
		{[]string{"--no-tracing"}, func(o platform.TracingOptions) bool { return o.Off }, ""},
		{[]string{"--trace-retention", "36h", "--trace-max-size", "1GB"}, func(o platform.TracingOptions) bool {
			return o.Store.MaxAge == 36*time.Hour && o.Store.MaxBytes == 1e9
		}, ""},
		{[]string{"--otlp-endpoint", "http://localhost:4317", "--otlp-protocol", "grpc"}, func(o platform.TracingOptions) bool {
			return o.Export != nil && o.Export.Endpoint == "http://localhost:4317" && o.Export.Protocol == "grpc" && o.Export.Validate() == nil
		}, ""},
		{[]string{"--otlp-endpoint", "localhost:4318"}, func(o platform.TracingOptions) bool {
			return o.Export != nil && o.Export.Protocol == "http"
		}, ""},
		{[]string{"--no-tracing", "--otlp-endpoint", "http://localhost:4318"}, nil, "--no-tracing records nothing: --otlp-endpoint"},
		{[]string{"--otlp-endpoint", "http://localhost:4318", "--otlp-protocol", "thrift"}, nil, `--otlp-protocol "thrift": want http or grpc`},
		{[]string{"--otlp-protocol", "grpc"}, nil, "--otlp-protocol needs --otlp-endpoint"},
		{[]string{"--otlp-endpoint", "ftp://collector"}, nil, "--otlp-endpoint: otlp export"},
		{[]string{"--trace-retention", "-1h"}, nil, "--trace-retention -1h0m0s: give a duration above 0"},
		{[]string{"--trace-max-size", "lots"}, nil, `"lots" is not a size`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var f tracingFlags
			fl := pflag.NewFlagSet("up", pflag.ContinueOnError)
			f.add(fl)
			err := fl.Parse(tt.args)
			var o platform.TracingOptions
			if err == nil {
				o, err = f.options(fl)
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(o) {
				t.Errorf("options %+v (export %+v)", o, o.Export)
			}
		})
	}
	// Up refuses them before it starts anything.
	_, stderr, code := run("up", "--no-tracing", "--trace-retention", "1h")
	if code != 2 || !strings.Contains(stderr, "--trace-retention has no use") {
		t.Errorf("up --no-tracing --trace-retention 1h: exit %d, %s", code, stderr)
	}
}

// TestUpTraces runs up with tracing (the default): it names the span store,
// and its gateway continues a client's trace and answers with it.
func TestUpTraces(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs functions")
	}
	state := filepath.Join(t.TempDir(), ".stacklab")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan server.Endpoints, 1)
	done := make(chan error, 1)
	var stdout, stderr bytes.Buffer
	opts := platform.TracingOptions{Store: store.Options{MaxAge: 48 * time.Hour, MaxBytes: 64 << 20}, Export: &export.Config{Endpoint: "http://127.0.0.1:1", Protocol: "http"}}
	go func() {
		done <- runUp(ctx, &stdout, &stderr, upConfig{file: "testdata/up/template.yaml", state: state, listen: "127.0.0.1:0", control: "127.0.0.1:0",
			platform: platform.Options{StateDir: state, Tracing: opts}, ready: ready})
	}()
	var ep server.Endpoints
	select {
	case ep = <-ready:
	case err := <-done:
		t.Fatalf("up ended: %v\n%s\n%s", err, &stdout, &stderr)
	case <-time.After(2 * time.Minute):
		t.Fatal("up did not become ready in 2 minutes")
	}
	db, _ := filepath.Abs(filepath.Join(state, "telemetry", store.FileName))
	for _, want := range []string{"traces       " + db + " (kept 2d, up to 64MiB;", "exported over OTLP/http to http://127.0.0.1:1"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("up's listing lacks %q:\n%s", want, &stdout)
		}
	}
	const trace = "5759e988bd862e3fe1be46a994272793"
	req, _ := http.NewRequest("GET", ep.Gateway+"/echo/ada", nil)
	req.Header.Set("traceparent", "00-"+trace+"-53995c3f42cd8ad8-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sc, err := tracectx.ParseTraceparent(resp.Header.Get("traceparent"))
	if resp.StatusCode != 200 || err != nil || sc.TraceID().String() != trace {
		t.Errorf("GET /echo/ada: %d, traceparent %q (%v); want 200 in trace %s", resp.StatusCode, resp.Header.Get("traceparent"), err, trace)
	}
	// stacklab invoke names the trace of the invocation, sync and async.
	for _, args := range [][]string{{"invoke", "Echo", "--state", state}, {"invoke", "Echo", "--state", state, "--async"}} {
		_, stderr, code := run(args...)
		m := regexp.MustCompile(`(?m)^trace ([0-9a-f]{32}) \(stacklab trace ([0-9a-f]{32})\)$`).FindStringSubmatch(stderr)
		if code != 0 || m == nil || m[1] != m[2] {
			t.Errorf("%s: exit %d, stderr %q; want a line naming the trace", strings.Join(args, " "), code, stderr)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("up returned %v", err)
	}
}
