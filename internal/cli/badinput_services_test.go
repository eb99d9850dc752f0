package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/services/queue"
)

// TestEventServicesBadInput runs `stacklab up --max-object-size 1MiB` and
// gives its queue, bucket, topic and async invocations what they must
// refuse: each gets a clear error naming the place and the limit, and
// nothing of it is stored or processed, while what is within the limits
// is.
func TestEventServicesBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs real processes")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	state := filepath.Join(dir, ".stacklab")
	counts := filepath.Join(dir, "processed.log")
	tmpl, _ := filepath.Abs("testdata/killservices/template.yaml")
	startKillable(t, bin, state, tmpl, filepath.Join(dir, "up.log"), "--param", "CountFile="+counts, "--max-object-size", "1MiB")

	const limit = 1 << 20
	exact := filepath.Join(dir, "exact.bin")
	over := filepath.Join(dir, "over.bin")
	os.WriteFile(exact, bytes.Repeat([]byte("e"), limit), 0o600)
	os.WriteFile(over, bytes.Repeat([]byte("o"), limit+1), 0o600)
	tooBig := strings.Repeat("m", queue.MaxMessageSize+1)

	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"an object over --max-object-size", []string{"bucket", "put", "Uploads", "in/over.bin", over},
			[]string{"EntityTooLarge", "in/over.bin", "bucket Uploads", "1048576 bytes", "--max-object-size"}},
		{"a message over 256 KB", []string{"queue", "send", "Jobs", "--body", tooBig},
			[]string{"InvalidParameterValue", "262145 bytes", "262144 bytes"}},
		{"a message over the control API's 1 MiB", []string{"queue", "send", "Jobs", "--body", strings.Repeat("m", 2<<20)},
			[]string{"over 1048576 bytes", "262144 bytes"}},
		{"an async payload over 256 KB", []string{"invoke", "AsyncWorker", "--async", "--payload", `{"id":"` + tooBig + `"}`},
			[]string{"262144"}},
		{"an unknown queue", []string{"queue", "send", "Jobz", "--body", "x"},
			[]string{"QueueDoesNotExist", `"Jobz"`, "stacklab queue stats"}},
		{"an unknown bucket", []string{"bucket", "put", "Uplaods", "in/x", exact},
			[]string{"NoSuchBucket", `"Uplaods"`, "the stack's buckets: Uploads"}},
		{"an unknown topic", []string{"topic", "publish", "Alertz", "--message", "x"},
			[]string{"Alertz", "stacklab topic ls"}},
		{"a topic message over 256 KB", []string{"topic", "publish", "Alerts", "--message", tooBig},
			[]string{"InvalidParameter", "262144 bytes"}},
		{"a topic request over the control API's 1 MiB", []string{"topic", "publish", "Alerts", "--message", strings.Repeat("m", 2<<20)},
			[]string{"over 1048576 bytes", "262144 bytes"}},
	} {
		stdout, stderr, code := run(append(c.args, "--state", state)...)
		if code == exitOK {
			t.Errorf("%s: exit 0, want an error\n%s", c.name, stdout)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr does not say %q:\n%.600s", c.name, w, stderr)
			}
		}
	}

	// The gateway's plain HTTP PUT: refused whether the length is
	// announced (before reading) or not (while streaming).
	ep, err := server.State{Dir: state}.ReadEndpoints()
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []io.Reader{bytes.NewReader(make([]byte, limit+1)), io.MultiReader(bytes.NewReader(make([]byte, limit+1)))} {
		req, _ := http.NewRequest(http.MethodPut, ep.Gateway+"/_s3/uploads/in/gateway-over.bin", body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("PUT over the limit on the gateway (Content-Length %d): %v", req.ContentLength, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "EntityTooLarge") {
			t.Errorf("PUT over the limit on the gateway (Content-Length %d): %d %s, want 400 EntityTooLarge", req.ContentLength, resp.StatusCode, b)
		}
	}

	// What is within the limits is stored and processed; nothing refused
	// was.
	if _, stderr, code := run("bucket", "put", "Uploads", "in/exact.bin", exact, "--state", state); code != exitOK {
		t.Fatalf("bucket put of exactly --max-object-size: exit %d: %s", code, stderr)
	}
	if _, stderr, code := run("queue", "send", "Jobs", "--body", strings.Repeat("m", queue.MaxMessageSize-64), "--state", state); code != exitOK {
		t.Fatalf("queue send just under 256 KB: exit %d: %s", code, stderr)
	}
	waitFor(t, time.Minute, "the object and the message within the limits processed", func() bool {
		got := readCounts(t, counts)
		return got["in/exact.bin"] == 1 && got[strings.Repeat("m", queue.MaxMessageSize-64)] == 1
	})
	stdout, stderr, code := run("bucket", "ls", "Uploads", "--state", state, "--output", "json")
	var objs []struct{ Key string }
	if code != exitOK || json.Unmarshal([]byte(stdout), &objs) != nil || len(objs) != 1 || objs[0].Key != "in/exact.bin" {
		t.Errorf("bucket ls: exit %d %s %s; want only in/exact.bin", code, stdout, stderr)
	}
	waitFor(t, 30*time.Second, "queue Jobs empty", func() bool {
		st, err := queueStats(state)
		return err == nil && st.Visible+st.InFlight+st.Delayed == 0
	})
	if got := readCounts(t, counts); len(got) != 2 {
		t.Errorf("the functions processed %d items, want the 2 within the limits", len(got))
	}
}
