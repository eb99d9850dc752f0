package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
)

// echoSpec builds testdata/echo (a function written with aws-lambda-go)
// once per test binary and returns a spec for it.
var (
	echoOnce sync.Once
	echoCmd  []string
	echoErr  error
	cacheDir string
)

func echoSpec(t *testing.T) *Spec {
	t.Helper()
	echoOnce.Do(func() {
		cacheDir, echoErr = os.MkdirTemp("", "stacklab-build-")
		if echoErr != nil {
			return
		}
		b := &Builder{Dir: cacheDir}
		dir, _ := filepath.Abs("testdata/echo")
		echoCmd, echoErr = b.Prepare(context.Background(), Source{Name: "Echo", Runtime: "provided.al2023", Handler: "bootstrap", CodeDir: dir})
	})
	if echoErr != nil {
		t.Fatalf("building the echo function: %v", echoErr)
	}
	dir, _ := filepath.Abs("testdata/echo")
	return &Spec{ID: "Echo", Name: "echo-fn", Runtime: "provided.al2023", Handler: "bootstrap", Command: echoCmd, Dir: dir,
		Env: map[string]string{"GREETING": "hello"}, MemoryMB: 128, Timeout: 3 * time.Second, Reserved: -1}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cacheDir != "" {
		os.RemoveAll(cacheDir)
	}
	os.Exit(code)
}

func newTestRuntime(t *testing.T, opts Options, specs ...*Spec) *Runtime {
	t.Helper()
	rt := New(opts)
	rt.Deploy(specs)
	t.Cleanup(rt.Close)
	return rt
}

func call(t *testing.T, rt *Runtime, fn, payload string) (invoke.Result, map[string]any) {
	t.Helper()
	res, err := rt.Invoke(context.Background(), invoke.Request{Function: fn, Payload: []byte(payload), Type: invoke.RequestResponse, LogTail: true})
	if err != nil {
		t.Fatalf("invoke %s %s: %v", fn, payload, err)
	}
	var out map[string]any
	json.Unmarshal(res.Payload, &out)
	return res, out
}

func TestInvokeColdThenWarm(t *testing.T) {
	rt := newTestRuntime(t, Options{}, echoSpec(t))
	res, out := call(t, rt, "echo-fn", `{"print":"hi there"}`)
	if res.FunctionError != "" {
		t.Fatalf("function error: %s", res.Payload)
	}
	if !res.Cold || res.InitDuration <= 0 {
		t.Errorf("first call: cold=%v init=%v, want a cold start with an init duration", res.Cold, res.InitDuration)
	}
	for k, want := range map[string]any{"function": "echo-fn", "memory": float64(128), "version": "$LATEST", "handler": "bootstrap", "region": "us-east-1", "greeting": "hello", "request_id": res.RequestID, "arn": "arn:aws:lambda:us-east-1:123456789012:function:echo-fn"} {
		if out[k] != want {
			t.Errorf("%s = %v, want %v", k, out[k], want)
		}
	}
	if !strings.HasPrefix(out["trace"].(string), "Root=1-") {
		t.Errorf("_X_AMZN_TRACE_ID = %q, want an X-Ray header", out["trace"])
	}
	if rem, _ := out["remaining_ms"].(float64); rem <= 0 || rem > 3000 {
		t.Errorf("remaining time %v ms, want within the 3 s timeout", rem)
	}
	tail := string(res.LogTail)
	for _, want := range []string{"START RequestId: " + res.RequestID, "hi there", "END RequestId: " + res.RequestID, "REPORT RequestId: " + res.RequestID, "Billed Duration:", "Memory Size: 128 MB", "Init Duration:"} {
		if !strings.Contains(tail, want) {
			t.Errorf("log tail lacks %q:\n%s", want, tail)
		}
	}
	res2, out2 := call(t, rt, "echo-fn", `{}`)
	if res2.Cold || res2.InitDuration != 0 {
		t.Errorf("second call: cold=%v, want warm", res2.Cold)
	}
	if out2["calls"] != float64(2) {
		t.Errorf("calls = %v, want 2: the warm instance was not reused", out2["calls"])
	}
	if lines := rt.Logs().Query("echo-fn", time.Time{}, res.RequestID); len(lines) < 4 {
		t.Errorf("logs of %s: %d lines, want START, output, END, REPORT", res.RequestID, len(lines))
	}
}

// A line a function starts in one invocation and ends in the next is
// logged whole, once it ends; the unended line does not hold up the first
// invocation's END and REPORT lines.
func TestOutputLineAcrossInvocations(t *testing.T) {
	rt := newTestRuntime(t, Options{}, echoSpec(t))
	first, _ := call(t, rt, "echo-fn", `{"print_partial":"step 1 of 2, "}`)
	if tail := string(first.LogTail); !strings.Contains(tail, "END RequestId: "+first.RequestID) || !strings.Contains(tail, "REPORT RequestId: "+first.RequestID) || strings.Contains(tail, "step 1") {
		t.Errorf("first invocation's log tail:\n%s\nwant START, END, REPORT and not the unended line", tail)
	}
	second, _ := call(t, rt, "echo-fn", `{"print":"step 2 of 2"}`)
	if tail := string(second.LogTail); !strings.Contains(tail, "step 1 of 2, step 2 of 2\n") {
		t.Errorf("second invocation's log tail:\n%s\nwant the line ended in it, whole", tail)
	}
}

func TestFunctionErrors(t *testing.T) {
	rt := newTestRuntime(t, Options{}, echoSpec(t))
	tests := []struct {
		name, payload, wantType, wantMsg string
	}{
		{"handled error", `{"fail":"bad input"}`, "errorString", "bad input"},
		{"panic", `{"panic":true}`, "", "asked to panic"},
		{"exit", `{"exit":3}`, "Runtime.ExitError", "exit status 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, out := call(t, rt, "echo-fn", tt.payload)
			if res.FunctionError != "Unhandled" {
				t.Fatalf("FunctionError = %q, want Unhandled; payload %s", res.FunctionError, res.Payload)
			}
			if tt.wantType != "" && out["errorType"] != tt.wantType {
				t.Errorf("errorType = %v, want %s", out["errorType"], tt.wantType)
			}
			if msg, _ := out["errorMessage"].(string); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("errorMessage = %q, want it to contain %q", msg, tt.wantMsg)
			}
			// The function keeps serving after each failure.
			if res, _ := call(t, rt, "echo-fn", `{}`); res.FunctionError != "" {
				t.Errorf("after %s the next call failed: %s", tt.name, res.Payload)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	spec := echoSpec(t)
	spec.Timeout = time.Second
	rt := newTestRuntime(t, Options{}, spec)
	res, out := call(t, rt, "echo-fn", `{"sleep_ms":5000}`)
	if res.FunctionError != "Unhandled" || !strings.Contains(out["errorMessage"].(string), "Task timed out after 1.00 seconds") {
		t.Fatalf("got %s, want a timeout after 1.00 seconds", res.Payload)
	}
	if res, _ := call(t, rt, "echo-fn", `{}`); res.FunctionError != "" || !res.Cold {
		t.Errorf("after a timeout: cold=%v err=%s, want a new instance that works", res.Cold, res.Payload)
	}
}

func TestOutOfMemory(t *testing.T) {
	rt := newTestRuntime(t, Options{}, echoSpec(t))
	res, out := call(t, rt, "echo-fn", `{"alloc_mb":400}`)
	if res.FunctionError != "Unhandled" || out["errorType"] != "Runtime.OutOfMemory" {
		t.Fatalf("got %s, want Runtime.OutOfMemory", res.Payload)
	}
	if res.MaxMemoryMB < 128 {
		t.Errorf("max memory used %d MB, want past the 128 MB size", res.MaxMemoryMB)
	}
}

func TestServiceErrors(t *testing.T) {
	rt := newTestRuntime(t, Options{}, echoSpec(t))
	ctx := context.Background()
	tests := []struct {
		name string
		req  invoke.Request
		want *invoke.Error
	}{
		{"unknown function", invoke.Request{Function: "nope", Payload: []byte(`{}`)}, invoke.ErrNotFound},
		{"not json", invoke.Request{Function: "echo-fn", Payload: []byte(`{"a":`)}, invoke.ErrInvalidContent},
		{"too large sync", invoke.Request{Function: "echo-fn", Payload: []byte(`"` + strings.Repeat("x", invoke.MaxSyncPayload) + `"`)}, invoke.ErrTooLarge},
		{"too large async", invoke.Request{Function: "echo-fn", Type: invoke.Event, Payload: []byte(`"` + strings.Repeat("x", invoke.MaxAsyncPayload) + `"`)}, invoke.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rt.Invoke(ctx, tt.req)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %s", err, tt.want.Type)
			}
		})
	}
	// By logical id too.
	if _, err := rt.Invoke(ctx, invoke.Request{Function: "Echo", Payload: []byte(`{}`)}); err != nil {
		t.Errorf("invoke by logical id: %v", err)
	}
}

func TestThrottling(t *testing.T) {
	spec := echoSpec(t)
	one := 1
	spec.Reserved = one
	rt := newTestRuntime(t, Options{QueueWait: 200 * time.Millisecond}, spec)
	done := make(chan error, 1)
	go func() {
		_, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Payload: []byte(`{"sleep_ms":1500}`)})
		done <- err
	}()
	// Wait until the slow call holds the only slot.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if f := rt.Functions(); len(f) == 1 && f[0].Instances == 1 && f[0].Idle == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first invocation never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Payload: []byte(`{}`)})
	if !errors.Is(err, invoke.ErrTooManyRequests) {
		t.Errorf("second call: got %v, want TooManyRequestsException", err)
	}
	if err := <-done; err != nil {
		t.Errorf("first call: %v", err)
	}
	spec0 := echoSpec(t)
	zero := 0
	spec0.Reserved = zero
	spec0.Name = "off"
	rt.Deploy([]*Spec{spec0})
	if _, err := rt.Invoke(context.Background(), invoke.Request{Function: "off", Payload: []byte(`{}`)}); !errors.Is(err, invoke.ErrTooManyRequests) {
		t.Errorf("reserved 0: got %v, want TooManyRequestsException", err)
	}
}

func TestConcurrentInstancesAndScaleToZero(t *testing.T) {
	rt := newTestRuntime(t, Options{IdleTimeout: 300 * time.Millisecond}, echoSpec(t))
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Payload: []byte(`{"sleep_ms":300}`)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if f := rt.Functions(); f[0].Instances != 4 {
		t.Errorf("%d instances after 4 concurrent calls, want 4 (one request at a time per instance)", f[0].Instances)
	}
	deadline := time.Now().Add(5 * time.Second)
	for rt.Functions()[0].Instances != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("instances not stopped after the idle timeout: %+v", rt.Functions())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAsyncInvocation(t *testing.T) {
	rt := newTestRuntime(t, Options{}, echoSpec(t))
	res, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Type: invoke.Event, Payload: []byte(`{"print":"async ran"}`)})
	if err != nil || res.RequestID == "" {
		t.Fatalf("async: %v %+v", err, res)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		lines := rt.Logs().Query("echo-fn", time.Time{}, res.RequestID)
		for _, l := range lines {
			if l.Text == "async ran" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the async invocation never ran: %+v", lines)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
