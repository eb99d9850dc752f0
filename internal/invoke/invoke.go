package invoke

import (
	"context"
	"time"
)

// Type is the X-Amz-Invocation-Type of a request.
type Type string

// Invocation types.
const (
	RequestResponse Type = "RequestResponse" // synchronous: wait for the result
	Event           Type = "Event"           // asynchronous: accepted, run later
	DryRun          Type = "DryRun"          // check the request only
)

// Payload limits, as AWS Lambda documents them.
const (
	MaxSyncPayload  = 6 * 1024 * 1024 // request and response of a synchronous invocation
	MaxAsyncPayload = 256 * 1024      // request of an asynchronous invocation
)

// Request is one invocation of a function.
type Request struct {
	Function string // function name or logical id
	Payload  []byte // the event, JSON
	Type     Type
	LogTail  bool   // return the last 4 KB of the log (X-Amz-Log-Type: Tail)
	TraceID  string // X-Amzn-Trace-Id to pass on, optional
	// ClientContext is the base64 X-Amz-Client-Context, passed to the
	// function as Lambda-Runtime-Client-Context.
	ClientContext string
	// RequestID, when set, is the id the invocation runs under (an async
	// event keeps the id it was accepted with across its attempts).
	RequestID string
	// Trigger is what caused the invocation, as OpenTelemetry's
	// faas.trigger (the telemetry.Trigger constants): "http" for the
	// gateway's routes and the Invoke API, "pubsub" for queue and topic
	// deliveries, "datasource" for bucket notifications and table stream
	// records, "timer" for schedules, "other" for anything else. ""
	// counts as "other". It goes on the invocation's span and record, and
	// an async event keeps it across its attempts.
	Trigger string
	// Attempt is which attempt at an async event this is: 1 for the first
	// run, 2 for the first retry, ... (throttled deliveries that never ran
	// do not count). 0 for an invocation that is not an async event's.
	Attempt int
	// Queued is when the event entered the async queue for this attempt:
	// when it was accepted (first attempt) or when the failed attempt
	// before it ended (a retry). The invocation's span, queue wait and
	// record start there. Zero for an invocation that was not queued.
	Queued time.Time
}

// Result is what a synchronous invocation returned.
type Result struct {
	RequestID string
	Payload   []byte // the function's response, or its error document
	// FunctionError is "Unhandled" when the function failed (its error
	// document is the Payload), "" when it succeeded.
	FunctionError string
	LogTail       []byte // when asked for: the end of the invocation's log
	Version       string // the function version that ran, "$LATEST"
	// TraceID is the trace the invocation is recorded in (32 hex digits,
	// for 'stacklab trace ID'); for an async invocation, the trace its
	// attempts will join. "" when tracing is off.
	TraceID string

	Cold           bool
	Duration       time.Duration // from the event being handed over to the response
	BilledDuration time.Duration // Duration rounded up to the millisecond
	InitDuration   time.Duration // cold starts only: process start to first next
	MemorySizeMB   int
	MaxMemoryMB    int // peak resident memory of the instance, when known
}

// Invoker runs invocations. Implementations are safe for concurrent use.
type Invoker interface {
	Invoke(ctx context.Context, req Request) (Result, error)
}
