package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
)

func TestSendBatch(t *testing.T) {
	s := newService(t, Config{ID: "Jobs"}, Config{ID: "Orders", Fifo: true, ContentBasedDedup: true})
	ctx := context.Background()

	// Each message on its own: a bad one fails, the others are stored.
	res, err := s.SendBatch(ctx, "Jobs", []SendInput{
		{Body: "one", MessageAttributes: map[string]Attribute{"k": {DataType: "String", StringValue: "v"}}},
		{Body: ""},
		{Body: "three", GroupID: "g"},
		{Body: "four"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("got %d results, want 4", len(res))
	}
	for i, want := range []string{"one", "", "", "four"} {
		r := res[i]
		switch {
		case want == "" && !errors.Is(r.Err, ErrInvalid):
			t.Errorf("message %d: error %v, want ErrInvalid", i, r.Err)
		case want != "" && (r.Err != nil || r.MessageID == "" || r.MD5OfBody != md5Hex(want)):
			t.Errorf("message %d: %+v, want stored with the MD5 of %q", i, r, want)
		}
	}
	got := map[string]string{}
	for _, m := range receive(t, s, "Jobs", 10, time.Second) {
		got[m.Body] = m.MessageID
		if m.Body == "one" && m.MessageAttributes["k"].StringValue != "v" {
			t.Errorf("message one lost its attributes: %+v", m.MessageAttributes)
		}
	}
	if len(got) != 2 || got["one"] != res[0].MessageID || got["four"] != res[3].MessageID {
		t.Errorf("received %v, want one and four with the ids SendBatch answered", got)
	}

	// A FIFO batch keeps its order and deduplicates as Send does.
	res, err = s.SendBatch(ctx, "Orders", []SendInput{{Body: "a", GroupID: "g"}, {Body: "b", GroupID: "g"}, {Body: "a", GroupID: "g"}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[1].Err != nil || res[2].Err != nil || !res[2].Duplicate || res[2].MessageID != res[0].MessageID ||
		res[0].SequenceNumber >= res[1].SequenceNumber {
		t.Errorf("FIFO batch: %+v, want a and b in order and the second a a duplicate of the first", res)
	}

	// The batch as a whole.
	for _, c := range []struct {
		name  string
		queue string
		in    []SendInput
		want  error
	}{
		{"no messages", "Jobs", nil, ErrInvalid},
		{"eleven", "Jobs", make([]SendInput, 11), ErrInvalid},
		{"too big in all", "Jobs", []SendInput{{Body: strings.Repeat("x", MaxMessageSize/2+1)}, {Body: strings.Repeat("y", MaxMessageSize/2+1)}}, ErrInvalid},
		{"too big with attributes", "Jobs", []SendInput{{Body: strings.Repeat("x", MaxMessageSize*3/4)},
			{Body: "small", MessageAttributes: map[string]Attribute{"big": {DataType: "String", StringValue: strings.Repeat("z", MaxMessageSize/2)}}}}, ErrInvalid},
		{"no such queue", "Nope", []SendInput{{Body: "x"}}, ErrNoQueue},
	} {
		if _, err := s.SendBatch(ctx, c.queue, c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
	if st, _ := s.Stats(ctx, "Jobs"); st.Visible+st.InFlight != 2 {
		t.Errorf("Jobs holds %d messages, want the 2 stored before; a refused batch stores nothing", st.Visible+st.InFlight)
	}
}

// barrier runs invocations on the real runtime, each once want of them
// are running at once (or after a while, noting that they never were).
type barrier struct {
	next    invoke.Invoker
	want    int
	mu      sync.Mutex
	running int
	most    int
	met     chan struct{}
	once    sync.Once
}

func (b *barrier) Invoke(ctx context.Context, req invoke.Request) (invoke.Result, error) {
	b.mu.Lock()
	b.running++
	b.most = max(b.most, b.running)
	if b.running >= b.want {
		b.once.Do(func() { close(b.met) })
	}
	b.mu.Unlock()
	select {
	case <-b.met:
	case <-time.After(10 * time.Second):
	}
	res, err := b.next.Invoke(ctx, req)
	b.mu.Lock()
	b.running--
	b.mu.Unlock()
	return res, err
}

func TestPollerRunsBatchesConcurrently(t *testing.T) {
	rt := echoRuntime(t)
	s := newService(t, Config{ID: "Q", VisibilityTimeout: 30 * time.Second})
	ctx := context.Background()
	for i := range 30 {
		send(t, s, "Q", SendInput{Body: fmt.Sprint("m", i)})
	}
	b := &barrier{next: rt, want: 3, met: make(chan struct{})}
	if err := s.StartPollers(b, []Mapping{{ID: "Sqs", Queue: "Q", Function: "echo-fn", BatchSize: 2, Concurrency: 3}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "every message processed and deleted", func() bool {
		st, _ := s.Stats(ctx, "Q")
		return st.Visible+st.InFlight == 0
	})
	s.StopPollers()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.most != 3 {
		t.Errorf("at most %d batches ran at once, want Concurrency 3", b.most)
	}
}
