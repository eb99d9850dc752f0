package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/stacklab/stacklab/internal/ids"
)

// Fire delivers one tick of a scheduled rule, as EventBridge does: the
// scheduled event ("detail-type": "Scheduled Event", "source":
// "aws.events", the rule's ARN in "resources", an empty "detail") is
// stored like the events put on a bus, and goes to the rule's targets only
// (functions, queues and topics, through each target's Input, InputPath or
// InputTransformer), with the retries and dead-letter queues of pattern
// rules. The span in ctx (the tick's) is the parent of the delivery. A
// disabled rule is not fired; one that is not deployed is an error.
func (s *Service) Fire(ctx context.Context, ruleID string, tick time.Time) error {
	s.mu.RLock()
	closed := s.closed
	var r *rule
	for _, x := range s.rules {
		if x.cfg.ID == ruleID && x.cfg.Schedule != "" {
			r = x
		}
	}
	s.mu.RUnlock()
	switch {
	case closed:
		return ErrClosed
	case r == nil:
		return fmt.Errorf("%w: no scheduled rule %s is deployed", ErrInvalid, ruleID)
	case !r.cfg.Enabled:
		return nil
	}
	id := ids.V4()
	raw, err := json.Marshal(Event{Version: "0", ID: id, DetailType: "Scheduled Event", Source: "aws.events", Account: s.opts.AccountID,
		Time: tick.UTC().Format("2006-01-02T15:04:05Z"), Region: s.opts.Region, Resources: []string{r.arn}, Detail: json.RawMessage("{}")})
	if err != nil {
		return err
	}
	rec := stored{Bus: r.cfg.Bus, ID: id, Ingested: time.Now().UTC().Format(time.RFC3339Nano), Event: raw, Rule: r.cfg.ID}
	if err := s.publish(ctx, rec); err != nil {
		return fmt.Errorf("storing the scheduled event of rule %s: %w", r.cfg.ID, err)
	}
	return nil
}
