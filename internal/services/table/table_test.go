package table

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus"
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

// newService starts a bus and a service with cfgs applied; both stop at
// the end of the test.
func newService(t *testing.T, cfgs ...Config) *Service {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Start(ctx, bus.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("starting the bus: %v", err)
	}
	s := New(b.JetStream(), Options{RetryDelay: 50 * time.Millisecond})
	t.Cleanup(func() { s.Close(); b.Close() })
	if err := s.Apply(ctx, cfgs); err != nil {
		t.Fatal(err)
	}
	return s
}

func item(t *testing.T, s string) Item {
	t.Helper()
	var it Item
	if err := json.Unmarshal([]byte(s), &it); err != nil {
		t.Fatalf("item %s: %v", s, err)
	}
	return it
}

func TestPutGetDeleteScan(t *testing.T) {
	s := newService(t, Config{ID: "Users", Name: "users", HashKey: Key{"id", "S"}, RangeKey: &Key{"n", "N"}})
	ctx := context.Background()
	if items, err := s.Scan(ctx, "users", 0); err != nil || len(items) != 0 {
		t.Fatalf("Scan of an empty table: got %v, %v, want no items", items, err)
	}
	a := item(t, `{"id":{"S":"a"},"n":{"N":"1"},"name":{"S":"Ann"}}`)
	b := item(t, `{"id":{"S":"b"},"n":{"N":"2"},"tags":{"SS":["x","y"]}}`)
	for _, it := range []Item{a, b} {
		if old, err := s.Put(ctx, "users", it); err != nil || old != nil {
			t.Fatalf("Put: got %v, %v, want no old item", old, err)
		}
	}
	got, err := s.Get(ctx, "Users", item(t, `{"id":{"S":"a"},"n":{"N":"1.0"}}`))
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("Get: got %v, %v, want %v", got, err, a)
	}
	items, err := s.Scan(ctx, "users", 0)
	if err != nil || len(items) != 2 {
		t.Fatalf("Scan: got %v, %v, want 2 items", items, err)
	}
	if items, _ := s.Scan(ctx, "users", 1); len(items) != 1 {
		t.Fatalf("Scan with limit 1: got %d items", len(items))
	}
	a2 := item(t, `{"id":{"S":"a"},"n":{"N":"1"},"name":{"S":"Anna"}}`)
	if old, err := s.Put(ctx, "users", a2); err != nil || !reflect.DeepEqual(old, a) {
		t.Fatalf("Put over: got old %v, %v, want %v", old, err, a)
	}
	if old, err := s.Delete(ctx, "users", item(t, `{"id":{"S":"a"},"n":{"N":"1"}}`)); err != nil || !reflect.DeepEqual(old, a2) {
		t.Fatalf("Delete: got %v, %v, want %v", old, err, a2)
	}
	if got, err := s.Get(ctx, "users", item(t, `{"id":{"S":"a"},"n":{"N":"1"}}`)); err != nil || got != nil {
		t.Fatalf("Get after Delete: got %v, %v, want nothing", got, err)
	}
	if items, _ := s.Scan(ctx, "users", 0); len(items) != 1 || !reflect.DeepEqual(items[0], b) {
		t.Fatalf("Scan after Delete: got %v, want [b]", items)
	}
	if _, err := s.Get(ctx, "nope", a); !errors.Is(err, ErrNoTable) {
		t.Fatalf("Get of an unknown table: got %v, want ErrNoTable", err)
	}
}

func TestKeyValidation(t *testing.T) {
	s := newService(t, Config{ID: "T", HashKey: Key{"id", "S"}, RangeKey: &Key{"n", "N"}})
	for _, tc := range []struct{ name, item string }{
		{"hash key missing", `{"n":{"N":"1"}}`},
		{"range key missing", `{"id":{"S":"a"}}`},
		{"hash key of the wrong type", `{"id":{"N":"1"},"n":{"N":"1"}}`},
		{"range key not a number", `{"id":{"S":"a"},"n":{"N":"one"}}`},
		{"empty string key", `{"id":{"S":""},"n":{"N":"1"}}`},
		{"two types", `{"id":{"S":"a","N":"1"},"n":{"N":"1"}}`},
		{"unknown type", `{"id":{"S":"a"},"n":{"N":"1"},"x":{"Q":"1"}}`},
		{"no type", `{"id":{"S":"a"},"n":{"N":"1"},"x":{}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Put(context.Background(), "T", item(t, tc.item)); !errors.Is(err, ErrInvalid) {
				t.Errorf("Put %s: got %v, want ErrInvalid", tc.item, err)
			}
		})
	}
}

// echoRuntime runs the runtime's Go test function (testdata/echo) as
// function "echo-fn".
func echoRuntime(t *testing.T) *runtime.Runtime {
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

// recorder runs invocations on the real runtime and keeps the events of
// those that succeeded; the first failFirst invocations fail.
type recorder struct {
	next      invoke.Invoker
	mu        sync.Mutex
	calls     int
	failFirst int
	events    []Event
}

func (r *recorder) Invoke(ctx context.Context, req invoke.Request) (invoke.Result, error) {
	res, err := r.next.Invoke(ctx, req)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls <= r.failFirst {
		return invoke.Result{FunctionError: "Unhandled"}, nil
	}
	if err == nil && res.FunctionError == "" {
		var ev Event
		json.Unmarshal(req.Payload, &ev)
		r.events = append(r.events, ev)
	}
	return res, err
}

func (r *recorder) records() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Record
	for _, e := range r.events {
		out = append(out, e.Records...)
	}
	return out
}

func eventually(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStreamToFunctionInOrderPerViewType(t *testing.T) {
	rt := echoRuntime(t)
	views := []string{"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"}
	var cfgs []Config
	for _, v := range views {
		cfgs = append(cfgs, Config{ID: "T_" + v, HashKey: Key{"id", "S"}, StreamViewType: v})
	}
	s := newService(t, cfgs...)
	ctx := context.Background()
	v1 := item(t, `{"id":{"S":"k"},"v":{"N":"1"}}`)
	v2 := item(t, `{"id":{"S":"k"},"v":{"N":"2"}}`)
	keys := item(t, `{"id":{"S":"k"}}`)
	for _, v := range views {
		t.Run(v, func(t *testing.T) {
			// The first invocation fails: the batch is retried, in order.
			rec := &recorder{next: rt, failFirst: 1}
			if err := s.StartPollers(ctx, rec, []Mapping{{ID: "Fn" + v, Table: "T_" + v, Function: "echo-fn", BatchSize: 2}}); err != nil {
				t.Fatal(err)
			}
			defer s.StopPollers()
			if _, err := s.Put(ctx, "T_"+v, v1); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Put(ctx, "T_"+v, v2); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Delete(ctx, "T_"+v, keys); err != nil {
				t.Fatal(err)
			}
			eventually(t, 30*time.Second, "three stream records delivered", func() bool { return len(rec.records()) >= 3 })
			recs := rec.records()
			var names []string
			for _, r := range recs {
				names = append(names, r.EventName)
			}
			if want := []string{"INSERT", "MODIFY", "REMOVE"}; !slices.Equal(names, want) {
				t.Fatalf("event names: got %v, want %v", names, want)
			}
			newImg := v == "NEW_IMAGE" || v == "NEW_AND_OLD_IMAGES"
			oldImg := v == "OLD_IMAGE" || v == "NEW_AND_OLD_IMAGES"
			pick := func(ok bool, it Item) Item {
				if ok {
					return it
				}
				return nil
			}
			wantNew := []Item{pick(newImg, v1), pick(newImg, v2), nil}
			wantOld := []Item{nil, pick(oldImg, v1), pick(oldImg, v2)}
			prevSeq := ""
			for i, r := range recs {
				d := r.DynamoDB
				if !reflect.DeepEqual(d.Keys, keys) || !reflect.DeepEqual(d.NewImage, wantNew[i]) || !reflect.DeepEqual(d.OldImage, wantOld[i]) {
					t.Errorf("record %d (%s): got keys %v new %v old %v, want %v, %v, %v", i, r.EventName, d.Keys, d.NewImage, d.OldImage, keys, wantNew[i], wantOld[i])
				}
				if d.StreamViewType != v || r.EventSource != "aws:dynamodb" || r.EventSourceARN != s.StreamARN(Config{Name: "T_" + v}) || r.AWSRegion != "us-east-1" || r.EventID == "" || d.SizeBytes <= 0 || d.ApproximateCreationDateTime <= 0 {
					t.Errorf("record %d: got %+v", i, r)
				}
				if d.SequenceNumber <= prevSeq {
					t.Errorf("record %d: sequence number %q not after %q", i, d.SequenceNumber, prevSeq)
				}
				prevSeq = d.SequenceNumber
			}
			rec.mu.Lock()
			calls := rec.calls
			rec.mu.Unlock()
			if calls < 2 {
				t.Errorf("got %d invocations, want the failed batch retried", calls)
			}
		})
	}
}

func TestNoStreamRefusesMapping(t *testing.T) {
	s := newService(t, Config{ID: "T", HashKey: Key{"id", "S"}})
	err := s.StartPollers(context.Background(), &recorder{}, []Mapping{{ID: "M", Table: "T", Function: "f"}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	if _, err := s.Put(context.Background(), "T", Item{"id": {"S": "a"}}); err != nil {
		t.Fatalf("Put without a stream: %v", err)
	}
}
