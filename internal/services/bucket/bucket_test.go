package bucket

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/services/queue"
)

func newService(t *testing.T, opts Options, cfgs ...Config) *Service {
	t.Helper()
	b := bustest.Start(t, t.TempDir())
	s := New(b.JetStream(), opts)
	t.Cleanup(func() {
		s.Close()
		b.Close()
	})
	if err := s.Apply(context.Background(), cfgs); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return s
}

func md5Hex(b []byte) string {
	h := md5.Sum(b)
	return hex.EncodeToString(h[:])
}

func TestPutGetListDelete(t *testing.T) {
	s := newService(t, Options{}, Config{ID: "Uploads", Name: "my-uploads"}, Config{ID: "Other"})
	ctx := context.Background()
	body := []byte("hello bucket")
	obj, err := s.Put(ctx, "Uploads", "docs/a b.txt", bytes.NewReader(body), PutInput{ContentType: "text/plain", Metadata: map[string]string{"Owner": "me"}})
	if err != nil {
		t.Fatal(err)
	}
	if obj.Size != int64(len(body)) || obj.ETag != md5Hex(body) || obj.ContentType != "text/plain" || obj.Metadata["owner"] != "me" {
		t.Errorf("put answered %+v", obj)
	}
	// By name and by ARN too.
	for _, name := range []string{"Uploads", "my-uploads", "arn:aws:s3:::my-uploads"} {
		r, got, err := s.Get(ctx, name, "docs/a b.txt")
		if err != nil {
			t.Fatalf("get from %s: %v", name, err)
		}
		data, _ := io.ReadAll(r)
		r.Close()
		if string(data) != string(body) || got.ETag != obj.ETag || got.ContentType != "text/plain" || got.Metadata["owner"] != "me" || got.LastModified.IsZero() {
			t.Errorf("get from %s: %q %+v", name, data, got)
		}
	}
	if h, err := s.Head(ctx, "Uploads", "docs/a b.txt"); err != nil || h.ETag != obj.ETag || h.Size != obj.Size {
		t.Errorf("head: %+v %v", h, err)
	}
	for _, k := range []string{"docs/b", "img/c.png"} {
		if _, err := s.Put(ctx, "Uploads", k, strings.NewReader(k), PutInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if h, _ := s.Head(ctx, "Uploads", "docs/b"); h.ContentType != "binary/octet-stream" {
		t.Errorf("default content type %q", h.ContentType)
	}
	// Overwrite.
	if _, err := s.Put(ctx, "Uploads", "docs/b", strings.NewReader("v2"), PutInput{}); err != nil {
		t.Fatal(err)
	}
	keys := func(prefix string) []string {
		list, err := s.List(ctx, "Uploads", prefix)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range list {
			out = append(out, o.Key)
		}
		return out
	}
	if got := strings.Join(keys(""), ","); got != "docs/a b.txt,docs/b,img/c.png" {
		t.Errorf("list: %s", got)
	}
	if got := strings.Join(keys("docs/"), ","); got != "docs/a b.txt,docs/b" {
		t.Errorf("list docs/: %s", got)
	}
	if list, err := s.List(ctx, "Other", ""); err != nil || len(list) != 0 {
		t.Errorf("empty bucket: %v %v", list, err)
	}
	if _, err := s.Delete(ctx, "Uploads", "docs/b"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys(""), ","); got != "docs/a b.txt,img/c.png" {
		t.Errorf("list after delete: %s", got)
	}
	for name, err := range map[string]error{
		"get deleted":    func() error { _, _, err := s.Get(ctx, "Uploads", "docs/b"); return err }(),
		"delete deleted": func() error { _, err := s.Delete(ctx, "Uploads", "docs/b"); return err }(),
		"head missing":   func() error { _, err := s.Head(ctx, "Uploads", "nope"); return err }(),
	} {
		if !errors.Is(err, ErrNoObject) {
			t.Errorf("%s: %v, want ErrNoObject", name, err)
		}
	}
	if _, err := s.Put(ctx, "Nope", "k", strings.NewReader(""), PutInput{}); !errors.Is(err, ErrNoBucket) {
		t.Errorf("put to an unknown bucket: %v", err)
	}
	if _, err := s.Put(ctx, "Uploads", "", strings.NewReader(""), PutInput{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty key: %v", err)
	}
	if _, err := s.Put(ctx, "Uploads", "empty", strings.NewReader(""), PutInput{}); err != nil {
		t.Errorf("empty object: %v", err)
	} else if h, _ := s.Head(ctx, "Uploads", "empty"); h.Size != 0 || h.ETag != md5Hex(nil) {
		t.Errorf("empty object: %+v", h)
	}
}

// pattern is a generated reader of n bytes that never holds them.
type pattern struct{ left, off int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	for i := range b {
		b[i] = byte((p.off + int64(i)) * 31 % 251)
	}
	p.off += int64(len(b))
	p.left -= int64(len(b))
	return len(b), nil
}

// peakHeap samples the heap in use until stopped.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms goruntime.MemStats
		for {
			goruntime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestLargeObjectStreams puts and gets 200 MB through the object store:
// the heap of the process (which runs the NATS server too) stays far
// below the object's size.
func TestLargeObjectStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB")
	}
	const size = 200 << 20
	const limit = 96 << 20
	s := newService(t, Options{}, Config{ID: "Big"})
	ctx := context.Background()
	goruntime.GC()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	base := ms.HeapInuse

	h := md5.New()
	stop := peakHeap()
	obj, err := s.Put(ctx, "Big", "large.bin", io.TeeReader(&pattern{left: size}, h), PutInput{})
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	want := hex.EncodeToString(h.Sum(nil))
	if obj.Size != size || obj.ETag != want {
		t.Fatalf("put: size %d etag %s, want %d %s", obj.Size, obj.ETag, size, want)
	}
	if peak > base+limit {
		t.Errorf("heap in use reached %d MB during the put (from %d MB): the object was buffered", peak>>20, base>>20)
	}
	t.Logf("put: heap %d MB -> peak %d MB", base>>20, peak>>20)

	goruntime.GC()
	goruntime.ReadMemStats(&ms)
	base = ms.HeapInuse
	stop = peakHeap()
	r, _, err := s.Get(ctx, "Big", "large.bin")
	if err != nil {
		t.Fatal(err)
	}
	g := md5.New()
	n, err := io.Copy(g, r)
	r.Close()
	peak = stop()
	if err != nil || n != size || hex.EncodeToString(g.Sum(nil)) != want {
		t.Fatalf("get: %d bytes, %v, md5 match %v", n, err, hex.EncodeToString(g.Sum(nil)) == want)
	}
	if peak > base+limit {
		t.Errorf("heap in use reached %d MB during the get (from %d MB): the object was buffered", peak>>20, base>>20)
	}
	t.Logf("get: heap %d MB -> peak %d MB", base>>20, peak>>20)
}

func TestObjectsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	b := bustest.Start(t, dir)
	s := New(b.JetStream(), Options{})
	if err := s.Apply(ctx, []Config{{ID: "Keep"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "Keep", "k1", strings.NewReader("kept"), PutInput{ContentType: "text/plain"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	b.Close()

	b = bustest.Start(t, dir)
	defer b.Close()
	s = New(b.JetStream(), Options{})
	defer s.Close()
	if err := s.Apply(ctx, []Config{{ID: "Keep"}}); err != nil {
		t.Fatal(err)
	}
	r, obj, err := s.Get(ctx, "Keep", "k1")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, _ := io.ReadAll(r)
	if string(data) != "kept" || obj.ContentType != "text/plain" || obj.ETag != md5Hex(data) {
		t.Errorf("after the restart: %q %+v", data, obj)
	}
}

func TestNotificationMatches(t *testing.T) {
	for _, c := range []struct {
		events         []string
		prefix, suffix string
		event, key     string
		want           bool
	}{
		{[]string{"s3:ObjectCreated:*"}, "", "", "ObjectCreated:Put", "a", true},
		{[]string{"s3:ObjectCreated:*"}, "", "", "ObjectRemoved:Delete", "a", false},
		{[]string{"s3:ObjectCreated:Put"}, "", "", "ObjectCreated:Put", "a", true},
		{[]string{"s3:ObjectCreated:Copy"}, "", "", "ObjectCreated:Put", "a", false},
		{[]string{"s3:ObjectRemoved:*"}, "", "", "ObjectRemoved:Delete", "a", true},
		{[]string{"s3:ObjectRemoved:Delete"}, "", "", "ObjectRemoved:Delete", "a", true},
		{[]string{"s3:ObjectCreated:Put", "s3:ObjectRemoved:*"}, "", "", "ObjectRemoved:Delete", "a", true},
		{[]string{"s3:ObjectCreated:*"}, "uploads/", "", "ObjectCreated:Put", "uploads/x.jpg", true},
		{[]string{"s3:ObjectCreated:*"}, "uploads/", "", "ObjectCreated:Put", "other/x.jpg", false},
		{[]string{"s3:ObjectCreated:*"}, "", ".jpg", "ObjectCreated:Put", "uploads/x.jpg", true},
		{[]string{"s3:ObjectCreated:*"}, "", ".jpg", "ObjectCreated:Put", "uploads/x.png", false},
		{[]string{"s3:ObjectCreated:*"}, "uploads/", ".jpg", "ObjectCreated:Put", "uploads/x.png", false},
		{[]string{"s3:ObjectCreated:*"}, "uploads/", ".jpg", "ObjectCreated:Put", "x/uploads/x.jpg", false},
		{nil, "", "", "ObjectCreated:Put", "a", false},
	} {
		n := Notification{Events: c.events, Prefix: c.prefix, Suffix: c.suffix}
		if got := n.Matches(c.event, c.key); got != c.want {
			t.Errorf("%v prefix %q suffix %q on %s %q: %v, want %v", c.events, c.prefix, c.suffix, c.event, c.key, got, c.want)
		}
	}
}

func TestEncodeKey(t *testing.T) {
	for key, want := range map[string]string{
		"plain.txt":         "plain.txt",
		"dir/a b.txt":       "dir/a+b.txt",
		"x=1&y=é":           "x%3D1%26y%3D%C3%A9",
		"photos/2024/a+b.j": "photos/2024/a%2Bb.j",
	} {
		if got := EncodeKey(key); got != want {
			t.Errorf("EncodeKey(%q) = %q, want %q", key, got, want)
		}
	}
}

// recorder keeps the invocations it is given.
type recorder struct {
	mu   sync.Mutex
	reqs []invoke.Request
}

func (r *recorder) Invoke(_ context.Context, req invoke.Request) (invoke.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	return invoke.Result{RequestID: "r"}, nil
}

// TestEventShape checks the record a function gets for a put and a
// delete, and that only matching notifications get one.
func TestEventShape(t *testing.T) {
	rec := &recorder{}
	s := newService(t, Options{Invoker: rec, Region: "eu-west-1"}, Config{ID: "Photos", Name: "photos", Notifications: []Notification{
		{ID: "ThumbnailUploads", Events: []string{"s3:ObjectCreated:*"}, Prefix: "in/", Suffix: ".jpg", Function: "thumb-fn"},
		{ID: "Removed", Events: []string{"s3:ObjectRemoved:*"}, Function: "audit-fn"},
	}})
	ctx := context.Background()
	for _, k := range []string{"in/a b.jpg", "in/a.png", "out/a.jpg"} {
		if _, err := s.Put(ctx, "photos", k, strings.NewReader("jpeg"), PutInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Delete(ctx, "Photos", "in/a.png"); err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) != 2 {
		t.Fatalf("%d invocations, want 2 (the .jpg under in/ and the delete): %+v", len(rec.reqs), rec.reqs)
	}
	put, del := rec.reqs[0], rec.reqs[1]
	if put.Function != "thumb-fn" || put.Type != invoke.Event || del.Function != "audit-fn" || del.Type != invoke.Event {
		t.Errorf("invocations %s/%s and %s/%s, want thumb-fn and audit-fn as Event", put.Function, put.Type, del.Function, del.Type)
	}
	// The shape, as a generic document: the field names AWS documents.
	var doc map[string]any
	if err := json.Unmarshal(put.Payload, &doc); err != nil {
		t.Fatal(err)
	}
	records := doc["Records"].([]any)
	if len(records) != 1 {
		t.Fatalf("%d records", len(records))
	}
	r := records[0].(map[string]any)
	for k, want := range map[string]any{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-1", "eventName": "ObjectCreated:Put"} {
		if r[k] != want {
			t.Errorf("%s = %v, want %v", k, r[k], want)
		}
	}
	if _, err := time.Parse(time.RFC3339, r["eventTime"].(string)); err != nil {
		t.Errorf("eventTime: %v", err)
	}
	for _, k := range []string{"userIdentity", "requestParameters", "responseElements"} {
		if _, ok := r[k].(map[string]any); !ok {
			t.Errorf("no %s object", k)
		}
	}
	s3 := r["s3"].(map[string]any)
	if s3["s3SchemaVersion"] != "1.0" || s3["configurationId"] != "ThumbnailUploads" {
		t.Errorf("s3: %v", s3)
	}
	bk := s3["bucket"].(map[string]any)
	if bk["name"] != "photos" || bk["arn"] != "arn:aws:s3:::photos" || bk["ownerIdentity"].(map[string]any)["principalId"] == "" {
		t.Errorf("bucket: %v", bk)
	}
	obj := s3["object"].(map[string]any)
	if obj["key"] != "in/a+b.jpg" || obj["size"] != float64(4) || obj["eTag"] != md5Hex([]byte("jpeg")) || obj["sequencer"] == "" {
		t.Errorf("object: %v", obj)
	}
	var ev Event
	json.Unmarshal(del.Payload, &ev)
	if o := ev.Records[0].S3.Object; ev.Records[0].EventName != "ObjectRemoved:Delete" || o.Key != "in/a.png" || o.Size != nil || o.ETag != "" {
		t.Errorf("delete record: %+v", ev.Records[0])
	}
}

// TestNotificationToQueue sends the records to a real queue.
func TestNotificationToQueue(t *testing.T) {
	b := bustest.Start(t, t.TempDir())
	defer b.Close()
	ctx := context.Background()
	qs := queue.New(b.JetStream(), queue.Options{})
	defer qs.Close()
	if err := qs.Apply(ctx, []queue.Config{{ID: "Uploads", VisibilityTimeout: time.Second}}); err != nil {
		t.Fatal(err)
	}
	s := New(b.JetStream(), Options{SendToQueue: func(ctx context.Context, q, body string) error {
		_, err := qs.Send(ctx, q, queue.SendInput{Body: body})
		return err
	}})
	defer s.Close()
	if err := s.Apply(ctx, []Config{{ID: "Files", Notifications: []Notification{{ID: "ToQueue", Events: []string{"s3:ObjectCreated:*"}, Suffix: ".csv", Queue: "arn:aws:sqs:us-east-1:123456789012:Uploads"}}}}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"report.csv", "report.txt"} {
		if _, err := s.Put(ctx, "Files", k, strings.NewReader("a,b"), PutInput{}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := qs.Receive(ctx, "Uploads", 10, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want the .csv only", len(msgs))
	}
	var ev Event
	if err := json.Unmarshal([]byte(msgs[0].Body), &ev); err != nil || len(ev.Records) != 1 {
		t.Fatalf("body %s: %v", msgs[0].Body, err)
	}
	if r := ev.Records[0]; r.S3.Object.Key != "report.csv" || r.S3.Bucket.Name != "files" || r.EventName != "ObjectCreated:Put" || r.S3.ConfigurationID != "ToQueue" {
		t.Errorf("record %+v", r)
	}
}

// TestReadWhileReplaced: a reader of an object replaced under it fails
// (its chunks are gone) instead of hanging or mixing contents.
func TestReadWhileReplaced(t *testing.T) {
	defer func(d time.Duration) { chunkWait = d }(chunkWait)
	chunkWait = time.Second
	s := newService(t, Options{}, Config{ID: "B"})
	ctx := context.Background()
	if _, err := s.Put(ctx, "B", "k", &pattern{left: 8 << 20}, PutInput{}); err != nil {
		t.Fatal(err)
	}
	r, _, err := s.Get(ctx, "B", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "B", "k", strings.NewReader("new"), PutInput{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n, err := io.Copy(io.Discard, r)
	if err == nil {
		t.Errorf("read %d more bytes of a replaced object without an error", n)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the reader took %s to fail", time.Since(start))
	}
	r2, obj, err := s.Get(ctx, "B", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if b, _ := io.ReadAll(r2); string(b) != "new" || obj.Size != 3 {
		t.Errorf("after the replace: %q %+v", b, obj)
	}
}
