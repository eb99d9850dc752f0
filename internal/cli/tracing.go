package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/telemetry/export"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// Defaults of up's tracing flags: the span store's own defaults.
const (
	defaultTraceRetention = 7 * 24 * time.Hour
	defaultTraceMaxSize   = 256 << 20
)

// tracingFlags are up's flags for spans and invocation records.
type tracingFlags struct {
	off       bool
	endpoint  string
	protocol  string
	retention time.Duration
	maxSize   sizeFlag
}

func (t *tracingFlags) add(fl *pflag.FlagSet) {
	t.maxSize = defaultTraceMaxSize
	fl.BoolVar(&t.off, "no-tracing", false, "record no spans and no invocation records (no span store, no export)")
	fl.StringVar(&t.endpoint, "otlp-endpoint", "", "also export spans to an OpenTelemetry collector at `URL` (Jaeger, Tempo, ...): http://localhost:4318 for HTTP, http://localhost:4317 for gRPC")
	fl.StringVar(&t.protocol, "otlp-protocol", "http", "OTLP protocol of --otlp-endpoint: http or grpc")
	fl.DurationVar(&t.retention, "trace-retention", defaultTraceRetention, "keep spans and invocation records this long")
	fl.Var(&t.maxSize, "trace-max-size", "keep the span store under this size by deleting the oldest traces, as 256MiB or 1GB")
}

// options checks the flags and turns them into the platform's options.
func (t *tracingFlags) options(fl *pflag.FlagSet) (platform.TracingOptions, error) {
	if t.off {
		for _, name := range []string{"otlp-endpoint", "otlp-protocol", "trace-retention", "trace-max-size"} {
			if fl.Changed(name) {
				return platform.TracingOptions{}, usagef("--no-tracing records nothing: --%s has no use with it; drop one of them", name)
			}
		}
		return platform.TracingOptions{Off: true}, nil
	}
	if t.retention <= 0 {
		return platform.TracingOptions{}, usagef("--trace-retention %s: give a duration above 0, as 24h or 168h", t.retention)
	}
	opts := platform.TracingOptions{Store: store.Options{MaxAge: t.retention, MaxBytes: int64(t.maxSize),
		Smaller: fmt.Sprintf("restart 'stacklab up' with a lower --trace-max-size (now %s) or --trace-retention (now %s)", t.maxSize.String(), age(t.retention))}}
	switch {
	case t.endpoint != "":
		if t.protocol != "http" && t.protocol != "grpc" {
			return platform.TracingOptions{}, usagef("--otlp-protocol %q: want http or grpc", t.protocol)
		}
		cfg := &export.Config{Endpoint: t.endpoint, Protocol: t.protocol}
		if err := cfg.Validate(); err != nil {
			return platform.TracingOptions{}, usagef("--otlp-endpoint: %v", err)
		}
		opts.Export = cfg
	case fl.Changed("otlp-protocol"):
		return platform.TracingOptions{}, usagef("--otlp-protocol needs --otlp-endpoint, the collector to export to")
	}
	return opts, nil
}

// printTracing is up's line about where traces go.
func printTracing(w io.Writer, p *platform.Platform, opts platform.TracingOptions) {
	switch {
	case opts.Off:
		fmt.Fprintf(w, "  traces       off (--no-tracing)\n")
		return
	case p.Telemetry() == nil:
		fmt.Fprintf(w, "  traces       off: the span store did not open (see the log above)\n")
		return
	}
	size := sizeFlag(opts.Store.MaxBytes)
	fmt.Fprintf(w, "  traces       %s (kept %s, up to %s; stacklab traces, stacklab trace ID)\n",
		p.Telemetry().Store().Path(), age(opts.Store.MaxAge), size.String())
	if opts.Export != nil {
		fmt.Fprintf(w, "    exported over OTLP/%s to %s\n", opts.Export.Protocol, opts.Export.Endpoint)
	}
}

// age writes a retention in days when it is whole days ("7d"), else as a
// duration.
func age(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
