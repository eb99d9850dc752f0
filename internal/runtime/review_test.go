package runtime

import (
	"path/filepath"
	"sync"
	"testing"
	"time"
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
