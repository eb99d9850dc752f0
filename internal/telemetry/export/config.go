package export

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
)

// Protocols for Config.Protocol.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// Config says where and how to export. Zero fields take the defaults named
// on them.
type Config struct {
	// Endpoint is the collector: a URL ("http://localhost:4318",
	// "https://otel.example.com/v1/traces", "http://localhost:4317" for gRPC)
	// or host:port. An http:// URL means no TLS. For OTLP/HTTP a URL without
	// a path posts to /v1/traces.
	Endpoint string
	// Protocol is ProtocolHTTP ("http" is accepted too) or ProtocolGRPC.
	// Default ProtocolHTTP.
	Protocol string
	// Insecure turns TLS off for a host:port endpoint.
	Insecure bool
	// Headers are sent with every export (an API key, a tenant id).
	Headers map[string]string
	// Timeout bounds one export attempt. Default 10s.
	Timeout time.Duration
	// MaxRetryTime bounds the retries of one batch. Default 30s.
	MaxRetryTime time.Duration
	// Buffer is how many spans wait for export before new ones are dropped.
	// Default 8192.
	Buffer int
	// BatchSize is the most spans sent at once. Default 512.
	BatchSize int
	// FlushInterval is the longest a span waits in a partial batch.
	// Default 1s.
	FlushInterval time.Duration
}

func (c Config) withDefaults() Config {
	if c.Protocol == "" || c.Protocol == "http" {
		c.Protocol = ProtocolHTTP
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxRetryTime <= 0 {
		c.MaxRetryTime = 30 * time.Second
	}
	if c.Buffer <= 0 {
		c.Buffer = 8192
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 512
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = time.Second
	}
	return c
}

// endpoint is a parsed Config.Endpoint.
type endpoint struct {
	hostPort string
	path     string
	insecure bool
}

// Validate reports a configuration that cannot export, naming the field.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Protocol != ProtocolHTTP && c.Protocol != ProtocolGRPC {
		return fmt.Errorf("otlp export: protocol %q: want %q or %q", c.Protocol, ProtocolHTTP, ProtocolGRPC)
	}
	_, err := c.endpoint()
	return err
}

func (c Config) endpoint() (endpoint, error) {
	raw := strings.TrimSpace(c.Endpoint)
	if raw == "" {
		return endpoint{}, fmt.Errorf("otlp export: no endpoint: set one such as http://localhost:4318 (HTTP) or http://localhost:4317 (gRPC)")
	}
	if !strings.Contains(raw, "://") {
		if strings.ContainsAny(raw, "/?#") || !strings.Contains(raw, ":") {
			return endpoint{}, fmt.Errorf("otlp export: endpoint %q: want a URL or host:port", raw)
		}
		return endpoint{hostPort: raw, path: "/v1/traces", insecure: c.Insecure}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("otlp export: endpoint %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return endpoint{}, fmt.Errorf("otlp export: endpoint %q: scheme %q, want http or https", raw, u.Scheme)
	}
	if u.Host == "" {
		return endpoint{}, fmt.Errorf("otlp export: endpoint %q has no host", raw)
	}
	ep := endpoint{hostPort: u.Host, path: u.Path, insecure: u.Scheme == "http"}
	if ep.path == "" || ep.path == "/" {
		ep.path = "/v1/traces"
	}
	return ep, nil
}

// newExporter builds the official OTLP exporter for c.
func newExporter(ctx context.Context, c Config) (*otlptrace.Exporter, error) {
	ep, err := c.endpoint()
	if err != nil {
		return nil, err
	}
	switch c.Protocol {
	case ProtocolHTTP:
		opts := []otlptracehttp.Option{
			otlptracehttp.WithEndpoint(ep.hostPort),
			otlptracehttp.WithURLPath(ep.path),
			otlptracehttp.WithTimeout(c.Timeout),
			otlptracehttp.WithRetry(otlptracehttp.RetryConfig{
				Enabled: true, InitialInterval: 500 * time.Millisecond, MaxInterval: 5 * time.Second, MaxElapsedTime: c.MaxRetryTime,
			}),
		}
		if ep.insecure {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		if len(c.Headers) > 0 {
			opts = append(opts, otlptracehttp.WithHeaders(c.Headers))
		}
		exp, err := otlptracehttp.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("otlp export over http to %s: %w", c.Endpoint, err)
		}
		return exp, nil
	case ProtocolGRPC:
		opts := []otlptracegrpc.Option{
			otlptracegrpc.WithEndpoint(ep.hostPort),
			otlptracegrpc.WithTimeout(c.Timeout),
			otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{
				Enabled: true, InitialInterval: 500 * time.Millisecond, MaxInterval: 5 * time.Second, MaxElapsedTime: c.MaxRetryTime,
			}),
		}
		if ep.insecure {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		if len(c.Headers) > 0 {
			opts = append(opts, otlptracegrpc.WithHeaders(c.Headers))
		}
		exp, err := otlptracegrpc.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("otlp export over grpc to %s: %w", c.Endpoint, err)
		}
		return exp, nil
	}
	return nil, fmt.Errorf("otlp export: protocol %q: want %q or %q", c.Protocol, ProtocolHTTP, ProtocolGRPC)
}
