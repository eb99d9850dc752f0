package gateway

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fakeInvoker records the requests it gets and answers with fn.
type fakeInvoker struct {
	mu   sync.Mutex
	reqs []invoke.Request
	fn   func(ctx context.Context, req invoke.Request) (invoke.Result, error)
}

func (f *fakeInvoker) Invoke(ctx context.Context, req invoke.Request) (invoke.Result, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	if f.fn == nil {
		return invoke.Result{RequestID: "req-1", Payload: []byte(`null`)}, nil
	}
	return f.fn(ctx, req)
}

// last is the last request the invoker got; it fails the test when there
// was none.
func (f *fakeInvoker) last(t *testing.T) invoke.Request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("the invoker got no request")
	}
	return f.reqs[len(f.reqs)-1]
}

func (f *fakeInvoker) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// answer makes an invoker that returns res (or err) for every request.
func answer(res invoke.Result, err error) *fakeInvoker {
	return &fakeInvoker{fn: func(context.Context, invoke.Request) (invoke.Result, error) { return res, err }}
}

// fixedTime and fixedID make events stable for golden files.
var fixedTime = time.Date(2024, 3, 5, 19, 15, 17, 135_000_000, time.UTC)

func fixedID() string { return "c6af9ac6-7b61-11e6-9a41-93e8deadbeef" }

// checkGolden compares got with testdata/name, or writes it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to make it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update to accept)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}
