// Package bucket runs S3 buckets (AWS::S3::Bucket) on NATS JetStream
// object stores and delivers their S3 event notifications.
//
// Each bucket is one object store, STACKLAB_BUCKET_<id> (its stream is
// OBJ_STACKLAB_BUCKET_<id>), named after the logical id with anything but
// letters, digits, - and _ turned into _. Objects are streamed in and out
// in 128 KB chunks (read back with a pull consumer buffering 8 of them),
// so an object of any size never sits in memory. Each
// object's metadata keeps its content type, its user metadata and its
// ETag, the MD5 of the content in hex as S3 gives it for a single-part
// upload.
//
// After a put or a delete, every notification of the bucket whose event
// name (s3:ObjectCreated:*, s3:ObjectCreated:Put, s3:ObjectRemoved:*, ...)
// and prefix and suffix filters match gets the S3 event record AWS
// documents: a function as an asynchronous invocation (durable in
// JetStream before Put returns), a queue or a topic as a message. A
// failed delivery is logged; it does not fail the put, as with S3.
//
// The package knows buckets, objects, an invoke.Invoker and functions to
// send to queues and topics; it does not know templates, the runtime or the control
// API.
package bucket
