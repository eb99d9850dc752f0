package queue

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// A receipt handle is the JetStream acknowledgement subject of the
// delivery, base64url-encoded: deleting a message acknowledges it, and
// changing its visibility is a negative acknowledgement with a delay, which
// JetStream keeps pending (still deletable by the same handle) until the
// delay is over and then delivers again.

// MaxVisibilityTimeout is the longest a message can be kept invisible, as
// in SQS.
const MaxVisibilityTimeout = 12 * time.Hour

// ackSubject checks that a receipt handle is one of q's deliveries and
// returns its acknowledgement subject.
func (q *queue) ackSubject(receiptHandle string) (string, error) {
	subject, ok := ackSubjectOf(receiptHandle, q.stream.CachedInfo().Config.Name)
	if !ok {
		return "", fmt.Errorf("%w: %q is not one of queue %s (use the ReceiptHandle a receive answered)", ErrReceiptHandle, short(receiptHandle), q.cfg.ID)
	}
	return subject, nil
}

// ackSubjectOf decodes a receipt handle into the acknowledgement subject
// of a delivery of the stream's queue consumer: $JS.ACK.<stream>.<consumer>.…
// (or, with a domain and account hash, $JS.ACK.<domain>.<hash>.<stream>.<consumer>.…),
// with no wildcard or space a publish could misuse.
func ackSubjectOf(receiptHandle, stream string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(receiptHandle)
	if err != nil {
		return "", false
	}
	subject := string(raw)
	ours := "." + stream + "." + consumerName + "."
	if !strings.HasPrefix(subject, "$JS.ACK.") || !strings.Contains(subject, ours) ||
		strings.ContainsAny(subject, " \t\r\n*>") || strings.Contains(subject, "..") || strings.HasSuffix(subject, ".") {
		return "", false
	}
	return subject, true
}

// ack sends an acknowledgement to a delivery and waits for JetStream to
// take it. A delivery JetStream no longer knows (deleted already, or
// delivered again meanwhile) gets no answer, which is not an error: SQS
// too accepts an old handle.
func (s *Service) ack(ctx context.Context, q *queue, subject string, body []byte, what string) error {
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := s.js.Conn().RequestWithContext(actx, subject, body); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
			return nil
		}
		return fmt.Errorf("%s of queue %s: %w", what, q.cfg.ID, err)
	}
	return nil
}

// Delete removes a received message by its receipt handle.
func (s *Service) Delete(ctx context.Context, name, receiptHandle string) error {
	q, err := s.queue(name)
	if err != nil {
		return err
	}
	subject, err := q.ackSubject(receiptHandle)
	if err != nil {
		return err
	}
	return s.ack(ctx, q, subject, []byte("+ACK"), "deleting a message")
}

// ChangeVisibility makes a received message visible again after timeout
// from now (0: at once), as SQS's ChangeMessageVisibility. Until then the
// same receipt handle still deletes it.
func (s *Service) ChangeVisibility(ctx context.Context, name, receiptHandle string, timeout time.Duration) error {
	q, err := s.queue(name)
	if err != nil {
		return err
	}
	if timeout < 0 || timeout > MaxVisibilityTimeout {
		return fmt.Errorf("%w: the visibility timeout must be 0 to 43200 seconds, not %s", ErrInvalid, timeout)
	}
	subject, err := q.ackSubject(receiptHandle)
	if err != nil {
		return err
	}
	return s.ack(ctx, q, subject, nakBody(timeout), "changing a message's visibility")
}

// nakBody is the negative acknowledgement that has JetStream deliver a
// message again after d.
func nakBody(d time.Duration) []byte {
	if d <= 0 {
		return []byte("-NAK")
	}
	return []byte(`-NAK {"delay":` + strconv.FormatInt(int64(d), 10) + `}`)
}

// short cuts a long value for an error message.
func short(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
