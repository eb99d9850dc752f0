package platform

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/runtime"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/template"
)

// Options configure a platform.
type Options struct {
	StateDir string // .stacklab: build cache, logs, token
	Template template.Options
	Region   string
	// AccountID appears in ARNs.
	AccountID       string
	IdleTimeout     time.Duration
	NodeConcurrency int
	QueueWait       time.Duration
	Sandbox         bool
	Logger          *slog.Logger
}

// Platform is one node running one stack.
type Platform struct {
	opts    Options
	log     *slog.Logger
	rt      *runtime.Runtime
	builder *runtime.Builder
	stack   *stack.Stack
	file    string
	gateway string // host:port of the gateway, for URLs given to functions
}

// New returns a platform with its runtime started and nothing deployed.
func New(opts Options) (*Platform, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Region == "" {
		opts.Region = firstNonEmpty(opts.Template.Region, "us-east-1")
	}
	if opts.AccountID == "" {
		opts.AccountID = firstNonEmpty(opts.Template.AccountID, "123456789012")
	}
	opts.Template.Region, opts.Template.AccountID = opts.Region, opts.AccountID
	state, err := filepath.Abs(opts.StateDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(state, 0o700); err != nil {
		return nil, fmt.Errorf("creating the state directory: %w", err)
	}
	opts.StateDir = state
	rt := runtime.New(runtime.Options{
		Region:          opts.Region,
		AccountID:       opts.AccountID,
		NodeConcurrency: opts.NodeConcurrency,
		IdleTimeout:     opts.IdleTimeout,
		QueueWait:       opts.QueueWait,
		Logs:            runtime.NewLogs(filepath.Join(state, "logs")),
		Logger:          opts.Logger,
		Sandbox:         opts.Sandbox,
		Hide:            []string{state},
	})
	return &Platform{opts: opts, log: opts.Logger.With("component", "platform"), rt: rt, builder: &runtime.Builder{Dir: filepath.Join(state, "build")}}, nil
}

// SetGateway tells the platform where its gateway listens (host:port).
func (p *Platform) SetGateway(hostport string) { p.gateway = hostport }

func (p *Platform) gatewayHost() string { return firstNonEmpty(p.gateway, "127.0.0.1:3000") }

// InvalidTemplateError is a template that cannot be deployed.
type InvalidTemplateError struct{ Diags diag.List }

func (e *InvalidTemplateError) Error() string {
	var b strings.Builder
	n := 0
	for _, d := range e.Diags {
		if d.Severity == diag.Error {
			b.WriteString(d.String())
			b.WriteByte('\n')
			n++
		}
	}
	fmt.Fprintf(&b, "the template has %d error(s); fix them and deploy again", n)
	return b.String()
}

// Deploy reads a template, prepares its functions and runs them. On any
// error nothing changes: the stack deployed before keeps running.
func (p *Platform) Deploy(ctx context.Context, file string) (diag.List, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the template: %w", err)
	}
	tmpl, diags := template.Load(file, src, p.opts.Template)
	if tmpl == nil || diags.HasErrors() {
		return diags, &InvalidTemplateError{Diags: diags}
	}
	st, more := stack.Build(tmpl)
	diags = append(diags, more...)
	diags.Sort()
	if diags.HasErrors() {
		return diags, &InvalidTemplateError{Diags: diags}
	}
	specs, err := p.specs(ctx, st, filepath.Dir(file))
	if err != nil {
		return diags, err
	}
	p.rt.Deploy(specs)
	p.stack, p.file = st, file
	return diags, nil
}

// Stack returns the deployed stack, or nil.
func (p *Platform) Stack() *stack.Stack { return p.stack }

// Invoke runs an invocation on the deployed functions.
func (p *Platform) Invoke(ctx context.Context, req invoke.Request) (invoke.Result, error) {
	return p.rt.Invoke(ctx, req)
}

// Functions lists the deployed functions and their instances.
func (p *Platform) Functions() []runtime.Function { return p.rt.Functions() }

// Logs returns the functions' logs.
func (p *Platform) Logs() *runtime.Logs { return p.rt.Logs() }

// Sandboxed reports whether functions run under bubblewrap.
func (p *Platform) Sandboxed() bool { return p.rt.Sandboxed() }

// StateDir is the absolute state directory.
func (p *Platform) StateDir() string { return p.opts.StateDir }

// Close stops every instance.
func (p *Platform) Close() {
	p.rt.Close()
	p.rt.Logs().Close()
}
