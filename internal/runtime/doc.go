// Package runtime runs function instances: processes that speak the AWS
// Lambda Runtime API (2018-06-01) to a listener of ours, one listener per
// instance. It builds Go functions, provides the Python and Node.js
// bootstraps, keeps warm instances per function with concurrency limits,
// enforces timeouts and memory sizes, captures each instance's output per
// request id, and implements invoke.Invoker.
//
// It knows nothing about templates (it gets a Spec per function) nor about
// HTTP APIs or event sources, which call it through invoke.Invoker.
package runtime
