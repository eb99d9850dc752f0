package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// Kind is a Prometheus metric type.
type Kind string

// The kinds of families.
const (
	Counter   Kind = "counter"
	Gauge     Kind = "gauge"
	Histogram Kind = "histogram"
)

// Family describes one metric family stacklab exports.
type Family struct {
	Name   string
	Kind   Kind
	Labels []string
	Help   string
}

// The names of the families.
const (
	InvocationsTotal       = "stacklab_invocations_total"
	ErrorsTotal            = "stacklab_errors_total"
	ThrottlesTotal         = "stacklab_throttles_total"
	ColdStartsTotal        = "stacklab_cold_starts_total"
	InvocationDuration     = "stacklab_invocation_duration_seconds"
	InitDuration           = "stacklab_init_duration_seconds"
	AsyncEventAge          = "stacklab_async_event_age_seconds"
	GatewayRequestDuration = "stacklab_gateway_request_duration_seconds"
	ConcurrentExecutions   = "stacklab_concurrent_executions"
	Instances              = "stacklab_instances"
	QueueMessages          = "stacklab_queue_messages"
	QueueOldestMessageAge  = "stacklab_queue_oldest_message_age_seconds"
	TelemetryDroppedTotal  = "stacklab_telemetry_dropped_total"
	TelemetryDropping      = "stacklab_telemetry_dropping"
)

var families = []Family{
	{InvocationsTotal, Counter, []string{"function", "version", "outcome"}, "Invocations that ran, by outcome (ok, handled_error, unhandled, timeout, oom); throttled ones are in " + ThrottlesTotal + "."},
	{ErrorsTotal, Counter, []string{"function", "version"}, "Invocations that ran and failed (every outcome but ok), as Lambda's Errors metric."},
	{ThrottlesTotal, Counter, []string{"function", "version"}, "Invocations refused for lack of concurrency (TooManyRequestsException); they never ran."},
	{ColdStartsTotal, Counter, []string{"function", "version"}, "Invocations that started a new instance."},
	{InvocationDuration, Histogram, []string{"function", "version"}, "Run time of invocations, from the event being handed to the function to its response (Lambda's Duration)."},
	{InitDuration, Histogram, []string{"function", "version"}, "Time from an instance's process start to its first request for an event, on cold starts (Lambda's Init Duration)."},
	{AsyncEventAge, Histogram, []string{"function"}, "Time from an async event being accepted to an attempt to run it, as Lambda's AsyncEventAge; retries are counted again."},
	{GatewayRequestDuration, Histogram, []string{"api", "route", "status"}, "Time the gateway took to answer a request, by API, route key (\"GET /items/{id}\") and HTTP status."},
	{ConcurrentExecutions, Gauge, []string{"function", "version"}, "Invocations in progress, including those starting an instance (at scrape time)."},
	{Instances, Gauge, []string{"function", "version", "state"}, "Instances of a function: state busy (serving an invocation) or idle (warm, waiting)."},
	{QueueMessages, Gauge, []string{"queue", "state"}, "Messages in a queue: state visible (waiting), in_flight (received, not deleted) or delayed."},
	{QueueOldestMessageAge, Gauge, []string{"queue"}, "Age of the oldest message in a queue; 0 when it is empty."},
	{TelemetryDroppedTotal, Counter, []string{"sink", "kind"}, "Telemetry records lost since the platform started: sink store (the span store: full disk, full buffer) or otlp (export), kind span or invocation (an invocation record)."},
	{TelemetryDropping, Gauge, []string{"sink"}, "1 while a telemetry sink (store, otlp) is losing records, 0 once it writes again."},
}

// Families lists every metric family stacklab exports, in a stable order.
func Families() []Family {
	out := make([]Family, len(families))
	copy(out, families)
	return out
}

func family(name string) Family {
	for _, f := range families {
		if f.Name == name {
			return f
		}
	}
	panic("metrics: no family " + name)
}

// Buckets of the histograms, in seconds: Lambda runs from a millisecond to
// 15 minutes; async events may wait up to 6 hours.
var (
	durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900}
	initBuckets     = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	ageBuckets      = []float64{.005, .01, .05, .1, .5, 1, 5, 10, 60, 300, 1800, 3600, 21600}
	gatewayBuckets  = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
)

// Metrics is the registry of stacklab's metrics. Its methods are safe for
// concurrent use; a nil *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry

	invocations *prometheus.CounterVec
	errors      *prometheus.CounterVec
	throttles   *prometheus.CounterVec
	coldStarts  *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	init        *prometheus.HistogramVec
	asyncAge    *prometheus.HistogramVec
	gateway     *prometheus.HistogramVec

	mu      sync.RWMutex
	sources Sources

	depMu    sync.Mutex
	deployed map[string]map[string]bool // Deployed's functions and the versions given for each
}

// New returns a registry with every family of Families, plus the Go
// runtime's and the process's standard metrics (go_*, process_*).
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	counter := func(name string) *prometheus.CounterVec {
		f := family(name)
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: f.Name, Help: f.Help}, f.Labels)
		m.reg.MustRegister(v)
		return v
	}
	histogram := func(name string, buckets []float64) *prometheus.HistogramVec {
		f := family(name)
		v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: f.Name, Help: f.Help, Buckets: buckets}, f.Labels)
		m.reg.MustRegister(v)
		return v
	}
	m.invocations = counter(InvocationsTotal)
	m.errors = counter(ErrorsTotal)
	m.throttles = counter(ThrottlesTotal)
	m.coldStarts = counter(ColdStartsTotal)
	m.duration = histogram(InvocationDuration, durationBuckets)
	m.init = histogram(InitDuration, initBuckets)
	m.asyncAge = histogram(AsyncEventAge, ageBuckets)
	m.gateway = histogram(GatewayRequestDuration, gatewayBuckets)
	m.reg.MustRegister(&stateCollector{m: m}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the Prometheus registry, to gather from or serve.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Deployed sets the series of the functions of a deployment at 0 (so that
// a function's errors and throttles read 0, not "no data", before its
// first one) and deletes the series of earlier versions and of functions
// no longer deployed. version is the deployment's version, the label
// Invocation and Throttle are given.
func (m *Metrics) Deployed(version string, functions []string) {
	if m == nil {
		return
	}
	m.depMu.Lock()
	defer m.depMu.Unlock()
	live := map[string]bool{}
	for _, fn := range functions {
		live[fn] = true
	}
	for fn, versions := range m.deployed {
		for v := range versions {
			if v == version && live[fn] {
				continue
			}
			m.forget(prometheus.Labels{"function": fn, "version": v})
			delete(versions, v)
		}
		if !live[fn] {
			m.asyncAge.DeletePartialMatch(prometheus.Labels{"function": fn})
			delete(m.deployed, fn)
		}
	}
	if m.deployed == nil {
		m.deployed = map[string]map[string]bool{}
	}
	for _, fn := range functions {
		for _, o := range model.Outcomes {
			if o != model.OutcomeThrottled { // throttles have their family
				m.invocations.WithLabelValues(fn, version, string(o))
			}
		}
		m.errors.WithLabelValues(fn, version)
		m.throttles.WithLabelValues(fn, version)
		m.coldStarts.WithLabelValues(fn, version)
		if m.deployed[fn] == nil {
			m.deployed[fn] = map[string]bool{}
		}
		m.deployed[fn][version] = true
	}
}

// forget deletes the series of every function-and-version family that
// match labels.
func (m *Metrics) forget(labels prometheus.Labels) {
	for _, v := range []*prometheus.CounterVec{m.invocations, m.errors, m.throttles, m.coldStarts} {
		v.DeletePartialMatch(labels)
	}
	for _, v := range []*prometheus.HistogramVec{m.duration, m.init} {
		v.DeletePartialMatch(labels)
	}
}

// Invocation counts an invocation that ran: its outcome (model.OutcomeOf
// of the runtime's error type), its duration, and on a cold start its init
// duration.
func (m *Metrics) Invocation(function, version string, outcome model.Outcome, duration, init time.Duration, cold bool) {
	if m == nil {
		return
	}
	m.invocations.WithLabelValues(function, version, string(outcome)).Inc()
	if outcome.IsError() {
		m.errors.WithLabelValues(function, version).Inc()
	}
	m.duration.WithLabelValues(function, version).Observe(duration.Seconds())
	if cold {
		m.coldStarts.WithLabelValues(function, version).Inc()
		m.init.WithLabelValues(function, version).Observe(init.Seconds())
	}
}

// Throttle counts an invocation refused for lack of concurrency.
func (m *Metrics) Throttle(function, version string) {
	if m == nil {
		return
	}
	m.throttles.WithLabelValues(function, version).Inc()
}

// AsyncAge records how long an async event waited before an attempt to run
// it.
func (m *Metrics) AsyncAge(function string, age time.Duration) {
	if m == nil {
		return
	}
	m.asyncAge.WithLabelValues(function).Observe(max(age, 0).Seconds())
}

// GatewayRequest records one answered gateway request.
func (m *Metrics) GatewayRequest(api, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.gateway.WithLabelValues(api, route, strconv.Itoa(status)).Observe(d.Seconds())
}
