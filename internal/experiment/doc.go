// Package experiment tests a hypothesis about an architecture on running
// systems: it merges the variants of a stack into one deployable template
// (each variant its own isolated copy, with its own names), drives the same
// open-loop workload at each variant in interleaved randomised rounds,
// reads what every request caused from the span store, and decides every
// hypothesis clause with round-level statistics (package stats) into a
// report (package report).
//
// It knows nothing of how a platform is started: the caller gives it a
// Platform that deploys a template, serves the gateway and answers
// telemetry queries.
package experiment
