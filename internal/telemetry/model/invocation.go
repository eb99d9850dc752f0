package model

import (
	"fmt"
	"math"
	"time"
)

// Outcome is how an invocation ended.
type Outcome string

// The outcomes of an invocation.
const (
	// OutcomeOK: the handler returned a result.
	OutcomeOK Outcome = "ok"
	// OutcomeHandledError: the handler returned an error it chose to return.
	OutcomeHandledError Outcome = "handled_error"
	// OutcomeUnhandled: the handler crashed or the runtime reported an
	// unhandled error.
	OutcomeUnhandled Outcome = "unhandled"
	// OutcomeTimeout: the function ran past its timeout.
	OutcomeTimeout Outcome = "timeout"
	// OutcomeThrottled: the invocation was refused for lack of concurrency and
	// never ran.
	OutcomeThrottled Outcome = "throttled"
	// OutcomeOOM: the instance ran out of memory.
	OutcomeOOM Outcome = "oom"
)

// Outcomes lists every outcome, in a stable order.
var Outcomes = []Outcome{OutcomeOK, OutcomeHandledError, OutcomeUnhandled, OutcomeTimeout, OutcomeThrottled, OutcomeOOM}

// Valid reports whether o is one of Outcomes.
func (o Outcome) Valid() bool {
	for _, v := range Outcomes {
		if o == v {
			return true
		}
	}
	return false
}

// IsError reports whether the outcome counts as an error (everything but ok
// and throttled, which is counted on its own).
func (o Outcome) IsError() bool { return o != OutcomeOK && o != OutcomeThrottled }

// Invocation is the record of one invocation of a function.
type Invocation struct {
	Function   string
	Version    string
	Deployment string
	RequestID  string
	TraceID    string
	// Trigger is the faas.trigger value: http, pubsub, datasource, timer or other.
	Trigger string
	// Start is when the invocation was accepted.
	Start time.Time
	// QueueWait is the time between Start and the handler being given the event
	// (waiting for an instance or in an async queue).
	QueueWait time.Duration
	// InitDuration is the time spent starting a new instance; zero when warm.
	InitDuration time.Duration
	// Duration is the handler's run time.
	Duration time.Duration
	// BilledDuration is what Lambda would bill; see Prices.Bill.
	BilledDuration time.Duration
	MemorySizeMB   int
	MaxMemoryMB    int
	Cold           bool
	Outcome        Outcome
	// Retries is how many attempts came before this one (0 for the first).
	Retries int
	// GBSeconds and Cost are filled by Prices.Bill.
	GBSeconds float64
	Cost      float64

	// The invocation's own spans, when SpanID is set: the record is then
	// also the invocation span (a server span named by the function, from
	// Start to End, child of ParentID) and, when RunID is set, its "run"
	// child (RunStart to RunEnd: the event handed over to the answer). The
	// store keeps them in the record's row instead of rows of their own,
	// and gives them back among the trace's spans; Spans says what they
	// are. Ids are lower-case hex as in Span.
	SpanID, ParentID, RunID string
	// Resource is the spans' stack resource (the function's logical id).
	Resource string
	// Instance is the instance that ran the invocation ("" if none did).
	Instance         string
	End              time.Time
	RunStart, RunEnd time.Time
	// StatusMessage says why a failed invocation failed (the error type,
	// or the throttling error).
	StatusMessage string
	// Attributes are the invocation span's attributes beyond those the
	// record implies (see Spans), such as an async attempt's number.
	Attributes map[string]any
	// Events are the invocation span's events (an async retry).
	Events []Event
}

// SpanCount is len(inv.Spans()), without making them.
func (inv *Invocation) SpanCount() int {
	switch {
	case inv.SpanID == "":
		return 0
	case inv.RunID == "":
		return 1
	}
	return 2
}

// The attributes of an invocation span that its record implies.
const (
	attrResource     = "stacklab.resource"
	attrName         = "faas.name"
	attrVersion      = "faas.version"
	attrTrigger      = "faas.trigger"
	attrInvocationID = "faas.invocation_id"
	attrMaxMemory    = "faas.max_memory"
	attrColdstart    = "faas.coldstart"
	attrInstance     = "faas.instance"
	attrErrorType    = "error.type"
)

// Spans are the spans the record stands for (see SpanID): none without a
// SpanID, else the invocation span and, with a RunID, its run span.
//
// The invocation span has the attributes stacklab.resource, faas.name,
// faas.version, faas.trigger, faas.invocation_id, faas.max_memory (bytes),
// with faas.coldstart and faas.instance when an instance ran it, error.type
// (the outcome) when it failed, and Attributes; its status is ok, or error
// with StatusMessage. The run span has stacklab.resource, and error.type
// with status error and StatusMessage when the invocation failed.
//
// Integers are int64 here; read back from the store, as every span
// attribute, they are float64.
func (inv *Invocation) Spans() []Span {
	if inv.SpanID == "" {
		return nil
	}
	failed := inv.Outcome != OutcomeOK
	attrs := make(map[string]any, 9+len(inv.Attributes))
	attrs[attrResource] = inv.Resource
	attrs[attrName] = inv.Function
	attrs[attrVersion] = inv.Version
	attrs[attrTrigger] = inv.Trigger
	attrs[attrInvocationID] = inv.RequestID
	attrs[attrMaxMemory] = int64(inv.MemorySizeMB) << 20
	if inv.Instance != "" {
		attrs[attrColdstart] = inv.Cold
		attrs[attrInstance] = inv.Instance
	}
	if failed {
		attrs[attrErrorType] = string(inv.Outcome)
	}
	for k, v := range inv.Attributes {
		attrs[k] = v
	}
	sp := Span{
		TraceID: inv.TraceID, SpanID: inv.SpanID, ParentID: inv.ParentID,
		Name: inv.Function, Kind: KindServer, Resource: inv.Resource, Function: inv.Function,
		Start: inv.Start, End: inv.End, Status: StatusOK,
		Attributes: attrs, Events: inv.Events,
	}
	if failed {
		sp.Status, sp.StatusMessage = StatusError, inv.StatusMessage
	}
	out := []Span{sp}
	if inv.RunID != "" {
		run := Span{
			TraceID: inv.TraceID, SpanID: inv.RunID, ParentID: inv.SpanID,
			Name: "run", Kind: KindInternal, Resource: inv.Resource,
			Start: inv.RunStart, End: inv.RunEnd, Status: StatusUnset,
			Attributes: map[string]any{attrResource: inv.Resource},
		}
		if failed {
			run.Status, run.StatusMessage = StatusError, inv.StatusMessage
			run.Attributes[attrErrorType] = string(inv.Outcome)
		}
		out = append(out, run)
	}
	return out
}

// Prices turns invocations into a cost the way AWS Lambda bills on demand.
type Prices struct {
	// PerGBSecond is the price of one GB-second of duration.
	PerGBSecond float64
	// PerRequest is the price of one request.
	PerRequest float64
	// Granularity is what billed duration is rounded up to.
	Granularity time.Duration
	// BillInit adds the init duration of a cold start to the billed duration.
	BillInit bool
}

// DefaultPrices are AWS Lambda's on-demand prices for x86 in US East
// (N. Virginia), first tier: $0.0000166667 per GB-second and $0.20 per
// million requests, duration rounded up to 1 ms, and the INIT phase billed as
// duration (AWS bills it for on-demand functions since August 2025). Source:
// https://aws.amazon.com/lambda/pricing/ (and the "How AWS Pricing Works"
// whitepaper's Lambda page), read November 2026. The free tier is not applied.
var DefaultPrices = Prices{
	PerGBSecond: 0.0000166667,
	PerRequest:  0.20 / 1_000_000,
	Granularity: time.Millisecond,
	BillInit:    true,
}

// Validate reports prices that cannot bill anything sensible.
func (p Prices) Validate() error {
	switch {
	case p.PerGBSecond < 0 || math.IsNaN(p.PerGBSecond) || math.IsInf(p.PerGBSecond, 0):
		return fmt.Errorf("telemetry prices: price per GB-second %v must be a number >= 0", p.PerGBSecond)
	case p.PerRequest < 0 || math.IsNaN(p.PerRequest) || math.IsInf(p.PerRequest, 0):
		return fmt.Errorf("telemetry prices: price per request %v must be a number >= 0", p.PerRequest)
	case p.Granularity <= 0:
		return fmt.Errorf("telemetry prices: billing granularity %v must be > 0 (AWS uses 1ms)", p.Granularity)
	}
	return nil
}

// Bill fills inv's BilledDuration, GBSeconds and Cost. A throttled invocation
// never ran and costs nothing. Memory is in MB as Lambda configures it, and a
// GB is 1024 MB, as AWS counts.
func (p Prices) Bill(inv *Invocation) {
	if inv.Outcome == OutcomeThrottled {
		inv.BilledDuration, inv.GBSeconds, inv.Cost = 0, 0, 0
		return
	}
	d := inv.Duration
	if p.BillInit {
		d += inv.InitDuration
	}
	g := p.Granularity
	if g <= 0 {
		g = time.Millisecond
	}
	if d < 0 {
		d = 0
	}
	billed := (d + g - 1) / g * g
	inv.BilledDuration = billed
	inv.GBSeconds = float64(inv.MemorySizeMB) / 1024 * billed.Seconds()
	inv.Cost = inv.GBSeconds*p.PerGBSecond + p.PerRequest
}
