// Package runtime runs function instances: processes that speak the AWS
// Lambda Runtime API (2018-06-01) to a listener of ours, one listener per
// instance. It builds Go functions, provides the Python and Node.js
// bootstraps, keeps warm instances per function with concurrency limits,
// enforces timeouts and memory sizes, captures each instance's output per
// request id, and implements invoke.Invoker.
//
// With telemetry (SetTelemetry) it traces every invocation it runs or
// throttles and records it for billing and stats; see SetTelemetry.
//
// It knows nothing about templates (it gets a Spec per function) nor about
// HTTP APIs or event sources, which call it through invoke.Invoker.
package runtime
