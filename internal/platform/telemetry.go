package platform

import (
	"context"
	"path/filepath"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/export"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// TracingOptions configure the platform's telemetry: a span for every hop
// and a record for every invocation, kept in a SQLite store under
// StateDir/telemetry and optionally exported over OTLP.
type TracingOptions struct {
	// Off records nothing (the platform's Telemetry is nil).
	Off bool
	// Store tunes the span store (buffer, retention by age and size).
	Store store.Options
	// Export, when set, also sends spans to an OTLP collector.
	Export *export.Config
}

// startTelemetry opens the span store. When it cannot (a full disk, a
// broken file), the platform runs without telemetry and says so:
// invocations never depend on it.
func (p *Platform) startTelemetry(ctx context.Context) {
	if p.opts.Tracing.Off {
		return
	}
	tel, err := telemetry.New(ctx, telemetry.Config{
		Dir:    filepath.Join(p.opts.StateDir, "telemetry"),
		Store:  p.opts.Tracing.Store,
		Export: p.opts.Tracing.Export,
		Region: p.opts.Region,
		Logger: p.opts.Logger,
	})
	if err != nil {
		p.log.Error("telemetry is off: the span store did not open; invocations go on untraced", "err", err)
		return
	}
	p.tel = tel
}

// Telemetry is the platform's spans and invocation records, or nil when
// tracing is off (every method of a nil *telemetry.Telemetry is safe).
func (p *Platform) Telemetry() *telemetry.Telemetry { return p.tel }

// closeTelemetry flushes what is buffered and closes the store.
func (p *Platform) closeTelemetry() {
	if p.tel == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.tel.Close(ctx); err != nil {
		p.log.Warn("closing telemetry", "err", err)
	}
}
