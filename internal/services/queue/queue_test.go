package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus/bustest"
)

// newService starts a bus and a service with cfgs applied; both stop at
// the end of the test.
func newService(t testing.TB, cfgs ...Config) *Service {
	t.Helper()
	b := bustest.Start(t, t.TempDir())
	s := New(b.JetStream(), Options{})
	t.Cleanup(func() {
		s.Close()
		b.Close()
	})
	if err := s.Apply(context.Background(), cfgs); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return s
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func send(t *testing.T, s *Service, q string, in SendInput) SendOutput {
	t.Helper()
	out, err := s.Send(context.Background(), q, in)
	if err != nil {
		t.Fatalf("send %q to %s: %v", in.Body, q, err)
	}
	return out
}

func receive(t *testing.T, s *Service, q string, max int, wait time.Duration) []Message {
	t.Helper()
	msgs, err := s.Receive(context.Background(), q, max, wait)
	if err != nil {
		t.Fatalf("receive from %s: %v", q, err)
	}
	return msgs
}

func TestSendReceiveDeleteVisibility(t *testing.T) {
	s := newService(t, Config{ID: "Jobs", VisibilityTimeout: time.Second})
	ctx := context.Background()
	sent := map[string]string{}
	for _, body := range []string{"one", "two", "three"} {
		out := send(t, s, "Jobs", SendInput{Body: body, MessageAttributes: map[string]Attribute{"kind": {DataType: "String", StringValue: "test"}}})
		if out.MD5OfBody != md5Hex(body) || out.MessageID == "" {
			t.Errorf("send %q: %+v", body, out)
		}
		sent[out.MessageID] = body
	}
	if st, err := s.Stats(ctx, "Jobs"); err != nil || st.Visible != 3 || st.InFlight != 0 || st.ARN != "arn:aws:sqs:us-east-1:123456789012:Jobs" {
		t.Errorf("stats after sending 3: %+v, %v", st, err)
	}
	msgs := receive(t, s, "Jobs", 10, 2*time.Second)
	if len(msgs) != 3 {
		t.Fatalf("received %d messages, want 3", len(msgs))
	}
	for _, m := range msgs {
		if sent[m.MessageID] != m.Body {
			t.Errorf("message %s: body %q, want %q", m.MessageID, m.Body, sent[m.MessageID])
		}
		if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SentTimestamp"] == "" || m.MessageAttributes["kind"].StringValue != "test" {
			t.Errorf("message %s: attributes %v %v", m.MessageID, m.Attributes, m.MessageAttributes)
		}
	}
	if st, _ := s.Stats(ctx, "Jobs"); st.Visible != 0 || st.InFlight != 3 {
		t.Errorf("stats with 3 in flight: %+v", st)
	}
	// Delete two; the third comes back after the visibility timeout.
	var kept Message
	for i, m := range msgs {
		if i == 1 {
			kept = m
			continue
		}
		if err := s.Delete(ctx, "Jobs", m.ReceiptHandle); err != nil {
			t.Fatalf("delete: %v", err)
		}
	}
	if again := receive(t, s, "Jobs", 10, 0); len(again) != 0 {
		t.Fatalf("received %d messages within the visibility timeout, want 0", len(again))
	}
	var back []Message
	eventually(t, 10*time.Second, "the undeleted message coming back", func() bool {
		back = receive(t, s, "Jobs", 10, 200*time.Millisecond)
		return len(back) > 0
	})
	if len(back) != 1 || back[0].MessageID != kept.MessageID || back[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("got back %+v, want only %s received a second time", back, kept.MessageID)
	}
	if err := s.Delete(ctx, "Jobs", back[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "an empty queue", func() bool {
		st, _ := s.Stats(ctx, "Jobs")
		return st.Visible == 0 && st.InFlight == 0
	})
}

func TestBadInput(t *testing.T) {
	s := newService(t, Config{ID: "Std"}, Config{ID: "Ord", Fifo: true})
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		queue string
		in    SendInput
		want  error
	}{
		{"unknown queue", "Nope", SendInput{Body: "x"}, ErrNoQueue},
		{"empty body", "Std", SendInput{}, ErrInvalid},
		{"too large", "Std", SendInput{Body: strings.Repeat("x", MaxMessageSize+1)}, ErrInvalid},
		{"group on a standard queue", "Std", SendInput{Body: "x", GroupID: "g"}, ErrInvalid},
		{"FIFO without a group", "Ord", SendInput{Body: "x"}, ErrInvalid},
		{"FIFO without dedup", "Ord", SendInput{Body: "x", GroupID: "g"}, ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.Send(ctx, c.queue, c.in); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	if _, err := s.Receive(ctx, "Std", 11, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("receive 11: got %v, want ErrInvalid", err)
	}
	if err := s.Delete(ctx, "Std", "not-a-handle"); !errors.Is(err, ErrInvalid) {
		t.Errorf("delete with a bad handle: got %v, want ErrInvalid", err)
	}
	send(t, s, "Std", SendInput{Body: "x"})
	got := receive(t, s, "Std", 1, time.Second)
	if len(got) != 1 {
		t.Fatal("no message received")
	}
	if err := s.Delete(ctx, "Ord", got[0].ReceiptHandle); !errors.Is(err, ErrInvalid) {
		t.Errorf("delete with another queue's handle: got %v, want ErrInvalid", err)
	}
	if err := s.Apply(ctx, []Config{{ID: "A", DeadLetter: "Missing", MaxReceiveCount: 1}}); err == nil {
		t.Error("apply with a missing dead-letter queue: no error")
	}
}

func TestDelaySeconds(t *testing.T) {
	s := newService(t, Config{ID: "Later", VisibilityTimeout: time.Second})
	ctx := context.Background()
	one := 1
	out := send(t, s, "Later", SendInput{Body: "delayed", DelaySeconds: &one})
	if st, _ := s.Stats(ctx, "Later"); st.Delayed != 1 || st.Visible != 0 {
		t.Errorf("stats of a delayed message: %+v", st)
	}
	if got := receive(t, s, "Later", 1, 0); len(got) != 0 {
		t.Fatalf("a message delayed 1 s was received at once")
	}
	var got []Message
	eventually(t, 10*time.Second, "the delayed message", func() bool {
		got = receive(t, s, "Later", 1, 200*time.Millisecond)
		return len(got) == 1
	})
	if got[0].MessageID != out.MessageID || got[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Errorf("delayed message %+v, want id %s received once", got[0], out.MessageID)
	}
}

func TestRedriveToDeadLetterQueue(t *testing.T) {
	s := newService(t,
		Config{ID: "Work", VisibilityTimeout: time.Second, DeadLetter: "WorkDLQ", MaxReceiveCount: 2},
		Config{ID: "WorkDLQ"})
	ctx := context.Background()
	poison := send(t, s, "Work", SendInput{Body: "poison"})
	good := send(t, s, "Work", SendInput{Body: "good"})
	receives := 0
	eventually(t, 20*time.Second, "the poison message in the DLQ", func() bool {
		for _, m := range receive(t, s, "Work", 10, 200*time.Millisecond) {
			if m.MessageID == good.MessageID {
				s.Delete(ctx, "Work", m.ReceiptHandle)
				continue
			}
			receives++
		}
		st, _ := s.Stats(ctx, "WorkDLQ")
		return st.Visible == 1
	})
	if receives != 2 {
		t.Errorf("the poison message was received %d times, want maxReceiveCount = 2", receives)
	}
	dead := receive(t, s, "WorkDLQ", 10, time.Second)
	if len(dead) != 1 || dead[0].MessageID != poison.MessageID || dead[0].Body != "poison" {
		t.Fatalf("dead-letter queue holds %+v, want the poison message", dead)
	}
	if st, _ := s.Stats(ctx, "Work"); st.Visible != 0 || st.InFlight != 0 || st.DeadLetter != "WorkDLQ" {
		t.Errorf("the queue after redrive: %+v", st)
	}
}

func TestFifoOrderAndDedup(t *testing.T) {
	s := newService(t, Config{ID: "Orders", Fifo: true, ContentBasedDedup: true, VisibilityTimeout: time.Second})
	ctx := context.Background()
	for i := range 4 {
		send(t, s, "Orders.fifo", SendInput{Body: fmt.Sprintf("a%d", i), GroupID: "a"})
		send(t, s, "Orders", SendInput{Body: fmt.Sprintf("b%d", i), GroupID: "b"})
	}
	first := send(t, s, "Orders", SendInput{Body: "same", GroupID: "c"})
	dup := send(t, s, "Orders", SendInput{Body: "same", GroupID: "c"})
	if !dup.Duplicate || dup.MessageID != first.MessageID {
		t.Errorf("a duplicate by content: %+v, want Duplicate and id %s", dup, first.MessageID)
	}
	other := send(t, s, "Orders", SendInput{Body: "same", GroupID: "c", DeduplicationID: "explicit"})
	if other.Duplicate {
		t.Error("an explicit deduplication id was taken as a duplicate")
	}
	got := map[string][]string{}
	redelivered := false
	for n := 0; n < 200 && len(got["a"])+len(got["b"])+len(got["c"]) < 10; n++ {
		msgs := receive(t, s, "Orders", 10, 500*time.Millisecond)
		if len(msgs) > 1 {
			t.Fatalf("FIFO receive returned %d messages at once, want one in flight: %+v", len(msgs), msgs)
		}
		for _, m := range msgs {
			g := m.Attributes["MessageGroupId"]
			// Leave a1 once: it must come back before a2.
			if m.Body == "a1" && !redelivered {
				redelivered = true
				if more := receive(t, s, "Orders", 10, 0); len(more) != 0 {
					t.Fatalf("received %s while a1 of the same queue is in flight", more[0].Body)
				}
				continue
			}
			got[g] = append(got[g], m.Body)
			if err := s.Delete(ctx, "Orders", m.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
	}
	for g, want := range map[string]string{"a": "a0 a1 a2 a3", "b": "b0 b1 b2 b3", "c": "same same"} {
		if s := strings.Join(got[g], " "); s != want {
			t.Errorf("group %s received %q, want %q", g, s, want)
		}
	}
}

func TestPurge(t *testing.T) {
	s := newService(t, Config{ID: "Q"})
	ctx := context.Background()
	for range 5 {
		send(t, s, "Q", SendInput{Body: "x"})
	}
	if err := s.Purge(ctx, "Q"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Stats(ctx, "Q"); st.Visible != 0 {
		t.Errorf("after purge: %+v", st)
	}
	if got := receive(t, s, "Q", 10, 0); len(got) != 0 {
		t.Errorf("received %d after purge", len(got))
	}
}

func TestMessageSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{ID: "Durable", VisibilityTimeout: time.Second}
	ctx := context.Background()
	b := bustest.Start(t, dir)
	s := New(b.JetStream(), Options{})
	if err := s.Apply(ctx, []Config{cfg}); err != nil {
		t.Fatal(err)
	}
	out := send(t, s, "Durable", SendInput{Body: "keep me"})
	// One received and not deleted before the restart comes back too. A
	// receive that does not wait may find nothing yet (as SQS's short
	// polling may), so it waits for the first.
	in := send(t, s, "Durable", SendInput{Body: "in flight"})
	if got := receive(t, s, "Durable", 1, 2*time.Second); len(got) != 1 {
		t.Fatal("no message received before the restart")
	}
	s.Close()
	b.Close()

	b = bustest.Start(t, dir)
	s = New(b.JetStream(), Options{})
	t.Cleanup(func() {
		s.Close()
		b.Close()
	})
	if err := s.Apply(ctx, []Config{cfg}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	eventually(t, 10*time.Second, "both messages after the restart", func() bool {
		for _, m := range receive(t, s, "Durable", 10, 200*time.Millisecond) {
			seen[m.MessageID] = m.Body
			s.Delete(ctx, "Durable", m.ReceiptHandle)
		}
		return len(seen) == 2
	})
	if seen[out.MessageID] != "keep me" || seen[in.MessageID] != "in flight" {
		t.Errorf("after the restart: %v", seen)
	}
}

func TestStreamName(t *testing.T) {
	for in, want := range map[string]string{"Queue1": "STACKLAB_QUEUE_Queue1", "a.b*c>d e": "STACKLAB_QUEUE_a_b_c_d_e", "": "STACKLAB_QUEUE__"} {
		if got := StreamName(in); got != want {
			t.Errorf("StreamName(%q) = %q, want %q", in, got, want)
		}
	}
}
