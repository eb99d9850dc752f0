// Package bus is stacklab's durable backbone: NATS with JetStream, embedded
// in the binary by default (state on disk under the state directory, no
// network listener: clients connect in-process), or an external NATS
// cluster when a URL is given. Everything that must survive a crash (async
// invocations, queues, buckets, tables, topics, event buses, deployments)
// lives in its streams, key-value buckets and object stores.
//
// The package starts and stops the server and hands out connections, names
// things safely for JetStream, and holds what every service that delivers
// stored messages shares (work.go: the delivery loop, back-off); it
// knows nothing about what is stored.
package bus
