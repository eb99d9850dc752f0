package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
)

// writeFunction writes files into a new function folder.
func writeFunction(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		mode := os.FileMode(0o644)
		if name == "bootstrap" {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBuildFailureShowsCompilerOutput(t *testing.T) {
	dir := writeFunction(t, map[string]string{"main.go": "package main\n\nfunc main() { undefinedThing() }\n", "go.mod": "module broken\n\ngo 1.22\n"})
	b := &Builder{Dir: t.TempDir()}
	_, err := b.Prepare(context.Background(), Source{Name: "Broken", Runtime: "provided.al2023", CodeDir: dir})
	var be *BuildError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "undefined: undefinedThing") || !strings.Contains(err.Error(), "main.go:3") {
		t.Fatalf("got %v, want a BuildError with the compiler's output", err)
	}
}

func TestPrepareErrors(t *testing.T) {
	b := &Builder{Dir: t.TempDir()}
	empty := t.TempDir()
	tests := []struct {
		name string
		src  Source
		want string
	}{
		{"no folder", Source{Name: "F", Runtime: "python3.12", CodeDir: "/no/such/dir"}, "is not a folder"},
		{"no bootstrap", Source{Name: "F", Runtime: "provided.al2023", CodeDir: empty}, "needs an executable named bootstrap"},
		{"no go module", Source{Name: "F", Runtime: "provided.al2023", CodeDir: writeFunction(t, map[string]string{"main.go": "package main\nfunc main() {}\n"})}, "is in no Go module"},
		{"runtime not run", Source{Name: "F", Runtime: "java21", CodeDir: empty}, `runtime "java21" is not run by stacklab`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := b.Prepare(context.Background(), tt.src); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestFunctionThatNeverAsksForEvents(t *testing.T) {
	dir := writeFunction(t, map[string]string{"bootstrap": "#!/bin/sh\nsleep 30\n"})
	spec := &Spec{Name: "sleepy", Runtime: "provided.al2023", Command: []string{filepath.Join(dir, "bootstrap")}, Dir: dir, MemoryMB: 128, Timeout: 3 * time.Second, Reserved: -1}
	rt := newTestRuntime(t, Options{InitTimeout: 300 * time.Millisecond}, spec, echoSpec(t))
	res, out := call(t, rt, "sleepy", `{}`)
	if res.FunctionError != "Unhandled" || out["errorType"] != "Runtime.InitTimeout" {
		t.Fatalf("got %s, want Runtime.InitTimeout", res.Payload)
	}
	if res, _ := call(t, rt, "echo-fn", `{}`); res.FunctionError != "" {
		t.Errorf("another function failed meanwhile: %s", res.Payload)
	}
}

func TestInitErrorReported(t *testing.T) {
	dir := writeFunction(t, map[string]string{"app.py": "def handler(event, context):\n    return 1\n"})
	b := &Builder{Dir: t.TempDir()}
	cmd, err := b.Prepare(context.Background(), Source{Name: "Py", Runtime: "python3.12", CodeDir: dir})
	if err != nil {
		t.Skipf("python3 not available: %v", err)
	}
	spec := &Spec{Name: "py", Runtime: "python3.12", Handler: "app.nothere", Command: cmd, Dir: dir, MemoryMB: 128, Timeout: 3 * time.Second, Reserved: -1}
	rt := newTestRuntime(t, Options{}, spec)
	res, out := call(t, rt, "py", `{}`)
	if res.FunctionError != "Unhandled" || out["errorType"] != "Runtime.HandlerNotFound" {
		t.Fatalf("got %s, want Runtime.HandlerNotFound", res.Payload)
	}
	spec.Handler = "app.handler"
	rt.Deploy([]*Spec{spec})
	if res, _ := call(t, rt, "py", `{}`); res.FunctionError != "" || string(res.Payload) != "1" {
		t.Errorf("after fixing the handler: %s", res.Payload)
	}
}

func TestHugeOutputAndResponse(t *testing.T) {
	// Writing 200 MB takes seconds under the race detector on a busy
	// machine: the test is about memory, not speed.
	spec := echoSpec(t)
	spec.Timeout = time.Minute
	rt := newTestRuntime(t, Options{}, spec)
	res, _ := call(t, rt, "echo-fn", `{"spew_mb":200}`)
	if res.FunctionError != "" {
		t.Fatalf("a function writing 200 MB of logs failed: %s", res.Payload)
	}
	if n := len(res.LogTail); n > tailSize {
		t.Errorf("log tail of %d bytes, want at most %d", n, tailSize)
	}
	var kept int
	for _, l := range rt.Logs().Query("echo-fn", time.Time{}, "") {
		kept += len(l.Text)
	}
	if kept > maxKeptBytes+maxLogLine {
		t.Errorf("the log store keeps %d bytes of one function, want at most %d", kept, maxKeptBytes)
	}
	res, out := call(t, rt, "echo-fn", `{"big":7000000}`)
	if res.FunctionError != "Unhandled" || out["errorType"] != "Function.ResponseSizeTooLarge" {
		t.Errorf("a 7 MB response: %.200s, want Function.ResponseSizeTooLarge", res.Payload)
	}
	if res, _ := call(t, rt, "echo-fn", `{}`); res.FunctionError != "" {
		t.Errorf("after the big response: %s", res.Payload)
	}
}

func TestUnknownQualifier(t *testing.T) {
	rt := newTestRuntime(t, Options{}, echoSpec(t))
	if _, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn:$LATEST", Payload: []byte(`{}`)}); err != nil {
		t.Errorf("$LATEST: %v", err)
	}
	if _, err := rt.Invoke(context.Background(), invoke.Request{Function: "echo-fn:7", Payload: []byte(`{}`)}); !errors.Is(err, invoke.ErrNotFound) {
		t.Errorf("version 7: %v, want ResourceNotFoundException", err)
	}
}
