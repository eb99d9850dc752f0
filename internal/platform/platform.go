package platform

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/runtime"
	"github.com/stacklab/stacklab/internal/services/bucket"
	"github.com/stacklab/stacklab/internal/services/events"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/services/schedule"
	"github.com/stacklab/stacklab/internal/services/table"
	"github.com/stacklab/stacklab/internal/services/topic"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/metrics"
	"github.com/stacklab/stacklab/internal/template"
)

// Options configure a platform.
type Options struct {
	StateDir string // .stacklab: build cache, logs, token
	// BuildDir is where built functions are cached; default StateDir/build.
	BuildDir string
	Template template.Options
	Region   string
	// AccountID appears in ARNs.
	AccountID       string
	IdleTimeout     time.Duration
	NodeConcurrency int
	QueueWait       time.Duration
	Sandbox         bool
	Logger          *slog.Logger
	// BusURL connects to an external NATS server; empty embeds one with its
	// store under StateDir/nats.
	BusURL string
	// AsyncRetryDelay is the wait before retrying a failed async event
	// (doubling after); default 1 s.
	AsyncRetryDelay time.Duration
	// Clock drives schedules; default the real time (tests move their own).
	Clock schedule.Clock
	// MaxObjectSize is the largest object a bucket stores, in bytes;
	// default bucket.DefaultMaxObjectSize (5 GiB).
	MaxObjectSize int64
	// Tracing configures spans and invocation records (on by default).
	Tracing TracingOptions
}

// Platform is one node running one stack.
type Platform struct {
	opts      Options
	log       *slog.Logger
	rt        *runtime.Runtime
	builder   *runtime.Builder
	bus       *bus.Bus
	closeOnce sync.Once
	deployMu  sync.Mutex // one deploy at a time
	onDeploy  func(*stack.Stack)
	async     *invoke.Async
	queues    *queue.Service
	buckets   *bucket.Service
	topics    *topic.Service
	events    *events.Service
	tables    *table.Service
	schedules *schedule.Scheduler
	stackMu   sync.RWMutex
	stack     *stack.Stack
	file      string
	running   int // the deployment version running, under stackMu
	// FollowDeployments' watches, ended by Close.
	followMu   sync.Mutex
	followWG   sync.WaitGroup
	stopFollow []context.CancelFunc
	closed     bool
	gateway    string // host:port of the gateway, for URLs given to functions
	tel        *telemetry.Telemetry
	met        atomic.Pointer[metrics.Metrics] // Instrument's
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
	p := &Platform{opts: opts, log: opts.Logger.With("component", "platform"), rt: rt, builder: &runtime.Builder{Dir: firstNonEmpty(opts.BuildDir, filepath.Join(state, "build"))}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := bus.Start(ctx, bus.Options{Dir: filepath.Join(state, "nats"), URL: opts.BusURL, Logger: opts.Logger})
	if err != nil {
		rt.Close()
		return nil, err
	}
	p.bus = b
	if opts.BusURL == "" {
		if err := p.endInterrupted(ctx); err != nil {
			p.log.Warn("reading the deployments", "err", err)
		}
	}
	p.startTelemetry(ctx) // before the services, which are given it
	rt.SetTelemetry(p.tel)
	p.async, err = invoke.NewAsync(ctx, b.JetStream(), invoke.AsyncOptions{Runner: rt, Policy: p.retryPolicy, Settle: p.settleAsync, RetryDelay: opts.AsyncRetryDelay, Logger: opts.Logger})
	if err != nil {
		p.closeTelemetry()
		rt.Close()
		b.Close()
		return nil, err
	}
	rt.SetQueue(p.async)
	p.queues = queue.New(b.JetStream(), queue.Options{Region: opts.Region, AccountID: opts.AccountID, Logger: opts.Logger, Telemetry: p.tel})
	p.buckets = newBuckets(p)
	p.tables = table.New(b.JetStream(), table.Options{Region: opts.Region, AccountID: opts.AccountID, Logger: opts.Logger, RetryDelay: opts.AsyncRetryDelay, Telemetry: p.tel})
	p.topics = topic.New(b.JetStream(), rt, p.queues, topic.Options{Region: opts.Region, AccountID: opts.AccountID, Logger: opts.Logger, RetryDelay: opts.AsyncRetryDelay, Telemetry: p.tel})
	p.events = newEvents(p)
	if p.schedules, err = schedule.New(ctx, b.JetStream(), rt, schedule.Options{Region: opts.Region, AccountID: opts.AccountID, Logger: opts.Logger, Clock: opts.Clock, Telemetry: p.tel, Rules: p.events}); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// retryPolicy is a function's EventInvokeConfig, by name or logical id.
func (p *Platform) retryPolicy(name string) invoke.RetryPolicy {
	pol := invoke.DefaultRetryPolicy
	st := p.Stack()
	if st == nil {
		return pol
	}
	for _, f := range st.Functions {
		if (f.Name == name || f.ID == name) && f.EventInvokeConfig != nil {
			if n := f.EventInvokeConfig.MaximumRetryAttempts; n != nil {
				pol.MaximumRetryAttempts = *n
			}
			if n := f.EventInvokeConfig.MaximumEventAgeInSeconds; n != nil {
				pol.MaximumEventAge = time.Duration(*n) * time.Second
			}
		}
	}
	return pol
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

// Deploy reads a template, prepares its functions and runs them, and
// records the deployment as a new version. On any error nothing changes:
// the stack deployed before keeps running.
func (p *Platform) Deploy(ctx context.Context, file string) (diag.List, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the template: %w", err)
	}
	d, diags, err := p.DeploySource(ctx, file, src, nil)
	_ = d
	return diags, err
}

// load resolves and models a template's text.
func (p *Platform) load(file string, src []byte, params map[string]string) (*stack.Stack, diag.List, error) {
	opts := p.opts.Template
	if params != nil {
		opts.Params = params
	}
	tmpl, diags := template.Load(file, src, opts)
	if tmpl == nil || diags.HasErrors() {
		return nil, diags, &InvalidTemplateError{Diags: diags}
	}
	st, more := stack.Build(tmpl)
	diags = append(diags, more...)
	diags.Sort()
	if diags.HasErrors() {
		return nil, diags, &InvalidTemplateError{Diags: diags}
	}
	return st, diags, nil
}

// apply runs a modelled stack: functions prepared, then swapped in. version
// is the deployment its invocations are recorded under.
func (p *Platform) apply(ctx context.Context, st *stack.Stack, file string, version int) error {
	if err := p.checkAsyncDestinations(st); err != nil {
		return err
	}
	if err := checkNotifications(st); err != nil {
		return err
	}
	if err := checkSubscriptions(st); err != nil {
		return err
	}
	evCfg, err := p.eventsConfig(st)
	if err != nil {
		return err
	}
	specs, err := p.specs(ctx, st, filepath.Dir(file))
	if err != nil {
		return err
	}
	if err := p.applyQueues(ctx, st); err != nil {
		return err
	}
	if err := p.applyBuckets(ctx, st); err != nil {
		return err
	}
	if err := p.applyTopics(ctx, st); err != nil {
		return err
	}
	if err := p.applyTables(ctx, st); err != nil {
		return err
	}
	if err := p.applyEvents(ctx, st, evCfg); err != nil {
		return err
	}
	jobs, err := scheduleJobs(st)
	if err != nil {
		return err
	}
	p.stackMu.Lock()
	p.stack, p.file, p.running = st, file, version
	p.stackMu.Unlock()
	p.rt.SetDeployment(strconv.Itoa(version))
	p.rt.Deploy(specs)
	p.deployedMetrics(strconv.Itoa(version), st)
	p.async.Start() // queued async events run once their functions exist
	p.startPollers(st)
	p.topics.Start() // publishes are fanned out once their subscribers exist
	p.events.Start() // events are delivered once their targets exist
	p.startTablePollers(ctx, st)
	p.startSchedules(jobs)
	if p.onDeploy != nil {
		p.onDeploy(st)
	}
	return nil
}

// OnDeploy registers a function called after every successful deploy
// (the gateway rebuilds its routes).
func (p *Platform) OnDeploy(f func(*stack.Stack)) { p.onDeploy = f }

// Stack returns the deployed stack, or nil.
func (p *Platform) Stack() *stack.Stack {
	p.stackMu.RLock()
	defer p.stackMu.RUnlock()
	return p.stack
}

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

// Close stops taking async events, stops every instance and the bus. It
// may be called more than once.
func (p *Platform) Close() { p.closeOnce.Do(p.close) }

func (p *Platform) close() {
	p.stopFollowing() // before the services a followed deploy would change
	if p.schedules != nil {
		p.schedules.Close()
	}
	if p.events != nil {
		p.events.Close()
	}
	if p.topics != nil {
		p.topics.Close()
	}
	if p.buckets != nil {
		p.buckets.Close()
	}
	if p.tables != nil {
		p.tables.Close()
	}
	if p.queues != nil {
		p.queues.Close()
	}
	if p.async != nil {
		p.async.Close()
	}
	p.rt.Close()
	p.closeTelemetry()
	if p.bus != nil {
		p.bus.Close()
	}
	p.rt.Logs().Close()
}
