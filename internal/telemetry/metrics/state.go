package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// FunctionState is the state of one function version on this node.
type FunctionState struct {
	Function string
	Version  string
	// Concurrent is the invocations in progress, including those waiting
	// for a new instance to start.
	Concurrent int
	// Busy and Idle count instances serving an invocation and warm ones.
	Busy, Idle int
}

// QueueState is the depth of one queue.
type QueueState struct {
	Queue                      string
	Visible, InFlight, Delayed int
	// OldestAge is the age of the oldest message; 0 when the queue is empty.
	OldestAge time.Duration
}

// TelemetryState is how one telemetry sink is doing: the span store
// (sink "store") or OTLP export (sink "otlp").
type TelemetryState struct {
	Sink string
	// Dropping is true while the sink is losing records.
	Dropping bool
	// DroppedSpans and DroppedInvocations count the records lost since the
	// platform started.
	DroppedSpans, DroppedInvocations uint64
}

// Sources are the snapshot functions read at scrape time. Any may be
// nil. They must not block for long: Queues is given a context that ends
// after ScrapeTimeout.
type Sources struct {
	Functions func() []FunctionState
	Queues    func(ctx context.Context) []QueueState
	Telemetry func() []TelemetryState
}

// ScrapeTimeout bounds how long a scrape waits for Sources.Queues.
const ScrapeTimeout = 2 * time.Second

// SetSources registers the snapshot functions; later calls replace them.
func (m *Metrics) SetSources(s Sources) {
	m.mu.Lock()
	m.sources = s
	m.mu.Unlock()
}

func (m *Metrics) currentSources() Sources {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.sources
}

// stateCollector turns the Sources' snapshots into gauges at scrape time.
type stateCollector struct {
	m *Metrics
}

var _ prometheus.Collector = (*stateCollector)(nil)

func newDesc(name string) *prometheus.Desc {
	f := family(name)
	return prometheus.NewDesc(f.Name, f.Help, f.Labels, nil)
}

var (
	concurrentDesc = newDesc(ConcurrentExecutions)
	instancesDesc  = newDesc(Instances)
	queueDesc      = newDesc(QueueMessages)
	queueAgeDesc   = newDesc(QueueOldestMessageAge)
	droppedDesc    = newDesc(TelemetryDroppedTotal)
	droppingDesc   = newDesc(TelemetryDropping)
)

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- concurrentDesc
	ch <- instancesDesc
	ch <- queueDesc
	ch <- queueAgeDesc
	ch <- droppedDesc
	ch <- droppingDesc
}

// Collect implements prometheus.Collector. Snapshots that name the same
// function version twice (a deploy retired a pool whose instances are
// still finishing) are summed, as a label set may appear only once.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	src := c.m.currentSources()
	if src.Functions != nil {
		type key struct{ fn, version string }
		sums := map[key]FunctionState{}
		var order []key
		for _, f := range src.Functions() {
			k := key{f.Function, f.Version}
			s, seen := sums[k]
			if !seen {
				order = append(order, k)
			}
			s.Concurrent += f.Concurrent
			s.Busy += f.Busy
			s.Idle += f.Idle
			sums[k] = s
		}
		for _, k := range order {
			s := sums[k]
			ch <- prometheus.MustNewConstMetric(concurrentDesc, prometheus.GaugeValue, float64(s.Concurrent), k.fn, k.version)
			ch <- prometheus.MustNewConstMetric(instancesDesc, prometheus.GaugeValue, float64(s.Busy), k.fn, k.version, "busy")
			ch <- prometheus.MustNewConstMetric(instancesDesc, prometheus.GaugeValue, float64(s.Idle), k.fn, k.version, "idle")
		}
	}
	if src.Queues != nil {
		ctx, cancel := context.WithTimeout(context.Background(), ScrapeTimeout)
		defer cancel()
		seen := map[string]bool{}
		for _, q := range src.Queues(ctx) {
			if seen[q.Queue] {
				continue
			}
			seen[q.Queue] = true
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(q.Visible), q.Queue, "visible")
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(q.InFlight), q.Queue, "in_flight")
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(q.Delayed), q.Queue, "delayed")
			ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue, q.OldestAge.Seconds(), q.Queue)
		}
	}
	if src.Telemetry != nil {
		seen := map[string]bool{}
		for _, t := range src.Telemetry() {
			if seen[t.Sink] {
				continue
			}
			seen[t.Sink] = true
			dropping := 0.0
			if t.Dropping {
				dropping = 1
			}
			ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(t.DroppedSpans), t.Sink, "span")
			ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(t.DroppedInvocations), t.Sink, "invocation")
			ch <- prometheus.MustNewConstMetric(droppingDesc, prometheus.GaugeValue, dropping, t.Sink)
		}
	}
}
