// Package metrics keeps stacklab's Prometheus metrics and serves them at
// /metrics.
//
// Two kinds of numbers, two ways in:
//
//   - Events (an invocation ended, one was throttled, an async event
//     started, a gateway request was answered) are counted by cheap calls
//     the hops make: Invocation, Throttle, AsyncAge, and the Gateway
//     middleware. They update counters and histograms labelled by function
//     and version (gateway: API, route and status). Deployed sets a
//     deployment's per-function counters at 0 and forgets earlier versions.
//   - State (concurrent executions, instances, queue depth and the age of
//     the oldest message, telemetry records dropped) is read at scrape time from snapshot functions the
//     platform registers with SetSources, so keeping it costs nothing on the
//     invocation path.
//
// Families lists every metric family; docs/metrics.md documents them and
// docs/grafana-dashboard.json queries them (tests keep both in step).
//
// The package knows nothing of the runtime, the queues or the gateway: the
// platform adapts them to the plain types here (FunctionState,
// QueueState, TelemetryState).
package metrics
