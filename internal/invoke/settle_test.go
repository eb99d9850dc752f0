package invoke_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/runtime"
)

// echoRuntime is a runtime running the echo test function of package
// runtime as "echo-fn", built once per test binary.
var (
	echoOnce sync.Once
	echoCmd  []string
	echoErr  error
	buildDir string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func echoRuntime(t testing.TB) *runtime.Runtime {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	dir, _ := filepath.Abs("../runtime/testdata/echo")
	echoOnce.Do(func() {
		if buildDir, echoErr = os.MkdirTemp("", "stacklab-build-"); echoErr != nil {
			return
		}
		b := &runtime.Builder{Dir: buildDir}
		echoCmd, echoErr = b.Prepare(context.Background(), runtime.Source{Name: "Echo", Runtime: "provided.al2023", Handler: "bootstrap", CodeDir: dir})
	})
	if echoErr != nil {
		t.Fatalf("building the echo function: %v", echoErr)
	}
	rt := runtime.New(runtime.Options{})
	rt.Deploy([]*runtime.Spec{{ID: "Echo", Name: "echo-fn", Runtime: "provided.al2023", Handler: "bootstrap", Command: echoCmd, Dir: dir,
		MemoryMB: 128, Timeout: 3 * time.Second, Reserved: -1}})
	t.Cleanup(rt.Close)
	return rt
}

// settler records the outcomes Settle is given and fails while told to.
type settler struct {
	mu    sync.Mutex
	fail  int // calls left that fail
	calls []invoke.Outcome
}

func (s *settler) settle(_ context.Context, o *invoke.Outcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, *o)
	if !o.IsDelivered("first") {
		o.MarkDelivered("first") // delivered before the failure
	}
	if s.fail != 0 {
		s.fail--
		return errors.New("destination unavailable")
	}
	o.MarkDelivered("second")
	return nil
}

func (s *settler) outcomes() []invoke.Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runs(rt *runtime.Runtime, id string) int {
	n := 0
	for _, l := range rt.Logs().Query("echo-fn", time.Time{}, id) {
		if l.Text == "attempt" {
			n++
		}
	}
	return n
}

func stored(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), "STACKLAB_ASYNC")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func kept(t *testing.T, js jetstream.JetStream, id string) bool {
	t.Helper()
	kv, err := js.KeyValue(context.Background(), "STACKLAB_ASYNC_OUTCOMES")
	if err != nil {
		t.Fatal(err)
	}
	_, err = kv.Get(context.Background(), id)
	return err == nil
}

// TestSettleBeforeAck: the event stays in the queue while its outcome
// cannot be delivered, the function runs once, and Settle is called again
// with what it already delivered marked; once it succeeds the event is
// acknowledged and the kept outcome forgotten.
func TestSettleBeforeAck(t *testing.T) {
	for _, tt := range []struct {
		name, payload string
		condition     invoke.Condition
		response      string
	}{
		{"failure", `{"print":"attempt","fail":"out of stock"}`, invoke.ConditionRetriesExhausted, `{"errorMessage":"out of stock","errorType":"errorString"}`},
		{"success", `{"print":"attempt"}`, invoke.ConditionSuccess, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rt := echoRuntime(t)
			b := bustest.Start(t, t.TempDir())
			defer b.Close()
			s := &settler{fail: 2}
			q, err := invoke.NewAsync(context.Background(), b.JetStream(), invoke.AsyncOptions{Runner: rt, RetryDelay: 50 * time.Millisecond, Settle: s.settle,
				Policy: func(string) invoke.RetryPolicy {
					return invoke.RetryPolicy{MaximumRetryAttempts: 0, MaximumEventAge: time.Hour}
				}})
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			rt.SetQueue(q)
			q.Start()
			res, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Type: invoke.Event, Payload: []byte(tt.payload)})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the first failed delivery", func() bool { return len(s.outcomes()) >= 1 })
			if n := stored(t, b.JetStream()); n != 1 {
				t.Errorf("after a failed delivery the queue holds %d events, want the event kept", n)
			}
			waitFor(t, "the delivery that succeeds", func() bool { return len(s.outcomes()) >= 3 })
			waitFor(t, "the event to be acknowledged", func() bool { return stored(t, b.JetStream()) == 0 })
			time.Sleep(300 * time.Millisecond) // room for a wrong extra run or delivery
			calls := s.outcomes()
			if len(calls) != 3 {
				t.Errorf("Settle called %d times, want 3 (two failures, then success)", len(calls))
			}
			if n := runs(rt, res.RequestID); n != 1 {
				t.Errorf("the function ran %d times, want once: a failed delivery must not run it again", n)
			}
			for i, o := range calls {
				if o.RequestID != res.RequestID || o.Condition != tt.condition || o.Attempts != 1 || string(o.Payload) != tt.payload || o.Failures != i {
					t.Errorf("call %d: %+v; want request %s, %s, 1 attempt, the payload, %d failures", i, o, res.RequestID, tt.condition, i)
				}
				if tt.response != "" && string(o.Response) != tt.response {
					t.Errorf("call %d: response %s, want %s", i, o.Response, tt.response)
				}
				if i > 0 && !o.IsDelivered("first") {
					t.Errorf("call %d: %v delivered; want \"first\" remembered from the call before", i, o.Delivered)
				}
			}
			if tt.condition == invoke.ConditionSuccess {
				var out map[string]any
				if err := json.Unmarshal(calls[0].Response, &out); err != nil || out["request_id"] != res.RequestID {
					t.Errorf("response %s, want the function's answer for request %s", calls[0].Response, res.RequestID)
				}
			}
			if kept(t, b.JetStream(), res.RequestID) {
				t.Error("the delivered outcome is still kept")
			}
		})
	}
}

// TestKeptOutcomeSurvivesRestart: an outcome that could not be delivered
// is delivered by the next process on the same store, without running the
// function again.
func TestKeptOutcomeSurvivesRestart(t *testing.T) {
	rt := echoRuntime(t)
	dir := t.TempDir()
	b := bustest.Start(t, dir)
	failing := &settler{fail: -1}
	q, err := invoke.NewAsync(context.Background(), b.JetStream(), invoke.AsyncOptions{Runner: rt, RetryDelay: 50 * time.Millisecond, Settle: failing.settle,
		Policy: func(string) invoke.RetryPolicy {
			return invoke.RetryPolicy{MaximumRetryAttempts: 0, MaximumEventAge: time.Hour}
		}})
	if err != nil {
		t.Fatal(err)
	}
	rt.SetQueue(q)
	q.Start()
	res, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Type: invoke.Event, Payload: []byte(`{"print":"attempt","fail":"boom"}`)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the outcome to be kept", func() bool { return kept(t, b.JetStream(), res.RequestID) })
	q.Close()
	b.Close()

	b = bustest.Start(t, dir)
	defer b.Close()
	ok := &settler{}
	q, err = invoke.NewAsync(context.Background(), b.JetStream(), invoke.AsyncOptions{Runner: rt, RetryDelay: 50 * time.Millisecond, AckWait: time.Second, Settle: ok.settle})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	q.Start()
	waitFor(t, "the kept outcome to be delivered", func() bool { return len(ok.outcomes()) == 1 && stored(t, b.JetStream()) == 0 })
	o := ok.outcomes()[0]
	if o.RequestID != res.RequestID || o.Condition != invoke.ConditionRetriesExhausted || o.Failures == 0 || !o.IsDelivered("first") {
		t.Errorf("delivered %+v; want the kept outcome of %s, RetriesExhausted, with its failures and deliveries", o, res.RequestID)
	}
	if n := runs(rt, res.RequestID); n != 1 {
		t.Errorf("the function ran %d times, want once", n)
	}
}

// TestEventAgeExceeded: an event that fails and is still waiting for its
// retry when it gets older than MaximumEventAge ends with EventAgeExceeded,
// counting the attempts that ran.
func TestEventAgeExceeded(t *testing.T) {
	rt := echoRuntime(t)
	b := bustest.Start(t, t.TempDir())
	defer b.Close()
	s := &settler{}
	q, err := invoke.NewAsync(context.Background(), b.JetStream(), invoke.AsyncOptions{Runner: rt, RetryDelay: 2 * time.Second, Settle: s.settle,
		Policy: func(string) invoke.RetryPolicy {
			return invoke.RetryPolicy{MaximumRetryAttempts: 2, MaximumEventAge: time.Second}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	rt.SetQueue(q)
	q.Start()
	payload := `{"print":"attempt","fail":"slow"}`
	res, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Type: invoke.Event, Payload: []byte(payload)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the outcome", func() bool { return len(s.outcomes()) == 1 && stored(t, b.JetStream()) == 0 })
	o := s.outcomes()[0]
	ran := runs(rt, res.RequestID)
	if o.Condition != invoke.ConditionEventAgeExceeded || o.RequestID != res.RequestID || string(o.Payload) != payload || o.Attempts != ran || ran > 1 {
		t.Errorf("outcome %+v after %d runs; want EventAgeExceeded for %s counting the runs (at most the first)", o, ran, res.RequestID)
	}
	if want := map[bool]int{true: 200, false: 429}[ran > 0]; o.ErrorCode() != want {
		t.Errorf("ErrorCode %d after %d runs, want %d", o.ErrorCode(), ran, want)
	}
}
