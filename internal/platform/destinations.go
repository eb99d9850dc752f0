package platform

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/services/bucket"
	"github.com/stacklab/stacklab/internal/services/events"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/services/topic"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// The places an async outcome goes, as invoke.Outcome.Delivered names them.
const (
	toDeadLetterQueue = "DeadLetterQueue"
	toOnSuccess       = "OnSuccess"
	toOnFailure       = "OnFailure"
)

// asyncTarget is a function's DeadLetterQueue or destination, resolved
// against the stack.
type asyncTarget struct {
	Name string // toDeadLetterQueue, toOnSuccess or toOnFailure
	// Place is where the template sets it, as a message begins: "function
	// Fn: DeadLetterQueue.TargetArn", or "resource FnConfig:
	// DestinationConfig.OnFailure.Destination" for an
	// AWS::Lambda::EventInvokeConfig (asyncPlace).
	Place string
	Kind  string // SQS, SNS, Lambda, EventBridge or S3Bucket
	// ID is what the service takes: the logical id of the queue, topic or
	// bucket, the name of the function, the event bus as written.
	ID string
}

func (t *asyncTarget) String() string { return t.Kind + " " + t.ID }

// asyncRoutes are where one function's async outcomes go.
type asyncRoutes struct {
	DeadLetter, OnSuccess, OnFailure *asyncTarget
}

// recordSender delivers an invocation record (JSON) to one kind of
// destination.
type recordSender func(ctx context.Context, t *asyncTarget, o *invoke.Outcome, record []byte) error

// recordSenders are the destination types the platform delivers, by the
// Type of a destination.
func (p *Platform) recordSenders() map[string]recordSender {
	return map[string]recordSender{
		"SQS":         p.recordToQueue,
		"SNS":         p.recordToTopic,
		"Lambda":      p.recordToFunction,
		"S3Bucket":    p.recordToBucket,
		"EventBridge": p.recordToBus,
	}
}

// checkAsyncDestinations resolves every function's DeadLetterQueue and
// destinations; a deploy with one that names nothing this platform runs
// fails. Destinations of a type that is not delivered yet are warned of.
func (p *Platform) checkAsyncDestinations(st *stack.Stack) error {
	var msgs []string
	senders := p.recordSenders()
	next := map[string]string{} // function name -> the function its OnSuccess invokes
	for _, f := range st.Functions {
		r, err := asyncRoutesOf(st, f)
		if err != nil {
			msgs = append(msgs, err.Error())
			continue
		}
		if r.OnSuccess != nil && r.OnSuccess.Kind == "Lambda" {
			next[f.Name] = r.OnSuccess.ID
		}
		for _, t := range []*asyncTarget{r.OnSuccess, r.OnFailure} {
			if t != nil && senders[t.Kind] == nil {
				msgs = append(msgs, fmt.Sprintf("%s: stacklab does not deliver %s destinations; use SQS, SNS, Lambda, EventBridge or S3Bucket", t.Place, t.Kind))
			}
		}
	}
	for _, f := range st.Functions {
		if loop := successLoop(next, f.Name); loop != nil {
			msgs = append(msgs, fmt.Sprintf("%s: %s invokes itself again on every success, forever; end the chain with a queue, a topic or a function without an OnSuccess function",
				asyncPlace(f, toOnSuccess), strings.Join(loop, " -> ")))
		}
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "\n"))
	}
	return nil
}

// successLoop is the chain of OnSuccess function destinations from a
// function back to itself, or nil when it ends.
func successLoop(next map[string]string, from string) []string {
	chain := []string{from}
	for fn, seen := from, map[string]bool{from: true}; ; {
		to, ok := next[fn]
		if !ok {
			return nil
		}
		chain = append(chain, to)
		if to == from {
			return chain
		}
		if seen[to] {
			return nil // a loop that does not pass through from: reported for its members
		}
		seen[to], fn = true, to
	}
}

// asyncPlace is where a function's DeadLetterQueue or destination is set,
// as a message begins: the function and its property, or the
// AWS::Lambda::EventInvokeConfig resource that configures the function
// and the resource's property.
func asyncPlace(f *stack.Function, name string) string {
	if name == toDeadLetterQueue {
		return "function " + f.ID + ": DeadLetterQueue.TargetArn"
	}
	if e := f.EventInvokeConfig; e != nil && e.Resource != "" {
		return "resource " + e.Resource + ": DestinationConfig." + name + ".Destination"
	}
	return "function " + f.ID + ": EventInvokeConfig.DestinationConfig." + name + ".Destination"
}

// asyncRoutesOf resolves a function's DeadLetterQueue and destinations.
// The error names the function (or its AWS::Lambda::EventInvokeConfig),
// the property and the fix.
func asyncRoutesOf(st *stack.Stack, f *stack.Function) (asyncRoutes, error) {
	var r asyncRoutes
	var errs []string
	resolve := func(name, place, kind string, t stack.Target) *asyncTarget {
		at, err := resolveTarget(st, kind, t)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", place, err))
			return nil
		}
		at.Name, at.Place = name, place
		return at
	}
	if d := f.DeadLetterQueue; d != nil {
		place := asyncPlace(f, toDeadLetterQueue)
		if res := st.Lookup(f.ID); res != nil && res.Type == "AWS::Lambda::Function" {
			place = "function " + f.ID + ": DeadLetterConfig.TargetArn"
		}
		r.DeadLetter = resolve(toDeadLetterQueue, place, d.Type, d.Target)
	}
	if e := f.EventInvokeConfig; e != nil {
		for _, c := range []struct {
			name string
			d    *stack.Destination
			to   **asyncTarget
		}{{toOnSuccess, e.OnSuccess, &r.OnSuccess}, {toOnFailure, e.OnFailure, &r.OnFailure}} {
			if c.d == nil || c.d.Type == "" {
				continue
			}
			place := asyncPlace(f, c.name)
			if c.d.Type == "S3Bucket" && c.name == toOnSuccess {
				errs = append(errs, fmt.Sprintf("%s: S3Bucket destinations take failed events only, as in AWS Lambda; use SQS, SNS or Lambda for OnSuccess", place))
				continue
			}
			*c.to = resolve(c.name, place, c.d.Type, c.d.Target)
		}
	}
	if len(errs) > 0 {
		return r, errors.New(strings.Join(errs, "\n"))
	}
	return r, nil
}

// outside is the end of the error for a literal name or ARN that is not a
// resource of the stack.
const outside = "stacklab runs this one stack, so nothing outside it can receive the events"

// resolveTarget finds the resource of the stack a DeadLetterQueue or
// destination of a kind names.
func resolveTarget(st *stack.Stack, kind string, t stack.Target) (*asyncTarget, error) {
	if t.IsZero() {
		if kind == "SQS" || kind == "SNS" {
			return nil, fmt.Errorf("no %s target is given, or it is computed from something stacklab cannot resolve; SAM would create one for an empty Destination, stacklab does not: add the resource to the template and point at it (e.g. !GetAtt FailedEvents.Arn)", kind)
		}
		return nil, fmt.Errorf("no %s target is given, or it is computed from something stacklab cannot resolve; point it at a resource of the template (e.g. !GetAtt Other.Arn)", kind)
	}
	wrongType := func(want, example string) error {
		if t.Ref == "" {
			return fmt.Errorf("%s is not %s of this stack; %s: add it to the template and point at it with %s", t.Literal, want, outside, example)
		}
		if r := st.Lookup(t.Ref); r != nil {
			return fmt.Errorf("%s is an %s, not %s; point it at %s or change the Type", t.Ref, r.Type, want, want)
		}
		return fmt.Errorf("%s is not a resource of this template; point it at %s of the stack (%s)", t.Ref, want, example)
	}
	switch kind {
	case "SQS":
		for _, q := range st.Queues {
			if t.Ref == q.ID || t.Ref == "" && namesQueue(q, t.Literal) {
				if q.Fifo {
					return nil, fmt.Errorf("%s is a FIFO queue; Lambda sends async events only to standard queues: point it at a standard queue", q.ID)
				}
				return &asyncTarget{Kind: kind, ID: q.ID}, nil
			}
		}
		return nil, wrongType("an SQS queue", "!GetAtt Queue.Arn")
	case "SNS":
		for _, tp := range st.Topics {
			if isTopic(tp, t) {
				if tp.Fifo {
					return nil, fmt.Errorf("%s is a FIFO topic; Lambda sends async events only to standard topics: point it at a standard topic", tp.ID)
				}
				return &asyncTarget{Kind: kind, ID: tp.ID}, nil
			}
		}
		return nil, wrongType("an SNS topic", "!Ref Topic")
	case "Lambda":
		name := t.Literal
		if i := strings.LastIndex(name, ":function:"); i >= 0 {
			name, _, _ = strings.Cut(name[i+len(":function:"):], ":")
		}
		for _, f := range st.Functions {
			if t.Ref == f.ID || t.Ref == "" && name == f.Name {
				return &asyncTarget{Kind: kind, ID: f.Name}, nil
			}
		}
		return nil, wrongType("a function", "!GetAtt Function.Arn")
	case "S3Bucket":
		name := strings.TrimPrefix(t.Literal, "arn:aws:s3:::")
		for _, b := range st.Buckets {
			if t.Ref == b.ID || t.Ref == "" && (name == b.Name || b.Name == "" && name == b.ID) {
				return &asyncTarget{Kind: kind, ID: b.ID}, nil
			}
		}
		return nil, wrongType("a bucket", "!GetAtt Bucket.Arn")
	case "EventBridge":
		if t.Ref != "" {
			for _, b := range st.EventBuses {
				if b.ID == t.Ref {
					return &asyncTarget{Kind: kind, ID: b.ID}, nil
				}
			}
			return nil, wrongType("an event bus", "!GetAtt Bus.Arn")
		}
		name := t.Literal
		if i := strings.LastIndex(name, ":event-bus/"); i >= 0 {
			name = name[i+len(":event-bus/"):]
		}
		if name == events.DefaultBus {
			return &asyncTarget{Kind: kind, ID: events.DefaultBus}, nil
		}
		for _, b := range st.EventBuses {
			if name == b.Name || b.Name == "" && name == b.ID {
				return &asyncTarget{Kind: kind, ID: b.ID}, nil
			}
		}
		return nil, wrongType("an event bus (the default bus or an AWS::Events::EventBus of the stack)", "!GetAtt Bus.Arn")
	}
	return nil, fmt.Errorf("type %q is not one of SQS, SNS, Lambda, EventBridge, S3Bucket", kind)
}

// namesQueue reports whether a name, URL or ARN names the queue, by the
// name the queue service gives it.
func namesQueue(q *stack.Queue, s string) bool {
	name := q.Name
	if name == "" {
		name = q.ID
		if q.Fifo {
			name += ".fifo"
		}
	}
	return s != "" && (s == name || strings.HasSuffix(s, ":"+name) || strings.HasSuffix(s, "/"+name))
}

// functionNamed finds a function of the stack by the name an async event
// was accepted for: its name or logical id, maybe with a qualifier.
func functionNamed(st *stack.Stack, name string) *stack.Function {
	name, _, _ = strings.Cut(name, ":")
	for _, f := range st.Functions {
		if f.Name == name || f.ID == name {
			return f
		}
	}
	return nil
}

// settleAsync delivers the final outcome of an async event (the Settle
// of the async queue): the event to the DeadLetterQueue and the record to
// OnFailure on failure, the record to OnSuccess on success. A delivery
// that fails for a reason that can pass is an error (the queue keeps the
// outcome and tries again); one that cannot succeed is logged and given up.
func (p *Platform) settleAsync(ctx context.Context, o *invoke.Outcome) error {
	log := p.log.With("function", o.Function, "request_id", o.RequestID)
	st := p.Stack()
	var f *stack.Function
	if st != nil {
		f = functionNamed(st, o.Function)
	}
	if f == nil {
		if !o.Succeeded() {
			log.Warn("async event discarded: its function is no longer deployed", "condition", o.Condition)
		}
		return nil
	}
	r, err := asyncRoutesOf(st, f)
	if err != nil {
		// Deploys reject these; only a stack resumed from before the check
		// gets here.
		log.Error("async outcome not delivered: the function's destinations are invalid", "err", err)
		return nil
	}
	targets := []*asyncTarget{r.OnSuccess}
	if !o.Succeeded() {
		targets = []*asyncTarget{r.DeadLetter, r.OnFailure}
		if r.DeadLetter == nil && r.OnFailure == nil {
			log.Warn("async event discarded: add a DeadLetterQueue or an OnFailure destination to keep failed events",
				"condition", o.Condition, "attempts", o.Attempts, "error", o.ErrorMessage())
		}
	}
	var errs []error
	for _, t := range targets {
		if t == nil || o.IsDelivered(t.Name) {
			continue
		}
		dctx, span := p.destinationSpan(ctx, f, t, o)
		err := p.deliverOutcome(dctx, f, t, o)
		span.RecordError(err)
		span.End()
		switch {
		case err == nil:
			o.MarkDelivered(t.Name)
			log.Info("async outcome delivered", "to", t.Name, "destination", t.String(), "condition", o.Condition)
		case errors.Is(err, errNotDelivered):
			o.MarkDelivered(t.Name)
			log.Error("async outcome dropped: no way to deliver this destination type", "to", t.Name, "destination", t.String())
		case undeliverable(err):
			o.MarkDelivered(t.Name)
			log.Error("async outcome cannot be delivered; given up", "to", t.Name, "destination", t.String(), "err", err)
		default:
			errs = append(errs, fmt.Errorf("delivering to the %s of function %s (%s): %w", t.Name, f.ID, t, err))
		}
	}
	return errors.Join(errs...)
}

// destinationSpan starts the Producer span of sending an async outcome to
// one destination, in the invocation's trace (o.TraceID) and of the
// function's resource, so that the service map draws function ->
// destination; the send's own span (a queue's, a topic's ...) is its child.
func (p *Platform) destinationSpan(ctx context.Context, f *stack.Function, t *asyncTarget, o *invoke.Outcome) (context.Context, telemetry.Span) {
	ctx = tracectx.FromXRay(ctx, o.TraceID)
	if p.tel == nil {
		return ctx, telemetry.Span{}
	}
	return p.tel.StartSpan(ctx, f.Name+" "+t.Name, telemetry.Producer,
		telemetry.Resource(f.ID),
		attribute.String("stacklab.destination", t.Name),
		attribute.String("stacklab.destination.target", t.String()),
		attribute.String("stacklab.async.condition", string(o.Condition)),
		attribute.Int("stacklab.async.attempts", o.Attempts))
}

// errNotDelivered: no sender for the destination's type.
var errNotDelivered = errors.New("destination type not delivered")

// undeliverable reports whether a delivery error will not pass by trying
// again (the message is too large or otherwise refused).
func undeliverable(err error) bool {
	return errors.Is(err, queue.ErrInvalid) || errors.Is(err, topic.ErrInvalid) || errors.Is(err, bucket.ErrInvalid) ||
		errors.Is(err, invoke.ErrTooLarge) || errors.Is(err, invoke.ErrInvalidContent) || errors.Is(err, errRefusedByBus)
}

// errRefusedByBus: an event bus refused a record's entry (too large, say);
// sending it again would not help.
var errRefusedByBus = errors.New("refused by the event bus")

// deliverOutcome sends an outcome to one target: the event with the
// dead-letter attributes to a DeadLetterQueue, the invocation record to a
// destination.
func (p *Platform) deliverOutcome(ctx context.Context, f *stack.Function, t *asyncTarget, o *invoke.Outcome) error {
	if t.Name == toDeadLetterQueue {
		code := strconv.Itoa(o.ErrorCode())
		switch t.Kind {
		case "SQS":
			attrs := map[string]queue.Attribute{"ErrorCode": {DataType: "Number", StringValue: code}}
			if o.RequestID != "" { // SQS refuses an empty value
				attrs["RequestID"] = queue.Attribute{DataType: "String", StringValue: o.RequestID}
			}
			if m := o.ErrorMessage(); m != "" {
				attrs["ErrorMessage"] = queue.Attribute{DataType: "String", StringValue: m}
			}
			_, err := p.queues.Send(ctx, t.ID, queue.SendInput{Body: string(o.Payload), MessageAttributes: attrs})
			return err
		case "SNS":
			attrs := map[string]topic.Attribute{"ErrorCode": {DataType: "Number", StringValue: code}}
			if o.RequestID != "" { // SNS refuses an empty value
				attrs["RequestID"] = topic.Attribute{DataType: "String", StringValue: o.RequestID}
			}
			if m := o.ErrorMessage(); m != "" {
				attrs["ErrorMessage"] = topic.Attribute{DataType: "String", StringValue: m}
			}
			_, err := p.topics.Publish(ctx, t.ID, topic.PublishInput{Message: string(o.Payload), MessageAttributes: attrs})
			return err
		}
		return fmt.Errorf("%w: a DeadLetterQueue is SQS or SNS, not %s", queue.ErrInvalid, t.Kind)
	}
	send := p.recordSenders()[t.Kind]
	if send == nil {
		return errNotDelivered
	}
	record, err := o.RecordJSON(p.arn("lambda", "function:"+f.Name))
	if err != nil {
		return fmt.Errorf("%w: %v", queue.ErrInvalid, err)
	}
	return send(ctx, t, o, record)
}

func (p *Platform) recordToQueue(ctx context.Context, t *asyncTarget, _ *invoke.Outcome, record []byte) error {
	_, err := p.queues.Send(ctx, t.ID, queue.SendInput{Body: string(record)})
	return err
}

func (p *Platform) recordToTopic(ctx context.Context, t *asyncTarget, _ *invoke.Outcome, record []byte) error {
	_, err := p.topics.Publish(ctx, t.ID, topic.PublishInput{Message: string(record)})
	return err
}

// recordToFunction invokes the destination function asynchronously with
// the record, through the same async queue. The request id is derived from
// the outcome's, so that sending again after a failure is deduplicated.
func (p *Platform) recordToFunction(ctx context.Context, t *asyncTarget, o *invoke.Outcome, record []byte) error {
	trace := tracectx.XRay(ctx)
	if trace == "" {
		trace = o.TraceID
	}
	return p.async.Accept(ctx, invoke.Request{Function: t.ID, Payload: record, Type: invoke.Event, TraceID: trace}, derivedRequestID(o.RequestID, t.Name))
}

// recordToBucket writes the record as the object
// aws/lambda/async/<function>/<yyyy>/<mm>/<dd>/<request id>.json (a
// layout of stacklab's: writing it again after a failure replaces it).
func (p *Platform) recordToBucket(ctx context.Context, t *asyncTarget, o *invoke.Outcome, record []byte) error {
	_, err := p.buckets.Put(ctx, t.ID, bucketRecordKey(o), bytes.NewReader(record), bucket.PutInput{ContentType: "application/json"})
	return err
}

// recordToBus puts the record on an event bus as Lambda does: source
// "lambda", detail-type "Lambda Function Invocation Result - Success" (or
// "- Failure"), the record as the detail and the function's ARN among the
// resources.
func (p *Platform) recordToBus(ctx context.Context, t *asyncTarget, o *invoke.Outcome, record []byte) error {
	typ := "Lambda Function Invocation Result - Failure"
	if o.Succeeded() {
		typ = "Lambda Function Invocation Result - Success"
	}
	fn, _, _ := strings.Cut(o.Function, ":")
	res, err := p.PutEvents(ctx, []events.Entry{{
		Source: "lambda", DetailType: typ, Detail: string(record), EventBusName: t.ID,
		Resources: []string{p.arn("lambda", "function:"+fn+":"+firstNonEmpty(o.Version, "$LATEST"))},
	}})
	if err != nil {
		return err
	}
	if res.FailedEntryCount > 0 && len(res.Entries) > 0 {
		return fmt.Errorf("%w: the event bus %s refused the record: %s: %s", errRefusedByBus, t.ID, res.Entries[0].ErrorCode, res.Entries[0].ErrorMessage)
	}
	return nil
}

// bucketRecordKey is the key of an outcome's record in an S3Bucket
// destination.
func bucketRecordKey(o *invoke.Outcome) string {
	fn, _, _ := strings.Cut(o.Function, ":")
	return "aws/lambda/async/" + fn + "/" + o.Time.UTC().Format("2006/01/02") + "/" + o.RequestID + ".json"
}

// derivedRequestID is a request id in Lambda's format, the same for the
// same request and destination.
func derivedRequestID(id, to string) string {
	sum := sha256.Sum256([]byte(id + "/" + to))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
