package export

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Status tells how export is doing.
type Status struct {
	Endpoint string
	Protocol string
	// Dropping is true while spans are being lost: the last export failed or
	// the buffer overflowed since the last successful export.
	Dropping bool
	Exported uint64
	Dropped  uint64
	// Queued is how many spans wait, out of Capacity.
	Queued, Capacity int
	LastError        string
}

// Processor is an OpenTelemetry span processor that exports finished spans
// over OTLP without ever blocking the span's End.
type Processor struct {
	cfg  Config
	exp  sdktrace.SpanExporter
	log  *slog.Logger
	ch   chan request
	quit chan struct{}
	done chan struct{}
	once sync.Once

	closed   atomic.Bool
	dropping atomic.Bool
	retrying atomic.Bool // a failure is being retried; warned once
	exported atomic.Uint64
	dropped  atomic.Uint64
	lastErr  atomic.Pointer[string]
}

var _ sdktrace.SpanProcessor = (*Processor)(nil)

// request is a span to send or a flush to answer.
type request struct {
	span  sdktrace.ReadOnlySpan
	flush chan error
}

// New validates cfg, builds the OTLP exporter and starts the sending
// goroutine. Shutdown stops it. The collector need not be up: spans wait in
// the buffer and export retries.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	exp, err := newExporter(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return NewWithExporter(cfg, exp, log), nil
}

// NewWithExporter runs the processor over any span exporter (New uses the
// OTLP ones); cfg's buffer and batch settings apply.
func NewWithExporter(cfg Config, exp sdktrace.SpanExporter, log *slog.Logger) *Processor {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Processor{
		cfg:  cfg,
		exp:  exp,
		log:  log.With("component", "otlp-export", "endpoint", cfg.Endpoint),
		ch:   make(chan request, cfg.Buffer),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	go p.run()
	return p
}

// OnStart does nothing; spans are exported when they end.
func (p *Processor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues the span for export, or drops and counts it when the buffer
// is full or the processor is shut down. It never blocks.
func (p *Processor) OnEnd(s sdktrace.ReadOnlySpan) {
	if p.closed.Load() {
		p.dropped.Add(1)
		return
	}
	select {
	case p.ch <- request{span: s}:
	default:
		p.dropped.Add(1)
		p.dropping.Store(true)
	}
}

// ForceFlush sends everything queued before the call and waits for it.
func (p *Processor) ForceFlush(ctx context.Context) error {
	if p.closed.Load() {
		return nil
	}
	reply := make(chan error, 1)
	select {
	case p.ch <- request{flush: reply}:
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush otlp export: %w", ctx.Err())
	}
	select {
	case err := <-reply:
		return err
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush otlp export: %w", ctx.Err())
	}
}

// Shutdown sends what is queued (as far as ctx allows), stops the goroutine
// and shuts the exporter down.
func (p *Processor) Shutdown(ctx context.Context) error {
	var err error
	p.once.Do(func() {
		p.closed.Store(true)
		close(p.quit)
		select {
		case <-p.done:
		case <-ctx.Done():
			err = fmt.Errorf("shut down otlp export: %w", ctx.Err())
			return
		}
		// Spans handed over while the goroutine was finishing are counted.
		for drained := false; !drained; {
			select {
			case r := <-p.ch:
				if r.flush != nil {
					r.flush <- nil
				} else {
					p.dropped.Add(1)
				}
			default:
				drained = true
			}
		}
		if e := p.exp.Shutdown(ctx); e != nil {
			err = fmt.Errorf("shut down otlp export: %w", e)
		}
	})
	return err
}

// Status reports exports, drops and the last failure.
func (p *Processor) Status() Status {
	st := Status{
		Endpoint: p.cfg.Endpoint,
		Protocol: p.cfg.Protocol,
		Dropping: p.dropping.Load(),
		Exported: p.exported.Load(),
		Dropped:  p.dropped.Load(),
		Queued:   len(p.ch),
		Capacity: cap(p.ch),
	}
	if e := p.lastErr.Load(); e != nil {
		st.LastError = *e
	}
	return st
}

func (p *Processor) run() {
	defer close(p.done)
	tick := time.NewTicker(p.cfg.FlushInterval)
	defer tick.Stop()
	batch := make([]sdktrace.ReadOnlySpan, 0, p.cfg.BatchSize)
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := p.send(batch)
		clear(batch)
		batch = batch[:0]
		return err
	}
	handle := func(r request) {
		if r.flush != nil {
			r.flush <- send()
			return
		}
		batch = append(batch, r.span)
		if len(batch) >= p.cfg.BatchSize {
			_ = send()
		}
	}
	for {
		select {
		case r := <-p.ch:
			handle(r)
		case <-tick.C:
			_ = send()
		case <-p.quit:
			for {
				select {
				case r := <-p.ch:
					handle(r)
				default:
					_ = send()
					return
				}
			}
		}
	}
}

// send exports one batch, retrying with backoff for up to MaxRetryTime: the
// OTLP exporters retry some failures themselves (HTTP 429/503, gRPC
// Unavailable) but not all (OTLP/HTTP gives up at once on a refused
// connection, a collector that is down). Meanwhile new spans wait in the
// bounded buffer, and OnEnd drops them when it is full; it never blocks.
// Retrying stops at once on Shutdown.
func (p *Processor) send(batch []sdktrace.ReadOnlySpan) error {
	deadline := time.Now().Add(p.cfg.MaxRetryTime)
	wait := 500 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.MaxRetryTime+p.cfg.Timeout)
		err := p.exp.ExportSpans(ctx, batch)
		cancel()
		if err == nil {
			break
		}
		if !p.closed.Load() && time.Now().Add(wait).Before(deadline) {
			if !p.retrying.Swap(true) {
				p.log.Warn("otlp export failing, retrying; spans wait in the buffer", "err", err,
					"retry_for", p.cfg.MaxRetryTime, "buffer", p.cfg.Buffer)
			}
			t := time.NewTimer(wait)
			select {
			case <-t.C:
				wait = min(2*wait, 5*time.Second)
				continue
			case <-p.quit:
				t.Stop()
			}
		}
		p.dropped.Add(uint64(len(batch)))
		msg := fmt.Sprintf("export %d spans to %s: %v", len(batch), p.cfg.Endpoint, err)
		p.lastErr.Store(&msg)
		if !p.dropping.Swap(true) {
			p.log.Warn("otlp export is dropping spans", "err", err)
		}
		return fmt.Errorf("otlp export: %s", msg)
	}
	p.exported.Add(uint64(len(batch)))
	wasRetrying := p.retrying.Swap(false)
	if p.dropping.Swap(false) || wasRetrying {
		p.log.Info("otlp export sending again")
	}
	return nil
}
