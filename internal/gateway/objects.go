package gateway

// ObjectsPrefix is where the gateway serves the buckets' objects over
// plain HTTP, path style, when Config.Objects is set:
// PUT, GET, HEAD and DELETE /_s3/{bucket}/{key}, and GET /_s3/{bucket}
// (?prefix=P) for the list of objects. Puts and deletes send the buckets'
// S3 event notifications; a put or a delete answers with its span's
// context in traceparent and X-Amzn-Trace-Id, the trace of what it causes.
const ObjectsPrefix = "/_s3/"
