// Package table runs DynamoDB tables (AWS::DynamoDB::Table,
// AWS::Serverless::SimpleTable) on NATS JetStream, and their streams.
//
// Each table is one JetStream KV bucket (STACKLAB_TABLE_<id>); an item is
// a DynamoDB JSON attribute map ({"id":{"S":"a"},"n":{"N":"1"}}) stored
// under the base64url of its key values. Writes to one table are
// serialised by the service, so a table's stream records follow the order
// of its writes.
//
// A table with a StreamViewType has a stream (STACKLAB_TABLESTREAM_<id>,
// kept 24 hours as DynamoDB keeps its streams): every write appends one
// stream record (INSERT, MODIFY or REMOVE, with the images the view type
// asks for). A poller per event source mapping reads it with a durable
// pull consumer, invokes the function with batches in order, and retries
// a failed batch, after a delay, until it succeeds, as Lambda does for
// stream sources without a retry limit.
//
// The package knows tables, items and an invoke.Invoker; it does not know
// templates, the runtime or the control API.
package table
