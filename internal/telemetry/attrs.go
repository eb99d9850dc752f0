package telemetry

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// ResourceKey names the stack resource (logical id from the template) a span
// belongs to: the node of the service map. It is stacklab's own attribute;
// everything else follows OpenTelemetry's semantic conventions.
const ResourceKey = attribute.Key("stacklab.resource")

// Resource says which stack resource (function, queue, bucket, API ...) a span
// belongs to. Every span should carry one.
func Resource(logicalID string) attribute.KeyValue { return ResourceKey.String(logicalID) }

// faas.trigger values.
const (
	TriggerHTTP       = "http"       // API Gateway, function URL, Invoke API
	TriggerPubSub     = "pubsub"     // queues, topics
	TriggerDatasource = "datasource" // bucket and table events
	TriggerTimer      = "timer"      // schedules
	TriggerOther      = "other"
)

// messaging.system values.
const (
	SystemSQS = "aws_sqs"
	SystemSNS = "aws.sns"
)

// messaging.operation.type values.
const (
	OpCreate  = "create"
	OpSend    = "send"
	OpReceive = "receive"
	OpProcess = "process"
	OpSettle  = "settle"
)

// faas.document.operation values.
const (
	DocInsert = "insert"
	DocEdit   = "edit"
	DocDelete = "delete"
)

// FaaSTrigger is faas.trigger, one of the Trigger constants.
func FaaSTrigger(t string) attribute.KeyValue { return semconv.FaaSTriggerKey.String(t) }

// FaaSInvocationID is faas.invocation_id, the Lambda request id.
func FaaSInvocationID(id string) attribute.KeyValue { return semconv.FaaSInvocationIDKey.String(id) }

// FaaSColdstart is faas.coldstart: the invocation started a new instance.
func FaaSColdstart(cold bool) attribute.KeyValue { return semconv.FaaSColdstartKey.Bool(cold) }

// FaaSName is faas.name, the invoked function's name. It also fills the
// store's function column, which --function filters on.
func FaaSName(name string) attribute.KeyValue { return semconv.FaaSNameKey.String(name) }

// FaaSVersion is faas.version, the function's deployment version.
func FaaSVersion(v string) attribute.KeyValue { return semconv.FaaSVersionKey.String(v) }

// FaaSInstance is faas.instance, the instance that ran the invocation.
func FaaSInstance(id string) attribute.KeyValue { return semconv.FaaSInstanceKey.String(id) }

// FaaSMaxMemory is faas.max_memory, the function's memory size, in bytes as
// the convention asks (given here in MB as Lambda configures it).
func FaaSMaxMemory(mb int) attribute.KeyValue {
	return semconv.FaaSMaxMemoryKey.Int64(int64(mb) << 20)
}

// FaaSInvokedName is faas.invoked_name, on a client span that invokes a
// function.
func FaaSInvokedName(name string) attribute.KeyValue {
	return semconv.FaaSInvokedNameKey.String(name)
}

// FaaSCron is faas.cron, a schedule's expression.
func FaaSCron(expr string) attribute.KeyValue { return semconv.FaaSCronKey.String(expr) }

// FaaSTime is faas.time, when a timer fired.
func FaaSTime(t time.Time) attribute.KeyValue {
	return semconv.FaaSTimeKey.String(t.UTC().Format(time.RFC3339Nano))
}

// FaaSDocument are faas.document.collection, .operation and .name: the bucket
// or table, what happened (a Doc constant) and the object key.
func FaaSDocument(collection, operation, name string) []attribute.KeyValue {
	return []attribute.KeyValue{
		semconv.FaaSDocumentCollectionKey.String(collection),
		semconv.FaaSDocumentOperationKey.String(operation),
		semconv.FaaSDocumentNameKey.String(name),
	}
}

// CloudRegion is cloud.region.
func CloudRegion(r string) attribute.KeyValue { return semconv.CloudRegionKey.String(r) }

// MessagingSystem is messaging.system, one of the System constants.
func MessagingSystem(s string) attribute.KeyValue { return semconv.MessagingSystemKey.String(s) }

// MessagingOperation is messaging.operation.type (one of the Op constants),
// the current name of what older conventions called messaging.operation.
func MessagingOperation(op string) attribute.KeyValue {
	return attribute.Key("messaging.operation.type").String(op)
}

// MessagingDestination is messaging.destination.name, the queue or topic.
func MessagingDestination(name string) attribute.KeyValue {
	return semconv.MessagingDestinationNameKey.String(name)
}

// MessagingMessageID is messaging.message.id.
func MessagingMessageID(id string) attribute.KeyValue {
	return semconv.MessagingMessageIDKey.String(id)
}

// MessagingBatchCount is messaging.batch.message_count.
func MessagingBatchCount(n int) attribute.KeyValue {
	return semconv.MessagingBatchMessageCountKey.Int(n)
}

// HTTPMethod is http.request.method.
func HTTPMethod(m string) attribute.KeyValue { return semconv.HTTPRequestMethodKey.String(m) }

// HTTPRoute is http.route, the matched route template ("/items/{id}").
func HTTPRoute(r string) attribute.KeyValue { return semconv.HTTPRouteKey.String(r) }

// HTTPStatus is http.response.status_code.
func HTTPStatus(code int) attribute.KeyValue { return semconv.HTTPResponseStatusCodeKey.Int(code) }

// URLPath is url.path.
func URLPath(p string) attribute.KeyValue { return semconv.URLPathKey.String(p) }

// ErrorType is error.type, a low-cardinality name of what failed (an outcome
// such as "timeout", an HTTP status class, an error's type).
func ErrorType(t string) attribute.KeyValue { return semconv.ErrorTypeKey.String(t) }
