// Package stack is the typed model of a serverless stack: the resources stacklab
// runs (functions, buckets, queues, topics, tables, APIs, rules, state machines,
// event source mappings, streams), the ones it only accepts, and the graph of how
// they trigger and use each other.
//
// A Stack is built from a resolved template (package template) and is what every
// later part consumes: plan, diagram, deploy, run. It knows nothing about how
// templates are parsed, nor about how resources are run.
package stack
