package tracectx

import "context"

// AWSTraceHeader is the SQS system attribute that carries a message's X-Ray
// trace header; Lambda shows it to handlers as attributes.AWSTraceHeader of
// each SQS record, so a queue that sets it looks like AWS to function code.
const AWSTraceHeader = "AWSTraceHeader"

// InjectAWSTraceHeader stores the span context in ctx as the AWSTraceHeader
// system attribute of a queue message. It does nothing when ctx holds no
// valid span context or attrs is nil.
func InjectAWSTraceHeader(ctx context.Context, attrs map[string]string) {
	if h := XRay(ctx); h != "" && attrs != nil {
		attrs[AWSTraceHeader] = h
	}
}

// FromAWSTraceHeader returns ctx carrying the remote span context of a queue
// message's AWSTraceHeader attribute, or ctx unchanged when there is none or
// it does not parse.
func FromAWSTraceHeader(ctx context.Context, attrs map[string]string) context.Context {
	return FromXRay(ctx, attrs[AWSTraceHeader])
}
