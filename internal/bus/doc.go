// Package bus is stacklab's durable backbone: NATS with JetStream, embedded
// in the binary by default (state on disk under the state directory, no
// network listener: clients connect in-process), or an external NATS
// cluster when a URL is given. Everything that must survive a crash (async
// invocations now; queues, buckets, tables, deployments later) lives in its
// streams, key-value buckets and object stores.
//
// The package starts and stops the server and hands out connections; it
// knows nothing about what is stored.
package bus
