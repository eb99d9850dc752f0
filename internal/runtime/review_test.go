package runtime

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
)

// Functions are prepared in parallel: two Python functions on a fresh cache
// write the same bootstrap at once.
func TestBootstrapFileConcurrent(t *testing.T) {
	for range 20 {
		b := &Builder{Dir: t.TempDir()}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := b.bootstrapFile("bootstrap.py", []byte("print('hi')\n")); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("writing the bootstrap from two functions at once: %v", err)
		}
	}
}

// The function's timeout runs from the invocation, not from the process
// start: a cold start slower than the timeout still gets its full time, as
// on Lambda (the init phase has its own limit).
func TestSlowInitDoesNotEatTheTimeout(t *testing.T) {
	echo := echoSpec(t)
	dir := writeFunction(t, map[string]string{"bootstrap": "#!/bin/sh\nsleep 1.5\nexec " + echo.Command[0] + "\n"})
	spec := &Spec{Name: "slow-init", Runtime: "provided.al2023", Command: []string{filepath.Join(dir, "bootstrap")}, Dir: dir, MemoryMB: 128, Timeout: time.Second, Reserved: -1}
	rt := newTestRuntime(t, Options{}, spec)
	res, out := call(t, rt, "slow-init", `{}`)
	if res.FunctionError != "" {
		t.Fatalf("got %s, want the cold invocation to succeed", res.Payload)
	}
	if rem, _ := out["remaining_ms"].(float64); rem <= 0 {
		t.Errorf("remaining time %v ms at the start of the handler, want most of the 1 s timeout", rem)
	}
}

// A deploy that changes a function lets the invocations in progress finish
// on the old code, and those waiting for a slot run on the new one, as
// Lambda does when a function's code is updated.
func TestDeployWhileInvocationsRun(t *testing.T) {
	spec := echoSpec(t)
	spec.Reserved = 1
	rt := newTestRuntime(t, Options{QueueWait: 10 * time.Second}, spec)
	type result struct {
		res invoke.Result
		err error
	}
	running := make(chan result, 1)
	go func() {
		res, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Payload: []byte(`{"sleep_ms":1000}`)})
		running <- result{res, err}
	}()
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
	waiting := make(chan result, 1)
	go func() {
		res, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Payload: []byte(`{}`)})
		waiting <- result{res, err}
	}()
	time.Sleep(100 * time.Millisecond) // let it queue for the slot
	changed := *spec
	changed.Env = map[string]string{"GREETING": "changed"}
	rt.Deploy([]*Spec{&changed})
	if r := <-running; r.err != nil || r.res.FunctionError != "" {
		t.Errorf("the invocation in progress during the deploy: %v %s, want it to finish", r.err, r.res.Payload)
	}
	r := <-waiting
	if r.err != nil || r.res.FunctionError != "" {
		t.Fatalf("the invocation waiting during the deploy: %v %s, want it to run on the new code", r.err, r.res.Payload)
	}
	var out map[string]any
	json.Unmarshal(r.res.Payload, &out)
	if out["greeting"] != "changed" {
		t.Errorf("greeting %v, want the new deployment's", out["greeting"])
	}
}

// An idle instance whose process died is dropped with its Runtime API
// listener closed, not leaked.
func TestDeadIdleInstanceIsCleanedUp(t *testing.T) {
	rt := newTestRuntime(t, Options{}, echoSpec(t))
	call(t, rt, "echo-fn", `{}`)
	p := rt.pool("echo-fn")
	p.mu.Lock()
	in := p.idle[0]
	p.mu.Unlock()
	in.kill()
	<-in.exited
	if res, _ := call(t, rt, "echo-fn", `{}`); res.FunctionError != "" || !res.Cold {
		t.Fatalf("after the idle instance died: cold=%v %s, want a new instance", res.Cold, res.Payload)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", in.ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the dead instance's Runtime API still listens")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The state directory stays hidden from a sandboxed function even when it
// lies inside the function's code (CodeUri: . next to ./.stacklab).
func TestSandboxHidesStateInsideCode(t *testing.T) {
	if newSandbox(nil) == nil {
		t.Skip("bubblewrap is not installed")
	}
	echo := echoSpec(t)
	dir := t.TempDir()
	state := filepath.Join(dir, ".stacklab")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(state, "token")
	if err := os.WriteFile(token, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The built function lives in the state directory too.
	bin, err := os.ReadFile(echo.Command[0])
	if err != nil {
		t.Fatal(err)
	}
	built := filepath.Join(state, "build", "go", "abc", "bootstrap")
	os.MkdirAll(filepath.Dir(built), 0o755)
	if err := os.WriteFile(built, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := &Spec{Name: "nosy", Runtime: "provided.al2023", Command: []string{built}, Dir: dir, MemoryMB: 128, Timeout: 3 * time.Second, Reserved: -1}
	rt := newTestRuntime(t, Options{Sandbox: true, Hide: []string{state}}, spec)
	res, out := call(t, rt, "nosy", `{"read_file":"`+token+`"}`)
	if res.FunctionError != "" {
		t.Fatalf("function error: %s", res.Payload)
	}
	if out["read"] != "" {
		t.Errorf("the function read the control token %q, want it hidden", out["read"])
	}
}

// Closing a log store twice (up closes the platform, then its deferred
// Close runs) returns, also when no function ever wrote a line.
func TestLogsCloseTwice(t *testing.T) {
	l := NewLogs(t.TempDir())
	done := make(chan struct{})
	go func() {
		l.Close()
		l.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the second Close of an unused log store hangs")
	}
}

// An accepted asynchronous event that meets a full function waits for
// room, as Lambda retries throttled events, rather than being dropped.
func TestAsyncEventThrottledIsNotLost(t *testing.T) {
	spec := echoSpec(t)
	spec.Reserved = 1
	rt := newTestRuntime(t, Options{QueueWait: 100 * time.Millisecond}, spec)
	busy := make(chan error, 1)
	go func() {
		_, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Payload: []byte(`{"sleep_ms":1000}`)})
		busy <- err
	}()
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
	res, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn", Type: invoke.Event, Payload: []byte(`{"print":"async ran"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		for _, l := range rt.Logs().Query("echo-fn", time.Time{}, res.RequestID) {
			if l.Text == "async ran" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the throttled async event never ran")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
