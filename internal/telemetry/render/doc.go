// Package render draws telemetry for a terminal: a trace as a waterfall with
// its critical path marked, trace lists, the service map with its
// bottleneck, and invocation statistics as tables.
//
// The functions are pure: data in, text out to an io.Writer. They know the
// records of model, store and critpath, and nothing of where they came from.
package render
