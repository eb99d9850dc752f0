package queue

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestPoisonMessageDoesNotBlockTheQueue sends a message the function fails
// on every time, then messages it handles: the poison message reaches the
// function maxReceiveCount times and ends in the dead-letter queue, and
// the messages behind it are each processed once while it waits to be
// received again, before its last receive.
func TestPoisonMessageDoesNotBlockTheQueue(t *testing.T) {
	const maxReceives = 3
	const goodMessages = 20
	for _, c := range []struct {
		name   string
		body   string // "boom" fails the echo function, "bad" is reported in batchItemFailures
		batch  int
		report bool
	}{
		{"the function fails, batches of one", "boom: poison", 1, false},
		{"a partial batch failure, batches of five", "bad: poison", 5, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rt := echoRuntime(t)
			s := newService(t,
				Config{ID: "Work", VisibilityTimeout: 2 * time.Second, DeadLetter: "WorkDLQ", MaxReceiveCount: maxReceives},
				Config{ID: "WorkDLQ"})
			ctx := context.Background()
			poison := send(t, s, "Work", SendInput{Body: c.body}).MessageID
			good := map[string]bool{}
			for i := range goodMessages {
				good[send(t, s, "Work", SendInput{Body: fmt.Sprintf("good %d", i)}).MessageID] = true
			}
			rec := &recorder{next: rt}
			if err := s.StartPollers(rec, []Mapping{{ID: "Sqs", Queue: "Work", Function: "echo-fn", BatchSize: c.batch, ReportBatchItemFailures: c.report}}); err != nil {
				t.Fatal(err)
			}
			eventually(t, time.Minute, "the poison message in the dead-letter queue", func() bool {
				st, _ := s.Stats(ctx, "WorkDLQ")
				return st.Visible == 1
			})
			s.StopPollers()

			// Which run saw which message, in the order the runs ended.
			poisonRuns, lastGood := []int{}, -1
			seen := map[string]int{}
			for i, r := range rec.snapshot() {
				for _, m := range r.event.Records {
					seen[m.MessageID]++
					switch {
					case m.MessageID == poison:
						poisonRuns = append(poisonRuns, i)
					case good[m.MessageID]:
						lastGood = i
					default:
						t.Errorf("run %d had message %s %q, which the test did not send", i, m.MessageID, m.Body)
					}
				}
			}
			if len(poisonRuns) != maxReceives {
				t.Errorf("the poison message reached the function %d times, want maxReceiveCount = %d", len(poisonRuns), maxReceives)
			}
			for id := range good {
				if seen[id] != 1 {
					t.Errorf("good message %s was processed %d times, want once", id, seen[id])
				}
			}
			if len(poisonRuns) > 0 && lastGood > poisonRuns[len(poisonRuns)-1] {
				t.Errorf("the last good message ran in run %d, after the poison message's last receive (run %d): the poison message held the queue up",
					lastGood, poisonRuns[len(poisonRuns)-1])
			}
			dead := receive(t, s, "WorkDLQ", 10, time.Second)
			if len(dead) != 1 || dead[0].MessageID != poison || dead[0].Body != c.body {
				t.Errorf("the dead-letter queue holds %+v, want the poison message", dead)
			}
			if st, err := s.Stats(ctx, "Work"); err != nil || st.Visible+st.InFlight+st.Delayed != 0 {
				t.Errorf("queue Work after the redrive: %+v, %v; want it empty", st, err)
			}
		})
	}
}
