package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/table"
)

// TestTableEndToEnd puts, gets and scans items with the CLI and finds the
// stream records in the log of the function reading the table's stream.
func TestTableEndToEnd(t *testing.T) {
	_, state := startUp(t, "testdata/table/template.yaml")

	for _, it := range []string{`{"id":{"S":"u1"},"age":{"N":"41"}}`, `{"id":{"S":"u1"},"age":{"N":"42"}}`, `{"id":{"S":"u2"}}`} {
		if stdout, stderr, code := run("table", "put", "users", it, "--state", state); code != exitOK || !strings.Contains(stdout, "put an item") {
			t.Fatalf("table put %s: exit %d\n%s\n%s", it, code, stdout, stderr)
		}
	}
	stdout, stderr, code := run("table", "get", "Users", `{"id":{"S":"u1"}}`, "--state", state)
	var got table.Item
	if code != exitOK || json.Unmarshal([]byte(stdout), &got) != nil || got["age"]["N"] != "42" {
		t.Fatalf("table get: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if stdout, stderr, code := run("table", "get", "Users", `{"id":{"S":"nobody"}}`, "--state", state); code != exitInvalid || stdout != "" ||
		stderr != "stacklab: no item with key {\"id\":{\"S\":\"nobody\"}} in table Users\n" {
		t.Errorf("table get of a missing item: exit %d, stdout %q, stderr %q; want exit 1 and only the message on stderr", code, stdout, stderr)
	}
	if stdout, stderr, code := run("table", "get", "Nope", `{"id":{"S":"u1"}}`, "--state", state); code != exitInvalid || stdout != "" ||
		!strings.Contains(stderr, "table does not exist: Nope; the stack's tables are Users (users)") {
		t.Errorf("table get of a missing table: exit %d, stdout %q, stderr %q; want exit 1 naming the tables", code, stdout, stderr)
	}
	if _, stderr, code := run("table", "put", "Users", `{"age":{"N":"1"}}`, "--state", state); code == exitOK || !strings.Contains(stderr, `"id" is missing`) {
		t.Errorf("table put without the key: exit %d\n%s", code, stderr)
	}
	if _, _, code := run("table", "put", "Users", `not json`, "--state", state); code != exitUsage {
		t.Errorf("table put of bad JSON: exit %d, want %d", code, exitUsage)
	}
	stdout, stderr, code = run("table", "scan", "Users", "--state", state, "--output", "json")
	var items []table.Item
	if code != exitOK || json.Unmarshal([]byte(stdout), &items) != nil || len(items) != 2 {
		t.Fatalf("table scan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	waitFor(t, 30*time.Second, "three stream records in the function's log", func() bool {
		out, _, _ := run("logs", "Echo", "--state", state)
		return strings.Count(out, "dynamodb record: ") >= 3
	})
	out, _, _ := run("logs", "Echo", "--state", state)
	i, m := strings.Index(out, "dynamodb record: INSERT {\"id\":{\"S\":\"u1\"}}"), strings.Index(out, "dynamodb record: MODIFY {\"id\":{\"S\":\"u1\"}}")
	if i < 0 || m < i {
		t.Errorf("want INSERT then MODIFY of u1 in the log:\n%s", out)
	}
}
