// Package queue runs SQS queues (AWS::SQS::Queue) on NATS JetStream and
// the event source mappings that deliver their messages to functions.
//
// Each queue is one work-queue stream (STACKLAB_QUEUE_<id>) with subject
// stacklab.queue.<id> for visible messages and stacklab.queue.<id>.delayed
// for messages sent with a delay, which a per-queue mover republishes once
// their delay is over. One durable pull consumer ("sqs") serves every
// receiver of a queue: its AckWait is the visibility timeout, so a message
// received and not deleted is delivered again after it, and its delivery
// count is the ApproximateReceiveCount. A message received more than the
// RedrivePolicy's maxReceiveCount times is moved to the dead-letter queue
// at that receive. A receipt handle is the JetStream ack subject of the
// delivery. JetStream settles an ack by the message alone, so the service
// records the latest delivery of each message in flight: a handle of an
// earlier delivery (the message was received again since) deletes nothing
// and changes no visibility, and Stats counts as in flight only messages
// whose visibility timeout is not over (see inflight.go).
//
// Messages are checked as SQS checks them (validate.go): at most ten
// message attributes with valid names, types and values, and 256 KiB of
// body and attributes. The attributes are stored as JSON before the body
// (the Sqs-Message-Attributes-Length header gives its length), not in a
// header: JetStream takes at most 64 KiB of headers.
//
// SendBatch (SendMessageBatch) publishes up to ten messages at once and
// waits for their acknowledgements together. An event source mapping runs
// five batches at once for a standard queue (as Lambda starts polling),
// deletes a batch's messages without waiting for the server's answers,
// and encodes the SQS event without reflection; bench/services measures
// the path against JetStream alone.
//
// FIFO queues keep order the simplest correct way: the consumer allows one
// unacknowledged message at a time for the whole queue, so messages of a
// group are delivered in order and never two of one group in flight (at
// the cost of parallelism between groups). Deduplication ids (given, or the
// SHA-256 of the body with ContentBasedDeduplication) become Nats-Msg-Id,
// deduplicated over five minutes as SQS does.
//
// The package knows queues, messages and an invoke.Invoker; it does not
// know templates, the runtime or the control API.
package queue
