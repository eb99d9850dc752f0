// Package stack is the typed model of a serverless stack: the resources stacklab
// runs (functions, buckets, queues, topics, tables, APIs, rules, state machines,
// event source mappings, streams), the ones it only accepts, and the graph of how
// they trigger and use each other.
//
// Build turns a resolved template (package template) into a Stack and checks
// the properties of every resource it models; everything later (plan, diagram,
// deploy, run) consumes the Stack. The package reads resolved values only: it
// knows nothing of YAML or of evaluating intrinsic functions, and nothing of how
// resources are run.
package stack
