package cli

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/services/table"
)

// decodeStrict decodes exactly one JSON value with only the fields of v.
func decodeStrict(t *testing.T, what, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s --output json: %v\n%s", what, err, out)
	}
	if dec.More() {
		t.Fatalf("%s --output json printed more than one value:\n%s", what, out)
	}
}

// TestTableAndQueueOutputJSON: table put, table get and queue purge print
// what they did as JSON with --output json, and keep their text otherwise.
func TestTableAndQueueOutputJSON(t *testing.T) {
	_, state := startUp(t, "testdata/output/template.yaml")

	stdout, stderr, code := run("table", "put", "Users", `{"id":{"S":"u1"},"age":{"N":"42"}}`, "--state", state, "--output", "json")
	var put struct {
		Table string `json:"table"`
		Put   bool   `json:"put"`
	}
	if code != exitOK {
		t.Fatalf("table put --output json: exit %d %s", code, stderr)
	}
	if decodeStrict(t, "table put", stdout, &put); put.Table != "Users" || !put.Put {
		t.Errorf("table put --output json = %+v, want table Users, put true", put)
	}
	if stdout, _, _ := run("table", "put", "Users", `{"id":{"S":"u2"}}`, "--state", state); stdout != "put an item in Users\n" {
		t.Errorf("table put prints %q as text", stdout)
	}

	var got table.Item
	stdout, stderr, code = run("table", "get", "Users", `{"id":{"S":"u1"}}`, "--state", state, "-O", "json")
	if code != exitOK {
		t.Fatalf("table get --output json: exit %d %s", code, stderr)
	}
	if decodeStrict(t, "table get", stdout, &got); got["id"]["S"] != "u1" || got["age"]["N"] != "42" || len(got) != 2 {
		t.Errorf("table get --output json = %v", got)
	}
	if _, stderr, code := run("table", "get", "Users", `{"id":{"S":"nobody"}}`, "--state", state, "--output", "json"); code != exitInvalid || stderr == "" {
		t.Errorf("table get --output json of a missing item: exit %d, stderr %q; want 1 and the error", code, stderr)
	}

	for _, body := range []string{"a", "b"} {
		if _, stderr, code := run("queue", "send", "Jobs", "--body", body, "--state", state); code != exitOK {
			t.Fatalf("queue send: exit %d %s", code, stderr)
		}
	}
	stdout, stderr, code = run("queue", "purge", "Jobs", "--state", state, "--output", "json")
	var purged struct {
		Queue  string `json:"queue"`
		Purged bool   `json:"purged"`
	}
	if code != exitOK {
		t.Fatalf("queue purge --output json: exit %d %s", code, stderr)
	}
	if decodeStrict(t, "queue purge", stdout, &purged); purged.Queue != "Jobs" || !purged.Purged {
		t.Errorf("queue purge --output json = %+v", purged)
	}
	out, _, _ := run("queue", "stats", "Jobs", "--state", state, "--output", "json")
	var st queue.Stats
	if json.Unmarshal([]byte(out), &st) != nil || st.Visible != 0 {
		t.Errorf("Jobs after the purge: %s", out)
	}
	if stdout, _, _ := run("queue", "purge", "Jobs", "--state", state); stdout != "purged Jobs\n" {
		t.Errorf("queue purge prints %q as text", stdout)
	}
	if _, stderr, code := run("queue", "purge", "Nope", "--state", state, "--output", "json"); code != exitInvalid || !strings.Contains(stderr, "QueueDoesNotExist") {
		t.Errorf("queue purge --output json of an unknown queue: exit %d, stderr %q", code, stderr)
	}
}

// TestVersionOutputJSON: version --output json gives the version the text
// names, and the Go version, OS and architecture of the binary.
func TestVersionOutputJSON(t *testing.T) {
	text, _, _ := run("version")
	stdout, stderr, code := run("version", "--output", "json")
	if code != exitOK || stderr != "" {
		t.Fatalf("version --output json: exit %d, stderr %q", code, stderr)
	}
	var v versionInfo
	decodeStrict(t, "version", stdout, &v)
	if "stacklab "+v.Version+"\n" != text || v.Go != runtime.Version() || v.OS != runtime.GOOS || v.Arch != runtime.GOARCH {
		t.Errorf("version --output json = %+v; the text says %q", v, text)
	}
	if _, _, code := run("version", "--output", "yaml"); code != exitUsage {
		t.Errorf("version --output yaml: exit %d, want 2", code)
	}
}
