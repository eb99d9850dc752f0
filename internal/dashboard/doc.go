// Package dashboard is the Go side of the web dashboard (docs/design/0019):
// the built single-page app embedded in the binary and served at the control
// listener's root, and the pure functions that shape platform data into
// what the page draws — the laid out architecture graph, a function's
// metrics bucketed over time, cost per resource and per deployment, the
// list of experiment runs.
//
// It knows stacks, graphs and invocation records; it does not know the
// control API's routes, tokens or the platform (internal/server serves the
// endpoints, internal/platform provides the data). Apart from the embedded
// files and the experiments folder it is given, it does no I/O.
package dashboard
