package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/events"
	"github.com/stacklab/stacklab/internal/services/queue"
)

// TestEventsSurviveKill9 puts events, kills the platform with SIGKILL right
// after they were accepted, starts it again on the same state, and checks
// that every accepted event reaches its rule's queue.
func TestEventsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real processes")
	}
	bin := buildBinary(t)
	state := filepath.Join(t.TempDir(), ".stacklab")
	file := "testdata/events/template.yaml"
	up := startProcess(t, bin, state, file)

	var entries []string
	for i := range events.MaxEntries {
		entries = append(entries, fmt.Sprintf(`{"Source": "shop", "DetailType": "Order Placed", "EventBusName": "orders", "Detail": "{\"amount\": %d}"}`, 101+i))
	}
	list := filepath.Join(t.TempDir(), "entries.json")
	os.WriteFile(list, []byte("["+strings.Join(entries, ",")+"]"), 0o644)
	stdout, stderr, code := run("events", "put", "--state", state, "--entries", list, "--output", "json")
	var res events.PutResult
	if code != exitOK || json.Unmarshal([]byte(stdout), &res) != nil || res.FailedEntryCount != 0 {
		t.Fatalf("events put: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if err := up.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	up.Wait()
	os.Remove(filepath.Join(state, "endpoints.json")) // left by the killed process

	startProcess(t, bin, state, file)
	seen := map[string]bool{}
	waitFor(t, 90*time.Second, "every accepted event in Seen", func() bool {
		out, _, code := run("queue", "receive", "Seen", "--state", state, "--max", "10", "--delete", "--output", "json")
		var msgs []queue.Message
		if code == exitOK && json.Unmarshal([]byte(out), &msgs) == nil {
			for _, m := range msgs {
				var ev events.Event
				if json.Unmarshal([]byte(m.Body), &ev) == nil {
					seen[ev.ID] = true
				}
			}
		}
		return len(seen) >= len(res.Entries)
	})
	for _, e := range res.Entries {
		if !seen[e.EventID] {
			t.Errorf("event %s was accepted and never delivered", e.EventID)
		}
	}
}
