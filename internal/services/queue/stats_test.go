package queue

import (
	"context"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus/bustest"
)

// A message whose visibility timeout is over, or that was made visible at
// once, is visible: ApproximateNumberOfMessages counts it, NotVisible
// does not.
func TestStatsCountVisibleAgainAsVisible(t *testing.T) {
	s := newService(t, Config{ID: "S", VisibilityTimeout: time.Second})
	ctx := context.Background()
	for _, body := range []string{"a", "b", "c"} {
		send(t, s, "S", SendInput{Body: body})
	}
	msgs := receive(t, s, "S", 10, 2*time.Second)
	if len(msgs) != 3 {
		t.Fatalf("received %d", len(msgs))
	}
	// a: visible at once; b: its timeout runs out; c: hidden for an hour.
	if err := s.ChangeVisibility(ctx, "S", msgs[0].ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeVisibility(ctx, "S", msgs[2].ReceiptHandle, time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Stats(ctx, "S"); err != nil || st.Visible != 1 || st.InFlight != 2 {
		t.Errorf("one made visible: %+v, %v; want 1 visible, 2 in flight", st, err)
	}
	eventually(t, 10*time.Second, "b visible again", func() bool {
		st, err := s.Stats(ctx, "S")
		if err != nil {
			t.Fatal(err)
		}
		return st.Visible == 2 && st.InFlight == 1
	})
}

// Messages received before a restart count as in flight after it: the
// record of deliveries does not know them, JetStream does.
func TestStatsInFlightAfterRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{ID: "S", VisibilityTimeout: time.Minute}
	ctx := context.Background()
	b := bustest.Start(t, dir)
	s := New(b.JetStream(), Options{})
	if err := s.Apply(ctx, []Config{cfg}); err != nil {
		t.Fatal(err)
	}
	send(t, s, "S", SendInput{Body: "a"})
	send(t, s, "S", SendInput{Body: "b"})
	if got := receive(t, s, "S", 1, 2*time.Second); len(got) != 1 {
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
	if st, err := s.Stats(ctx, "S"); err != nil || st.Visible != 1 || st.InFlight != 1 {
		t.Errorf("after the restart: %+v, %v; want 1 visible, 1 in flight", st, err)
	}
}
