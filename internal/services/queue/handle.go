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
	"github.com/nats-io/nats.go/jetstream"
)

// A receipt handle is the JetStream acknowledgement subject of the
// delivery, base64url-encoded: deleting a message acknowledges it, and
// changing its visibility is a negative acknowledgement with a delay, which
// JetStream keeps pending (still deletable by the same handle) until the
// delay is over and then delivers again. The subject names the delivery's
// stream sequence and consumer sequence; a handle of an earlier delivery of
// a message delivered again since is stale (see inflight.go).

// MaxVisibilityTimeout is the longest a message can be kept invisible, as
// in SQS.
const MaxVisibilityTimeout = 12 * time.Hour

// ackTimeout bounds the wait for JetStream's answer to an acknowledgement.
const ackTimeout = 2 * time.Second

// receipt is a decoded receipt handle.
type receipt struct {
	subject   string // the acknowledgement subject
	delivered uint64 // the delivery count of the delivery
	sseq      uint64 // the message's stream sequence
	cseq      uint64 // the delivery's consumer sequence
}

// receipt checks that a receipt handle is one of q's deliveries and
// decodes it.
func (q *queue) receipt(receiptHandle string) (receipt, error) {
	r, ok := ackSubjectOf(receiptHandle, StreamName(q.cfg.ID))
	if !ok {
		return receipt{}, fmt.Errorf("%w: %q is not a receipt handle of queue %s (use the ReceiptHandle a receive of this queue answered)", ErrReceiptHandle, short(receiptHandle), q.cfg.ID)
	}
	return r, nil
}

// ackSubjectOf decodes a receipt handle into the acknowledgement subject
// of a delivery of the stream's queue consumer. JetStream makes two forms:
//
//	$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<time>.<pending>
//	$JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<time>.<pending>[.<token>]
//
// the second with 11 tokens as nats-server makes it, or 12 with the random
// token ADR-15 allows. The stream and consumer must be exactly the queue's,
// the counters decimal numbers (the sequences and the delivery count at
// least 1), and no token empty or holding a wildcard, space or control
// character that a publish could misuse.
func ackSubjectOf(receiptHandle, stream string) (receipt, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(receiptHandle)
	if err != nil {
		return receipt{}, false
	}
	subject := string(raw)
	tokens := strings.Split(subject, ".")
	var at int // index of the stream token
	switch len(tokens) {
	case 9:
		at = 2
	case 11, 12:
		at = 4
	default:
		return receipt{}, false
	}
	if tokens[0] != "$JS" || tokens[1] != "ACK" || tokens[at] != stream || tokens[at+1] != consumerName {
		return receipt{}, false
	}
	for _, t := range tokens {
		if !subjectToken(t) {
			return receipt{}, false
		}
	}
	var n [5]uint64 // delivered, sseq, cseq, time, pending
	for i := range n {
		v, err := strconv.ParseUint(tokens[at+2+i], 10, 64)
		if err != nil {
			return receipt{}, false
		}
		n[i] = v
	}
	if n[0] == 0 || n[1] == 0 || n[2] == 0 {
		return receipt{}, false
	}
	return receipt{subject: subject, delivered: n[0], sseq: n[1], cseq: n[2]}, true
}

// subjectToken reports whether t is a literal NATS subject token: not
// empty, no wildcard, no space or control character.
func subjectToken(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= ' ' || c == 0x7f || c == '*' || c == '>' {
			return false
		}
	}
	return true
}

// settle sends an acknowledgement (+ACK, -NAK) to a delivery and waits
// for JetStream to take it. No answer in time is an error: the
// acknowledgement may or may not have been taken, and the caller must not
// report success.
func (s *Service) settle(ctx context.Context, q *queue, r receipt, body []byte, what string) error {
	actx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	if _, err := s.js.Conn().RequestWithContext(actx, r.subject, body); err != nil {
		if ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout)) {
			return fmt.Errorf("%s of queue %s: JetStream did not answer within %s; it may not be done (try again)", what, q.cfg.ID, ackTimeout)
		}
		return fmt.Errorf("%s of queue %s: %w", what, q.cfg.ID, err)
	}
	return nil
}

// issued checks a receipt handle unknown to the record of deliveries (one
// of an earlier process, a message deleted already, or a forgery): its
// delivery must be one the consumer made.
func (s *Service) issued(ctx context.Context, q *queue, r receipt) error {
	ci, err := q.cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("reading queue %s: %w", q.cfg.ID, err)
	}
	if r.cseq > ci.Delivered.Consumer || r.sseq > ci.Delivered.Stream {
		return fmt.Errorf("%w: queue %s never delivered message %d as delivery %d (use the ReceiptHandle a receive of this queue answered)", ErrReceiptHandle, q.cfg.ID, r.sseq, r.cseq)
	}
	return nil
}

// expired is the error of a stale receipt handle.
func expired(q *queue, r receipt, op string) error {
	return fmt.Errorf("%w: message %d of queue %s was received again since this receipt handle (receive %d) was given, so the handle %s; use the ReceiptHandle of the latest receive",
		ErrHandleExpired, r.sseq, q.cfg.ID, r.delivered, op)
}

// Delete removes a received message by its receipt handle.
//
// A stale handle (the message's visibility timeout ran out and it was
// received again since) is refused with ErrHandleExpired and deletes
// nothing. JetStream would take the handle's ack as one of the current
// delivery: on a FIFO queue that lets the next message of the group out
// while the message is still being processed, and on any queue the
// receiver that holds the message now would lose it. SQS documents that
// an old handle "might not" delete the message, and answers it with "the
// receipt handle has expired" on FIFO queues (and at times on standard
// ones); refusing on both tells the late receiver that its work was given
// to another. Deleting a message deleted already succeeds, as in SQS.
func (s *Service) Delete(ctx context.Context, name, receiptHandle string) error {
	q, err := s.queue(name)
	if err != nil {
		return err
	}
	r, err := q.receipt(receiptHandle)
	if err != nil {
		return err
	}
	switch q.inflight.state(r.sseq, r.cseq) {
	case handleStale:
		return expired(q, r, "no longer deletes it")
	case handleUnknown:
		// JetStream answers an ack of a message it delivered (pending or
		// deleted already) but not one of a sequence it never delivered.
		if err := s.issued(ctx, q, r); err != nil {
			return err
		}
	}
	if err := s.settle(ctx, q, r, []byte("+ACK"), "deleting a message"); err != nil {
		return err
	}
	q.inflight.settled(r.sseq, r.cseq)
	return nil
}

// ChangeVisibility makes a received message visible again after timeout
// from now (0: at once), as SQS's ChangeMessageVisibility. Until then the
// same receipt handle still deletes it. A stale handle, or one of a
// message deleted already, is refused with ErrReceiptHandle: changing the
// visibility of the delivery another receiver holds now would give the
// message to a third. The latest handle of a message whose visibility
// timeout is over (the message is visible, not received again yet) is
// refused with ErrNotInflight, as SQS answers MessageNotInflight: the
// message may be received by another at any moment, and hiding it again
// would take it from that receiver.
func (s *Service) ChangeVisibility(ctx context.Context, name, receiptHandle string, timeout time.Duration) error {
	q, err := s.queue(name)
	if err != nil {
		return err
	}
	if timeout < 0 || timeout > MaxVisibilityTimeout {
		return fmt.Errorf("%w: the visibility timeout must be 0 to 43200 seconds, not %s", ErrInvalid, timeout)
	}
	r, err := q.receipt(receiptHandle)
	if err != nil {
		return err
	}
	state, hiddenUntil := q.inflight.lookup(r.sseq, r.cseq)
	switch state {
	case handleCurrent:
		if over := time.Since(hiddenUntil); over >= 0 {
			return fmt.Errorf("%w: the visibility timeout of message %d of queue %s ran out %s ago, so it is visible again and its visibility no longer changes by this receipt handle; receive it again and use the new ReceiptHandle (or set a longer VisibilityTimeout before it runs out)",
				ErrNotInflight, r.sseq, q.cfg.ID, over.Round(time.Millisecond))
		}
	case handleStale:
		return expired(q, r, "no longer changes its visibility")
	case handleUnknown:
		if err := s.issued(ctx, q, r); err != nil {
			return err
		}
		// A NAK of a message deleted already is answered all the same.
		if _, err := q.stream.GetMsg(ctx, r.sseq); errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("%w: message %d of queue %s was deleted; its visibility cannot change", ErrReceiptHandle, r.sseq, q.cfg.ID)
		} else if err != nil {
			return fmt.Errorf("reading queue %s: %w", q.cfg.ID, err)
		}
	}
	until := time.Now().Add(timeout)
	if err := s.settle(ctx, q, r, nakBody(timeout), "changing a message's visibility"); err != nil {
		return err
	}
	q.inflight.hidden(r.sseq, r.cseq, until)
	return nil
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
