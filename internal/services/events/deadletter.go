package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/services/queue"
)

// exhausted says which limit of a target's RetryPolicy an event has
// reached after a failed delivery, or "".
func (s *Service) exhausted(t Target, meta *jetstream.MsgMetadata, ingested string) string {
	if t.MaxRetries != nil && bus.Deliveries(meta) > uint64(*t.MaxRetries) {
		return "MaximumRetryAttempts"
	}
	if at, err := time.Parse(time.RFC3339Nano, ingested); err == nil && t.MaxAge > 0 && time.Since(at) >= t.MaxAge {
		return "MaximumEventAgeInSeconds"
	}
	return ""
}

// deadLetter gives up delivering an event to a target: the event goes to
// the target's dead-letter queue with the attributes EventBridge sets, or
// is dropped (and logged) when there is none. The delivery that failed
// last is cause; cond is the limit reached, "" when the target refused the
// event (no retry would take it).
func (s *Service) deadLetter(ctx context.Context, r *rule, t Target, rec stored, meta *jetstream.MsgMetadata, cond string, cause error) error {
	if t.DeadLetter == "" && cond == "" {
		s.log.Error("dropping an event its target refused; it would refuse it again", "bus", rec.Bus, "rule", r.cfg.ID, "target", t.ID,
			"event_id", rec.ID, "err", cause,
			"fix", "make what the rule sends fit the target (an SQS message is at most 256 KiB: an InputPath or InputTransformer can send less), or give the target a DeadLetterConfig to keep such events")
		return nil
	}
	if t.DeadLetter == "" {
		s.log.Error("dropping an event for a target after its retries", "bus", rec.Bus, "rule", r.cfg.ID, "target", t.ID,
			"event_id", rec.ID, "limit", cond, "err", cause)
		return nil
	}
	code, msg := "DeliveryFailed", cause.Error()
	var ie *invoke.Error
	if errors.As(cause, &ie) {
		code, msg = ie.Type, ie.Message
	}
	str := func(v string) queue.Attribute { return queue.Attribute{DataType: "String", StringValue: v} }
	in := queue.SendInput{Body: string(rec.Event), MessageAttributes: map[string]queue.Attribute{
		"RULE_ARN":                  str(r.arn),
		"TARGET_ARN":                str(s.targetARN(t)),
		"ERROR_CODE":                str(code),
		"ERROR_MESSAGE":             str(msg),
		"EXHAUSTED_RETRY_CONDITION": str(cond),
		"RETRY_ATTEMPTS":            {DataType: "Number", StringValue: strconv.FormatUint(max(bus.Deliveries(meta), 1)-1, 10)},
	}}
	for k, a := range in.MessageAttributes {
		if a.StringValue == "" {
			delete(in.MessageAttributes, k) // SQS refuses an empty value
		}
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := s.snd.Send(dctx, t.DeadLetter, in); err != nil {
		s.log.Error("sending an event to a target's dead-letter queue", "rule", r.cfg.ID, "target", t.ID, "queue", t.DeadLetter,
			"event_id", rec.ID, "err", err)
		return fmt.Errorf("dead-letter queue %s: %w", t.DeadLetter, err)
	}
	s.log.Warn("event sent to a target's dead-letter queue", "rule", r.cfg.ID, "target", t.ID, "queue", t.DeadLetter,
		"event_id", rec.ID, "limit", cond, "err", cause)
	return nil
}

// targetARN is a target's ARN, as far as its name tells it.
func (s *Service) targetARN(t Target) string {
	if strings.HasPrefix(t.Name, "arn:") {
		return t.Name
	}
	switch t.Kind {
	case Function:
		return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.opts.Region, s.opts.AccountID, t.Name)
	case Queue:
		return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", s.opts.Region, s.opts.AccountID, t.Name)
	case Topic:
		return fmt.Sprintf("arn:aws:sns:%s:%s:%s", s.opts.Region, s.opts.AccountID, t.Name)
	}
	return t.Name
}
