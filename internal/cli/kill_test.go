package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/server"
)

// buildBinary builds the stacklab binary once for the tests that need real
// processes.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "stacklab")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/stacklab")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building stacklab: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs `stacklab up` as a real process and waits until it
// serves.
func startProcess(t *testing.T, bin, state, file string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "up", file, "--state", state, "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--no-sandbox")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(2 * time.Minute)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "Ctrl-C stops") {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd
		}
		if time.Now().After(deadline) {
			break
		}
	}
	t.Fatal("stacklab up did not start")
	return nil
}

// TestAsyncSurvivesKill9 accepts async events, kills the platform with
// SIGKILL while they wait or run, starts it again on the same state, and
// checks that every accepted event runs.
func TestAsyncSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real processes")
	}
	bin := buildBinary(t)
	state := filepath.Join(t.TempDir(), ".stacklab")
	file := "testdata/async/template.yaml"
	up := startProcess(t, bin, state, file)

	const events = 3
	for i := range events {
		payload := fmt.Sprintf(`{"sleep_ms":1500,"print":"event-%d"}`, i)
		_, stderr, code := run("invoke", "Slow", "--state", state, "--async", "--payload", payload)
		if code != exitOK || !strings.Contains(stderr, "accepted") {
			t.Fatalf("async invoke %d: exit %d %s", i, code, stderr)
		}
	}
	// One event runs (reserved concurrency 1), the others wait: kill now.
	if err := up.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	up.Wait()
	os.Remove(filepath.Join(state, "endpoints.json")) // left by the killed process

	startProcess(t, bin, state, file)
	seen := map[string]bool{}
	deadline := time.Now().Add(90 * time.Second)
	for len(seen) < events {
		if time.Now().After(deadline) {
			t.Fatalf("after the restart only these events ran: %v", seen)
		}
		stdout, _, _ := run("logs", "Slow", "--state", state, "--output", "json")
		for _, line := range strings.Split(stdout, "\n") {
			var l struct{ Text string }
			if json.Unmarshal([]byte(line), &l) == nil && strings.HasPrefix(l.Text, "event-") {
				seen[l.Text] = true
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	var ep server.Endpoints
	b, _ := os.ReadFile(filepath.Join(state, "endpoints.json"))
	json.Unmarshal(b, &ep)
	if ep.PID == 0 {
		t.Error("the restarted platform wrote no endpoints")
	}
}
