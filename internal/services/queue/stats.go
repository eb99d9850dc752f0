package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Stats are a queue's approximate numbers, as SQS's queue attributes.
type Stats struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	ARN        string `json:"arn"`
	Fifo       bool   `json:"fifo"`
	DeadLetter string `json:"deadLetterQueue,omitempty"`
	// Visible is ApproximateNumberOfMessages, InFlight
	// ApproximateNumberOfMessagesNotVisible, Delayed
	// ApproximateNumberOfMessagesDelayed.
	Visible  int `json:"visible"`
	InFlight int `json:"inFlight"`
	Delayed  int `json:"delayed"`
	// OldestAgeSeconds is the age of the oldest message, 0 when empty.
	OldestAgeSeconds int `json:"oldestAgeSeconds"`
	// Created is when the queue was first deployed (CreatedTimestamp).
	Created time.Time `json:"created"`
}

// Stats returns a queue's numbers.
func (s *Service) Stats(ctx context.Context, name string) (Stats, error) {
	q, err := s.queue(name)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{ID: q.cfg.ID, Name: q.cfg.Name, ARN: s.ARN(q.cfg), Fifo: q.cfg.Fifo}
	if q.dlq != nil {
		st.DeadLetter = q.dlq.cfg.ID
	}
	info, err := q.stream.Info(ctx, jetstream.WithSubjectFilter(q.subject+".delayed"))
	if err != nil {
		return st, fmt.Errorf("reading queue %s: %w", q.cfg.ID, err)
	}
	st.Delayed = int(info.State.Subjects[q.subject+".delayed"])
	st.Created = info.Created
	ci, err := q.cons.Info(ctx)
	if err != nil {
		return st, fmt.Errorf("reading queue %s: %w", q.cfg.ID, err)
	}
	st.InFlight = inFlight(q, ci.NumAckPending, time.Now())
	st.Visible = max(int(info.State.Msgs)-st.Delayed-st.InFlight, 0)
	if info.State.Msgs > 0 && !info.State.FirstTime.IsZero() {
		st.OldestAgeSeconds = int(time.Since(info.State.FirstTime) / time.Second)
	}
	return st, nil
}

// inFlight is how many of a queue's messages are invisible at now: those
// received whose visibility timeout is not over. JetStream's pending count
// also holds deliveries whose timeout is over (or that were made visible
// at once) until they are delivered again, so the record of deliveries
// decides. Pending deliveries it does not know, made before this process
// started, count as in flight for one visibility timeout from its start,
// the longest they can be (unless their visibility was changed).
func inFlight(q *queue, pending int, now time.Time) int {
	n, recorded := q.inflight.count(now)
	if unknown := pending - recorded; unknown > 0 && now.Before(q.inflight.since.Add(q.cfg.VisibilityTimeout)) {
		n += unknown
	}
	return min(n, pending)
}
