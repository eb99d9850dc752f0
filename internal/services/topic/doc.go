// Package topic runs SNS topics (AWS::SNS::Topic) on NATS JetStream: a
// publish is stored before Publish returns, then fanned out to the topic's
// subscriptions whose filter policies match its message attributes.
//
// Every topic shares one stream (STACKLAB_TOPICS, subjects
// stacklab.topic.<id>) and one durable consumer ("fanout"). The fan-out
// acknowledges a message only once every matching subscription has taken
// it: a function through the Invoker as an asynchronous (Event) invocation,
// which is itself stored in JetStream before it returns, and a queue
// through its Sender. A failed delivery is retried with backoff; a crash
// between deliveries delivers again (at-least-once, as SNS). A message a
// queue refuses (queue.ErrInvalid: too many attributes, too large, ...)
// is dropped for that subscription at once and logged, as SNS drops a
// message on a client-side error.
//
// Functions get the SNS event Lambda documents ({"Records":[{"Sns":...}]});
// queues the SNS JSON envelope as the body, or the message itself with
// RawMessageDelivery. Filter policies (see Policy) apply to message
// attributes; payload-based filtering is not supported.
//
// The package knows topics, messages, an invoke.Invoker and a Sender; it
// does not know templates, the runtime or the control API.
package topic
