package bucket

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// failReader fails the test when read: the put must refuse the content
// before reading it.
type failReader struct{ t *testing.T }

func (f failReader) Read([]byte) (int, error) {
	f.t.Error("the content was read, though its announced size is over the limit")
	return 0, io.EOF
}

// count is how many invocations r was given.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// TestMaxObjectSize checks that a put over the service's MaxObjectSize
// fails with a clear error, stores nothing (no chunks left behind, an
// object stored before under the key kept) and notifies no one, and that
// a put of exactly the limit is stored.
func TestMaxObjectSize(t *testing.T) {
	const limit = 1<<20 + 7 // not a multiple of the store's chunk size
	rec := &recorder{}
	s := newService(t, Options{MaxObjectSize: limit, Invoker: rec}, Config{ID: "Uploads", Notifications: []Notification{
		{ID: "All", Events: []string{"s3:ObjectCreated:*"}, Function: "fn"},
	}})
	ctx := context.Background()
	b, err := s.bucket("Uploads")
	if err != nil {
		t.Fatal(err)
	}
	storeBytes := func() uint64 {
		st, err := b.store.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}

	at, err := s.Put(ctx, "Uploads", "at-limit.bin", &pattern{left: limit}, PutInput{})
	if err != nil || at.Size != limit {
		t.Fatalf("a put of exactly the limit: %+v, %v; want it stored", at, err)
	}
	if _, err := s.Put(ctx, "Uploads", "kept.txt", strings.NewReader("the first version"), PutInput{}); err != nil {
		t.Fatal(err)
	}
	notified := rec.count()
	before := storeBytes()

	for _, c := range []struct {
		name string
		key  string
		r    io.Reader
		in   PutInput
	}{
		{"streamed, one byte over", "over.bin", &pattern{left: limit + 1}, PutInput{}},
		{"streamed, far over", "far-over.bin", &pattern{left: 5 * limit}, PutInput{}},
		{"replacing an object", "kept.txt", &pattern{left: 2 * limit}, PutInput{}},
		{"announced over", "announced.bin", failReader{t}, PutInput{Size: limit + 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Put(ctx, "Uploads", c.key, c.r, c.in)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("got %v, want ErrTooLarge", err)
			}
			for _, want := range []string{c.key, "bucket Uploads", "1048583 bytes", "--max-object-size"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error %q does not say %q", err, want)
				}
			}
		})
	}
	if got := storeBytes(); got != before {
		t.Errorf("the store holds %d bytes after the refused puts, %d before: something was half stored", got, before)
	}
	for _, key := range []string{"over.bin", "far-over.bin", "announced.bin"} {
		if _, err := s.Head(ctx, "Uploads", key); !errors.Is(err, ErrNoObject) {
			t.Errorf("head %s after a refused put: %v, want ErrNoObject", key, err)
		}
	}
	r, obj, err := s.Get(ctx, "Uploads", "kept.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, []byte("the first version")) || obj.Size != int64(len(got)) {
		t.Errorf("kept.txt after a refused replacement: %q... (%d bytes), want the first version", got[:min(len(got), 40)], obj.Size)
	}
	if n := rec.count(); n != notified {
		t.Errorf("refused puts sent %d notifications, want none", n-notified)
	}
}

// TestDefaultMaxObjectSize checks the limit without options: S3's 5 GiB,
// refused before reading when announced.
func TestDefaultMaxObjectSize(t *testing.T) {
	s := newService(t, Options{}, Config{ID: "Uploads"})
	_, err := s.Put(context.Background(), "Uploads", "huge.bin", failReader{t}, PutInput{Size: DefaultMaxObjectSize + 1})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "5368709120 bytes") {
		t.Errorf("a put announcing 5 GiB + 1: %v, want ErrTooLarge naming the 5368709120-byte limit", err)
	}
}
