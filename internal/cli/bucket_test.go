package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/bucket"
)

// TestBucketEndToEnd runs a stack with a bucket and a function with an S3
// event on keys under in/: an object put and removed with the CLI reaches
// the function, each in the trace the CLI names, and get, ls and rm work on
// it.
func TestBucketEndToEnd(t *testing.T) {
	ep, state := startUp(t, "testdata/bucket/template.yaml")
	dir := t.TempDir()
	src := filepath.Join(dir, "hello.txt")
	if err := os.WriteFile(src, []byte("hello bucket\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, code := run("bucket", "put", "Uploads", "in/hello world.txt", src, "--state", state, "--metadata", "owner=cli")
	if code != exitOK || !strings.Contains(stdout, "put in/hello world.txt in Uploads (13 bytes") {
		t.Fatalf("bucket put: exit %d\n%s\n%s", code, stdout, stderr)
	}
	waitFor(t, 30*time.Second, "the key in the function's log", func() bool {
		out, _, _ := run("logs", "Echo", "--state", state)
		return strings.Contains(out, "s3 object: ObjectCreated:Put uploads in/hello+world.txt")
	})
	// The put's trace, named on stderr, holds the put and the function's
	// invocation it caused.
	traceLine := regexp.MustCompile(`(?m)^trace ([0-9a-f]{32}) \(stacklab trace ([0-9a-f]{32})\)$`)
	m := traceLine.FindStringSubmatch(stderr)
	if m == nil || m[1] != m[2] {
		t.Fatalf("bucket put: stderr names no trace: %q", stderr)
	}
	waitFor(t, 30*time.Second, "the put's trace with the invocation", func() bool {
		out, _, code := run("trace", m[1], "--state", state)
		return code == exitOK && strings.Contains(out, "PutObject [Uploads]") && strings.Contains(out, "Echo")
	})
	// Outside the prefix filter: stored, but no event.
	stdout, stderr, code = run("bucket", "put", "Uploads", "other/x.bin", src, "--state", state, "--output", "json")
	var put struct {
		bucket.Object
		TraceID string `json:"traceId"`
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &put) != nil || put.Key != "other/x.bin" || len(put.TraceID) != 32 || put.TraceID == m[1] {
		t.Fatalf("bucket put other/x.bin --output json: exit %d: %s %s", code, stdout, stderr)
	}

	stdout, stderr, code = run("bucket", "get", "Uploads", "in/hello world.txt", "--state", state)
	if code != exitOK || stdout != "hello bucket\n" {
		t.Errorf("bucket get: exit %d %q %s", code, stdout, stderr)
	}
	out := filepath.Join(dir, "copy.txt")
	if _, stderr, code := run("bucket", "get", "Uploads", "in/hello world.txt", "-o", out, "--state", state); code != exitOK {
		t.Errorf("bucket get -o: exit %d %s", code, stderr)
	} else if b, _ := os.ReadFile(out); string(b) != "hello bucket\n" {
		t.Errorf("bucket get -o wrote %q", b)
	}

	stdout, _, code = run("bucket", "ls", "Uploads", "--state", state)
	for _, want := range []string{"KEY", "in/hello world.txt", "other/x.bin", "text/plain"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("bucket ls: exit %d, output lacks %q:\n%s", code, want, stdout)
		}
	}
	stdout, stderr, code = run("bucket", "ls", "Uploads", "in/", "--state", state, "--output", "json")
	var list []bucket.Object
	if code != exitOK || json.Unmarshal([]byte(stdout), &list) != nil || len(list) != 1 || list[0].Key != "in/hello world.txt" ||
		list[0].Size != 13 || list[0].Metadata["owner"] != "cli" || len(list[0].ETag) != 32 {
		t.Errorf("bucket ls in/ --output json: exit %d %s %s", code, stdout, stderr)
	}

	// A removal starts a trace too, named on stderr as a put's.
	stdout, stderr, code = run("bucket", "rm", "Uploads", "other/x.bin", "--state", state)
	if code != exitOK || !strings.Contains(stdout, "removed") {
		t.Errorf("bucket rm: exit %d %s %s", code, stdout, stderr)
	}
	if rmTrace := traceLine.FindStringSubmatch(stderr); rmTrace == nil || rmTrace[1] != rmTrace[2] || rmTrace[1] == m[1] || rmTrace[1] == put.TraceID {
		t.Errorf("bucket rm: stderr names no trace of its own: %q", stderr)
	}
	stdout, stderr, code = run("bucket", "rm", "Uploads", "in/hello world.txt", "--state", state, "--output", "json")
	var rm struct {
		Deleted bool
		Key     string
		Time    time.Time
		TraceID string
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &rm) != nil || !rm.Deleted || rm.Key != "in/hello world.txt" || rm.Time.IsZero() || len(rm.TraceID) != 32 {
		t.Errorf("bucket rm --output json: exit %d %s %s", code, stdout, stderr)
	}
	// Its trace holds the removal and the invocation its ObjectRemoved
	// notification caused.
	waitFor(t, 30*time.Second, "the removal in the function's log", func() bool {
		out, _, _ := run("logs", "Echo", "--state", state)
		return strings.Contains(out, "s3 object: ObjectRemoved:Delete uploads in/hello+world.txt")
	})
	if len(rm.TraceID) == 32 {
		waitFor(t, 30*time.Second, "the removal's trace with the invocation", func() bool {
			out, _, code := run("trace", rm.TraceID, "--state", state)
			return code == exitOK && strings.Contains(out, "DeleteObject [Uploads]") && strings.Contains(out, "Echo")
		})
	}
	stdout, _, _ = run("bucket", "ls", "Uploads", "--state", state)
	if strings.Contains(stdout, "other/x.bin") {
		t.Errorf("removed object still listed:\n%s", stdout)
	}

	// Plain HTTP on the gateway, path style.
	req, _ := http.NewRequest(http.MethodPut, ep.Gateway+"/_s3/uploads/in/web.txt", strings.NewReader("from the web"))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT on the gateway: %v %v", err, resp)
	}
	resp.Body.Close()
	if tp := resp.Header.Get("traceparent"); !strings.HasPrefix(tp, "00-") {
		t.Errorf("PUT on the gateway: traceparent %q, want the put's span", tp)
	} else if _, stderr, code := run("trace", tp[3:35], "--state", state); code != exitOK {
		t.Errorf("the trace of the gateway's put, %s: exit %d %s", tp[3:35], code, stderr)
	}
	waitFor(t, 30*time.Second, "the gateway put in the function's log", func() bool {
		out, _, _ := run("logs", "Echo", "--state", state)
		return strings.Contains(out, "s3 object: ObjectCreated:Put uploads in/web.txt")
	})
	resp, err = http.Get(ep.Gateway + "/_s3/Uploads/in/web.txt")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "from the web" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("GET on the gateway: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp, err := http.Get(ep.Gateway + "/echo/x"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the API route next to the objects: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bucket", "put", "Nope", "k", src}, exitInvalid, "NoSuchBucket"},
		{[]string{"bucket", "get", "Uploads", "missing"}, exitInvalid, "NoSuchKey"},
		{[]string{"bucket", "rm", "Uploads", "missing"}, exitInvalid, "NoSuchKey"},
		{[]string{"bucket", "put", "Uploads"}, exitUsage, "BUCKET KEY"},
		{[]string{"bucket", "put", "Uploads", "k", src, "--metadata", "novalue"}, exitUsage, "NAME=VALUE"},
		{[]string{"bucket", "ls"}, exitUsage, "BUCKET"},
	} {
		_, stderr, code := run(append(c.args, "--state", state)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
