// Package critpath finds the critical path of a trace (the chain of spans
// that decides its end-to-end time) and, over many traces, the bottleneck: the
// resource with the largest share of critical-path time.
//
// Everything here is a pure function of spans; it does no I/O and knows
// nothing about where spans are stored.
package critpath
