package queue

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/runtime"
)

var (
	echoOnce sync.Once
	echoCmd  []string
	echoErr  error
	cacheDir string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if cacheDir != "" {
		os.RemoveAll(cacheDir)
	}
	os.Exit(code)
}

// echoRuntime runs the runtime's Go test function (testdata/echo) as
// function "echo-fn".
func echoRuntime(t testing.TB) *runtime.Runtime {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	dir, _ := filepath.Abs("../../runtime/testdata/echo")
	echoOnce.Do(func() {
		cacheDir, echoErr = os.MkdirTemp("", "stacklab-build-")
		if echoErr != nil {
			return
		}
		b := &runtime.Builder{Dir: cacheDir}
		echoCmd, echoErr = b.Prepare(context.Background(), runtime.Source{Name: "Echo", Runtime: "provided.al2023", Handler: "bootstrap", CodeDir: dir})
	})
	if echoErr != nil {
		t.Fatalf("building the echo function: %v", echoErr)
	}
	rt := runtime.New(runtime.Options{})
	rt.Deploy([]*runtime.Spec{{ID: "Echo", Name: "echo-fn", Runtime: "provided.al2023", Handler: "bootstrap", Command: echoCmd, Dir: dir, MemoryMB: 128, Timeout: 5 * time.Second, Reserved: -1}})
	t.Cleanup(rt.Close)
	return rt
}

// recorder runs invocations on the real runtime and keeps each event and
// result.
type recorder struct {
	next invoke.Invoker
	mu   sync.Mutex
	runs []run
}

type run struct {
	event Event
	res   invoke.Result
}

func (r *recorder) Invoke(ctx context.Context, req invoke.Request) (invoke.Result, error) {
	res, err := r.next.Invoke(ctx, req)
	var ev Event
	json.Unmarshal(req.Payload, &ev)
	r.mu.Lock()
	r.runs = append(r.runs, run{ev, res})
	r.mu.Unlock()
	return res, err
}

func (r *recorder) snapshot() []run {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.runs)
}

func TestPollerEventShapeAndPartialFailures(t *testing.T) {
	rt := echoRuntime(t)
	s := newService(t,
		Config{ID: "In", VisibilityTimeout: time.Second, DeadLetter: "InDLQ", MaxReceiveCount: 2},
		Config{ID: "InDLQ"})
	ctx := context.Background()
	// All sent before the poller starts, so the first batch is full.
	bodies := []string{"m1", "m2", "bad one", "m3", "m4", "m5", "m6"}
	ids := map[string]string{}
	for _, b := range bodies {
		ids[send(t, s, "In", SendInput{Body: b, MessageAttributes: map[string]Attribute{"trace": {DataType: "String", StringValue: "t1"}}}).MessageID] = b
	}
	rec := &recorder{next: rt}
	// One batch at a time, so that the first batch run is the first
	// received.
	if err := s.StartPollers(rec, []Mapping{{ID: "Sqs", Queue: "In", Function: "echo-fn", BatchSize: 4, Window: 200 * time.Millisecond, ReportBatchItemFailures: true, Concurrency: 1}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the bad message in the DLQ and the rest deleted", func() bool {
		st, _ := s.Stats(ctx, "InDLQ")
		in, _ := s.Stats(ctx, "In")
		return st.Visible == 1 && in.Visible == 0 && in.InFlight == 0
	})
	s.StopPollers()

	runs := rec.snapshot()
	seen := map[string]int{}
	for i, r := range runs {
		if r.res.FunctionError != "" {
			t.Errorf("run %d failed: %s", i, r.res.Payload)
		}
		if n := len(r.event.Records); n == 0 || n > 4 {
			t.Errorf("run %d had %d records, want 1 to BatchSize 4", i, n)
		}
		for _, rec := range r.event.Records {
			seen[rec.Body]++
			if ids[rec.MessageID] != rec.Body {
				t.Errorf("record %s: body %q, want %q", rec.MessageID, rec.Body, ids[rec.MessageID])
			}
			if rec.EventSource != "aws:sqs" || rec.EventSourceARN != "arn:aws:sqs:us-east-1:123456789012:In" || rec.AWSRegion != "us-east-1" ||
				rec.MD5OfBody != md5Hex(rec.Body) || rec.ReceiptHandle == "" {
				t.Errorf("record %+v lacks the SQS event fields", rec)
			}
			for _, k := range []string{"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} {
				if rec.Attributes[k] == "" {
					t.Errorf("record %s: no attribute %s in %v", rec.MessageID, k, rec.Attributes)
				}
			}
			if a := rec.MessageAttributes["trace"]; a.DataType != "String" || a.StringValue == nil || *a.StringValue != "t1" {
				t.Errorf("record %s: message attributes %+v", rec.MessageID, rec.MessageAttributes)
			}
		}
	}
	if len(runs) > 0 && len(runs[0].event.Records) != 4 {
		t.Errorf("the first batch had %d records, want a full batch of 4", len(runs[0].event.Records))
	}
	for _, b := range bodies {
		want := 1
		if strings.Contains(b, "bad") {
			want = 2 // maxReceiveCount, then the DLQ
		}
		if seen[b] != want {
			t.Errorf("%q reached the function %d times, want %d", b, seen[b], want)
		}
	}
	dead := receive(t, s, "InDLQ", 10, time.Second)
	if len(dead) != 1 || dead[0].Body != "bad one" {
		t.Errorf("DLQ holds %+v, want the bad message", dead)
	}
}

func TestPollerFunctionErrorKeepsBatch(t *testing.T) {
	rt := echoRuntime(t)
	s := newService(t, Config{ID: "Q", VisibilityTimeout: time.Second})
	ctx := context.Background()
	send(t, s, "Q", SendInput{Body: "boom"})
	rec := &recorder{next: rt}
	if err := s.StartPollers(rec, []Mapping{{ID: "Sqs", Queue: "Q", Function: "echo-fn"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the failing message delivered twice", func() bool {
		return len(rec.snapshot()) >= 2
	})
	s.StopPollers()
	runs := rec.snapshot()
	if runs[0].res.FunctionError == "" || runs[1].event.Records[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Errorf("runs %+v, want a failed run and the message again with receive count 2", runs[:2])
	}
	// Still there: a failed batch is not deleted.
	eventually(t, 5*time.Second, "the message visible again", func() bool {
		st, _ := s.Stats(ctx, "Q")
		return st.Visible+st.InFlight == 1
	})
	// Pollers of an unknown queue are refused.
	if err := s.StartPollers(rt, []Mapping{{Queue: "Nope", Function: "echo-fn"}}); err == nil {
		t.Error("a mapping of an unknown queue: no error")
	}
}

func TestBatchItemFailures(t *testing.T) {
	msgs := []Message{{MessageID: "a"}, {MessageID: "b"}}
	for _, c := range []struct {
		payload string
		ok      bool
		failed  []string
	}{
		{``, true, nil},
		{`null`, true, nil},
		{`{}`, true, nil},
		{`{"batchItemFailures":[]}`, true, nil},
		{`{"batchItemFailures":[{"itemIdentifier":"b"}]}`, true, []string{"b"}},
		{`{"batchItemFailures":[{"itemIdentifier":"zzz"}]}`, false, nil},
		{`{"batchItemFailures":[{}]}`, false, nil},
		{`"text"`, false, nil},
	} {
		got, ok := batchItemFailures([]byte(c.payload), msgs)
		if ok != c.ok {
			t.Errorf("%s: ok %v, want %v", c.payload, ok, c.ok)
			continue
		}
		var ids []string
		for id := range got {
			ids = append(ids, id)
		}
		if strings.Join(ids, ",") != strings.Join(c.failed, ",") {
			t.Errorf("%s: failed %v, want %v", c.payload, ids, c.failed)
		}
	}
}
