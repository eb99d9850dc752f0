package queue

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
)

// redelivered receives a queue's one message, lets its visibility timeout
// run out and receives it again: the receipt handles of the first (stale)
// and second (current) deliveries.
func redelivered(t *testing.T, s *Service, q string) (stale, current Message) {
	t.Helper()
	first := receive(t, s, q, 1, 2*time.Second)
	if len(first) != 1 {
		t.Fatalf("first receive: %d messages", len(first))
	}
	var second []Message
	eventually(t, 10*time.Second, "the message delivered again", func() bool {
		second = receive(t, s, q, 1, 200*time.Millisecond)
		return len(second) == 1
	})
	if second[0].MessageID != first[0].MessageID || second[0].ReceiptHandle == first[0].ReceiptHandle {
		t.Fatalf("second receive: %+v, want %s again with another handle", second[0], first[0].MessageID)
	}
	return first[0], second[0]
}

// A receiver whose visibility timeout ran out deletes late: on a FIFO
// queue that must not let the next message of the group out while another
// receiver still processes the first.
func TestStaleHandleDoesNotDeleteTheRedeliveryFifo(t *testing.T) {
	s := newService(t, Config{ID: "F", Fifo: true, ContentBasedDedup: true, VisibilityTimeout: time.Second})
	ctx := context.Background()
	send(t, s, "F", SendInput{Body: "m1", GroupID: "g"})
	send(t, s, "F", SendInput{Body: "m2", GroupID: "g"})
	stale, current := redelivered(t, s, "F")
	if current.Body != "m1" {
		t.Fatalf("redelivery: %q, want m1", current.Body)
	}
	if err := s.Delete(ctx, "F", stale.ReceiptHandle); !errors.Is(err, ErrHandleExpired) || !errors.Is(err, ErrReceiptHandle) {
		t.Errorf("delete by the stale handle: %v, want ErrHandleExpired", err)
	}
	if got := receive(t, s, "F", 1, 500*time.Millisecond); len(got) != 0 {
		t.Fatalf("while m1 is in flight, received %q: the stale handle deleted the current delivery", got[0].Body)
	}
	if err := s.Delete(ctx, "F", current.ReceiptHandle); err != nil {
		t.Fatalf("delete by the current handle: %v", err)
	}
	if got := receive(t, s, "F", 1, 2*time.Second); len(got) != 1 || got[0].Body != "m2" {
		t.Errorf("after m1 was deleted: %+v, want m2", got)
	}
}

// On a standard queue too a stale handle deletes nothing: the message stays
// with the receiver that holds it now, whose handle deletes it.
func TestStaleHandleDoesNotDeleteTheRedelivery(t *testing.T) {
	s := newService(t, Config{ID: "S", VisibilityTimeout: time.Second})
	ctx := context.Background()
	send(t, s, "S", SendInput{Body: "m1"})
	stale, current := redelivered(t, s, "S")
	if err := s.ChangeVisibility(ctx, "S", current.ReceiptHandle, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "S", stale.ReceiptHandle); !errors.Is(err, ErrHandleExpired) {
		t.Errorf("delete by the stale handle: %v, want ErrHandleExpired", err)
	}
	if st, err := s.Stats(ctx, "S"); err != nil || st.InFlight != 1 || st.Visible != 0 {
		t.Errorf("after the stale delete: %+v, %v; want the message in flight", st, err)
	}
	if err := s.Delete(ctx, "S", current.ReceiptHandle); err != nil {
		t.Fatalf("delete by the current handle: %v", err)
	}
	if st, err := s.Stats(ctx, "S"); err != nil || st.InFlight+st.Visible != 0 {
		t.Errorf("after the delete: %+v, %v; want an empty queue", st, err)
	}
}

// A stale ChangeVisibility(0) must not make visible the delivery another
// receiver hid for an hour.
func TestStaleHandleDoesNotChangeTheRedeliverysVisibility(t *testing.T) {
	s := newService(t, Config{ID: "S", VisibilityTimeout: time.Second})
	ctx := context.Background()
	send(t, s, "S", SendInput{Body: "m1"})
	stale, current := redelivered(t, s, "S")
	if err := s.ChangeVisibility(ctx, "S", current.ReceiptHandle, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeVisibility(ctx, "S", stale.ReceiptHandle, 0); !errors.Is(err, ErrHandleExpired) {
		t.Errorf("ChangeVisibility by the stale handle: %v, want ErrHandleExpired", err)
	}
	if got := receive(t, s, "S", 1, 500*time.Millisecond); len(got) != 0 {
		t.Errorf("hidden for an hour, but received %q again (receive count %s) after the stale ChangeVisibility(0)", got[0].Body, got[0].Attributes["ApproximateReceiveCount"])
	}
}

// A mapping's function that runs past the visibility timeout must not
// delete the message another batch received meanwhile.
func TestPollerDoesNotDeleteTheRedelivery(t *testing.T) {
	s := newService(t, Config{ID: "S", VisibilityTimeout: time.Second})
	send(t, s, "S", SendInput{Body: "slow"})
	inv := &slowFirst{secondStarted: make(chan struct{}), third: make(chan struct{})}
	if err := s.StartPollers(inv, []Mapping{{ID: "M", Queue: "S", Function: "f", BatchSize: 1, Concurrency: 2}}); err != nil {
		t.Fatal(err)
	}
	defer s.StopPollers()
	// The first run succeeds once the message was delivered again to the
	// second, which fails: the message must come a third time.
	select {
	case <-inv.third:
	case <-time.After(20 * time.Second):
		t.Fatal("the message was not delivered a third time: the first run's late delete removed it while the second ran")
	}
}

// slowFirst is a function whose first run returns once the second started,
// successfully; the second fails; the third is noted.
type slowFirst struct {
	mu            sync.Mutex
	runs          int
	secondStarted chan struct{}
	third         chan struct{}
}

func (f *slowFirst) Invoke(ctx context.Context, req invoke.Request) (invoke.Result, error) {
	f.mu.Lock()
	f.runs++
	n := f.runs
	f.mu.Unlock()
	switch n {
	case 1:
		select {
		case <-f.secondStarted:
		case <-ctx.Done():
		}
		return invoke.Result{}, nil
	case 2:
		close(f.secondStarted)
		return invoke.Result{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"failed"}`)}, nil
	case 3:
		close(f.third)
	}
	return invoke.Result{FunctionError: "Unhandled"}, nil
}

// Deleting twice by one handle succeeds, as in SQS; the visibility of a
// deleted message cannot change.
func TestDeleteTwice(t *testing.T) {
	s := newService(t, Config{ID: "S", VisibilityTimeout: 30 * time.Second})
	ctx := context.Background()
	send(t, s, "S", SendInput{Body: "a"})
	m := receive(t, s, "S", 1, 2*time.Second)
	for i := range 2 {
		if err := s.Delete(ctx, "S", m[0].ReceiptHandle); err != nil {
			t.Fatalf("delete %d: %v", i+1, err)
		}
	}
	if err := s.ChangeVisibility(ctx, "S", m[0].ReceiptHandle, time.Minute); !errors.Is(err, ErrReceiptHandle) {
		t.Errorf("ChangeVisibility of a deleted message: %v, want ErrReceiptHandle", err)
	}
}

// A well-formed handle of a delivery the queue never made is refused.
func TestHandleNeverIssued(t *testing.T) {
	s := newService(t, Config{ID: "Jobs", VisibilityTimeout: 30 * time.Second})
	ctx := context.Background()
	send(t, s, "Jobs", SendInput{Body: "a"})
	receive(t, s, "Jobs", 1, 2*time.Second)
	for _, subject := range []string{
		"$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.999.999.1.0", // no such message
		"$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.1.999.1.0",   // no such delivery
	} {
		h := base64.RawURLEncoding.EncodeToString([]byte(subject))
		if err := s.Delete(ctx, "Jobs", h); !errors.Is(err, ErrReceiptHandle) {
			t.Errorf("Delete by %s: %v, want ErrReceiptHandle", subject, err)
		}
		if err := s.ChangeVisibility(ctx, "Jobs", h, 0); !errors.Is(err, ErrReceiptHandle) {
			t.Errorf("ChangeVisibility by %s: %v, want ErrReceiptHandle", subject, err)
		}
	}
	if st, err := s.Stats(ctx, "Jobs"); err != nil || st.InFlight != 1 {
		t.Errorf("after the refused handles: %+v, %v; want the message still in flight", st, err)
	}
}

// An acknowledgement JetStream does not answer is not a success.
func TestSettleWithoutAnswerIsAnError(t *testing.T) {
	s := newService(t, Config{ID: "S"})
	q, err := s.queue("S")
	if err != nil {
		t.Fatal(err)
	}
	// A subscriber that takes the acknowledgement and never answers.
	sub, err := s.js.Conn().SubscribeSync("test.silent")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := s.settle(context.Background(), q, receipt{subject: "test.silent"}, []byte("+ACK"), "deleting a message"); err == nil {
		t.Error("an acknowledgement without an answer: nil error, want one")
	}
}

// DelaySeconds out of range is refused however large: a number whose
// nanoseconds overflow must not wrap into range.
func TestDelaySecondsOutOfRange(t *testing.T) {
	s := newService(t, Config{ID: "S"})
	for _, n := range []int{-1, 901, 18446744074, 1 << 62} {
		_, err := s.Send(context.Background(), "S", SendInput{Body: "x", DelaySeconds: &n})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("DelaySeconds %d: %v, want ErrInvalid", n, err)
		}
	}
}

// The latest receipt handle of a message whose visibility timeout ran
// out, not received again, no longer changes its visibility (SQS answers
// MessageNotInflight); it still deletes the message.
func TestChangeVisibilityOfAVisibleMessage(t *testing.T) {
	s := newService(t, Config{ID: "Q", VisibilityTimeout: time.Second})
	ctx := context.Background()
	send(t, s, "Q", SendInput{Body: "m"})
	first := receive(t, s, "Q", 1, time.Second)
	if len(first) != 1 {
		t.Fatal("no message received")
	}
	if err := s.ChangeVisibility(ctx, "Q", first[0].ReceiptHandle, 2*time.Second); err != nil {
		t.Fatalf("while in flight: %v", err)
	}
	eventually(t, 10*time.Second, "the visibility timeout running out", func() bool {
		st, err := s.Stats(ctx, "Q")
		return err == nil && st.InFlight == 0
	})
	err := s.ChangeVisibility(ctx, "Q", first[0].ReceiptHandle, time.Minute)
	if !errors.Is(err, ErrNotInflight) || errors.Is(err, ErrReceiptHandle) || !strings.Contains(err.Error(), "receive it again") {
		t.Fatalf("after the visibility timeout ran out: %v, want ErrNotInflight", err)
	}
	// Not hidden for a minute: received again at once, and the new
	// handle changes the visibility; set to 0, the message is visible
	// and out of flight again.
	second := receive(t, s, "Q", 1, time.Second)
	if len(second) != 1 || second[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after the refused change: received %+v, want the message a second time", second)
	}
	if err := s.ChangeVisibility(ctx, "Q", second[0].ReceiptHandle, 0); err != nil {
		t.Fatalf("the new handle: %v", err)
	}
	if err := s.ChangeVisibility(ctx, "Q", second[0].ReceiptHandle, time.Minute); !errors.Is(err, ErrNotInflight) {
		t.Errorf("after ChangeVisibility(0): %v, want ErrNotInflight", err)
	}
	if err := s.Delete(ctx, "Q", second[0].ReceiptHandle); err != nil {
		t.Fatalf("delete by the latest handle of a visible message: %v", err)
	}
	if got := receive(t, s, "Q", 1, 500*time.Millisecond); len(got) != 0 {
		t.Errorf("deleted, but received %q again", got[0].Body)
	}
}
