package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/services/schedule"
	"github.com/stacklab/stacklab/internal/syncbuf"
)

// startNATS runs a NATS server with JetStream that listens on a random
// port, as an external server `up --nats` connects to, and returns its URL.
func startNATS(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Start(ctx, bus.Options{Dir: filepath.Join(t.TempDir(), "nats"), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatalf("starting NATS: %v", err)
	}
	t.Cleanup(b.Close)
	return b.ClientURL()
}

// startSharedUp runs `stacklab up` in-process on random ports with these
// platform options, and returns its endpoints and what it wrote to stderr
// until it was ready; it stops at the end of the test.
func startSharedUp(t *testing.T, file string, opts platform.Options) (server.Endpoints, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan server.Endpoints, 1)
	done := make(chan error, 1)
	var stdout bytes.Buffer
	var stderr syncbuf.Buffer // deployments followed are told while it runs
	go func() {
		done <- runUp(ctx, &stdout, &stderr, upConfig{file: file, state: opts.StateDir, listen: "127.0.0.1:0", control: "127.0.0.1:0", platform: opts, ready: ready})
	}()
	select {
	case ep := <-ready:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("up with state %s returned %v", opts.StateDir, err)
			}
		})
		if !strings.Contains(stdout.String(), "NATS JetStream at "+opts.BusURL+", shared") {
			t.Errorf("up does not say it uses the NATS server at %s:\n%s", opts.BusURL, &stdout)
		}
		return ep, stderr.String()
	case err := <-done:
		cancel()
		t.Fatalf("up ended: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	case <-time.After(2 * time.Minute):
		cancel()
		t.Fatal("up did not become ready in 2 minutes")
	}
	return server.Endpoints{}, ""
}

// ticksRun counts, by tick time, the "tick: TIME" lines the ticker function
// printed in the platform with this state.
func ticksRun(t *testing.T, state string, into map[string]int) int {
	t.Helper()
	stdout, stderr, code := run("logs", "ticker", "--state", state, "--output", "json")
	if code != exitOK {
		t.Fatalf("logs --state %s: exit %d %s", state, code, stderr)
	}
	n := 0
	for _, line := range strings.Split(stdout, "\n") {
		var l struct{ Text string }
		if json.Unmarshal([]byte(line), &l) == nil {
			if at, ok := strings.CutPrefix(l.Text, "tick: "); ok {
				into[at]++
				n++
			}
		}
	}
	return n
}

// TestSharedNATSFiresEachTickOnce runs two `up` platforms, each with its
// own state and ports, against one external NATS server; the second resumes
// the deployment the first recorded there. Both schedulers wait on the same
// clock, which is moved through 20 minutes of a rate(1 minute) schedule:
// every tick runs the function exactly once across the two.
func TestSharedNATSFiresEachTickOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs functions")
	}
	url := startNATS(t)
	clock := schedule.NewManualClock(time.Date(2026, 11, 22, 9, 59, 30, 0, time.UTC))
	dir := t.TempDir()
	stateA, stateB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	file, _ := filepath.Abs("testdata/shared/template.yaml")
	startSharedUp(t, file, platform.Options{StateDir: stateA, BusURL: url, Clock: clock})
	_, stderrB := startSharedUp(t, "", platform.Options{StateDir: stateB, BusURL: url, Clock: clock})
	if !strings.Contains(stderrB, "resuming deployment 1") {
		t.Errorf("the second platform did not resume the shared deployment:\n%s", stderrB)
	}
	// Both schedulers wait for the next tick: neither is idle.
	waitFor(t, time.Minute, "both schedulers to wait for a tick", func() bool { return clock.Pending() == 2 })
	const ticks = 20
	for range ticks { // 10:00 to 10:19
		clock.Advance(time.Minute)
		// Both have claimed (or lost) the tick and accepted its event.
		waitFor(t, time.Minute, "both schedulers to wait again", func() bool { return clock.Pending() == 2 })
	}
	// Every accepted event has run when the async work queue is empty.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := bus.Start(ctx, bus.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	waitFor(t, time.Minute, "the async events to run", func() bool {
		st, err := client.JetStream().Stream(ctx, "STACKLAB_ASYNC")
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		return err == nil && info.State.Msgs == 0
	})
	seen := map[string]int{}
	waitFor(t, time.Minute, "the ticks in the logs", func() bool {
		clear(seen)
		return ticksRun(t, stateA, seen)+ticksRun(t, stateB, seen) >= ticks
	})
	total := 0
	for at, n := range seen {
		total += n
		if n != 1 {
			t.Errorf("tick %s ran %d times, want once", at, n)
		}
	}
	for i := range ticks {
		at := time.Date(2026, 11, 22, 10, i, 0, 0, time.UTC).Format(time.RFC3339)
		if seen[at] == 0 {
			t.Errorf("tick %s did not run", at)
		}
	}
	if total != ticks || len(seen) != ticks {
		t.Errorf("%d runs of %d distinct ticks, want %d of %d: %v", total, len(seen), ticks, ticks, seen)
	}
}

// TestUpNATSFlag checks --nats: a URL that is not NATS's is a usage error,
// and up connects to the server it names rather than embedding one, so a
// server that is not there, or runs without JetStream, fails it with an
// error that says how to start one.
func TestUpNATSFlag(t *testing.T) {
	state := filepath.Join(t.TempDir(), ".stacklab")
	up := func(nats string) (string, int) {
		_, stderr, code := run("up", "testdata/shared/template.yaml", "--state", state, "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--no-sandbox", "--nats", nats)
		return stderr, code
	}
	for _, bad := range []string{"http://127.0.0.1:4222", "nats://", "nats://127.0.0.1:4222,"} {
		if stderr, code := up(bad); code != exitUsage || !strings.Contains(stderr, "--nats") || !strings.Contains(stderr, "nats://host:4222") {
			t.Errorf("--nats %s: exit %d, stderr %q; want 2 and how to write the URL", bad, code, stderr)
		}
	}
	// Nothing listens on a port just closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "nats://" + ln.Addr().String()
	ln.Close()
	if stderr, code := up(closed); code != exitInvalid || !strings.Contains(stderr, "connecting to NATS at "+closed) || !strings.Contains(stderr, "nats-server -js") {
		t.Errorf("--nats with no server there: exit %d, stderr %q", code, stderr)
	}
	// A NATS server without JetStream.
	srv, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(30 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	if stderr, code := up(srv.ClientURL()); code != exitInvalid || !strings.Contains(stderr, "JetStream disabled") || !strings.Contains(stderr, "nats-server -js") {
		t.Errorf("--nats to a server without JetStream: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(state, "nats")); err == nil {
		t.Error("up with --nats made an embedded store under the state directory")
	}
}

// TestTwoUpProcessesShareNATS runs two real `stacklab up --nats` processes
// on one machine, each with its own state and ports: the second, given no
// template, runs the deployment the first recorded in the shared NATS,
// answers invocations, and runs the deployment made through the first.
func TestTwoUpProcessesShareNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs real processes")
	}
	url := startNATS(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	stateA, stateB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	startNATSProcess(t, bin, stateA, url, "testdata/shared/template.yaml")
	stderrB := startNATSProcess(t, bin, stateB, url, "")
	if !strings.Contains(stderrB.String(), "resuming deployment 1") {
		t.Errorf("the second process did not resume the shared deployment:\n%s", stderrB)
	}
	if stdout, _, code := run("ls", "--state", stateB); code != exitOK || !strings.Contains(stdout, "ticker") {
		t.Errorf("ls of the second process: exit %d\n%s", code, stdout)
	}
	if _, stderr, code := run("invoke", "ticker", "--state", stateB, "--payload", `{"time":"by hand"}`); code != exitOK {
		t.Fatalf("invoke through the second process: exit %d %s", code, stderr)
	}
	seen := map[string]int{}
	if ticksRun(t, stateB, seen); seen["by hand"] != 1 {
		t.Errorf("the second process's logs: %v, want the invocation", seen)
	}
	// A deploy through the first process is run by the second.
	if _, stderr, code := run("deploy", "testdata/shared/template2.yaml", "--state", stateA); code != exitOK {
		t.Fatalf("deploy through the first process: exit %d %s", code, stderr)
	}
	waitFor(t, time.Minute, "the second process to run deployment 2", func() bool {
		return strings.Contains(stderrB.String(), "running deployment 2")
	})
	if _, stderr, code := run("invoke", "tocker", "--state", stateB, "--payload", `{"time":"tock"}`); code != exitOK {
		t.Errorf("invoke of the function deployment 2 added, through the second process: exit %d %s", code, stderr)
	}
	if stdout, _, code := run("deployments", "--state", stateB); code != exitOK || !strings.Contains(stdout, "deployed") {
		t.Errorf("deployments through the second process: exit %d\n%s", code, stdout)
	}
	var a, b server.Endpoints
	for st, ep := range map[string]*server.Endpoints{stateA: &a, stateB: &b} {
		raw, _ := os.ReadFile(filepath.Join(st, "endpoints.json"))
		json.Unmarshal(raw, ep)
	}
	if a.PID == 0 || a.PID == b.PID || a.Gateway == b.Gateway || a.Control == b.Control {
		t.Errorf("the two processes' endpoints: %+v and %+v, want two processes on their own ports", a, b)
	}
}

// startNATSProcess runs `stacklab up --nats URL` as a real process, waits
// until it serves, and returns its stderr, still being written.
func startNATSProcess(t *testing.T, bin, state, url, file string) *syncbuf.Buffer {
	t.Helper()
	args := []string{"up", "--state", state, "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--no-sandbox", "--nats", url}
	if file != "" {
		args = append(args, file)
	}
	cmd := exec.Command(bin, args...)
	out, _ := cmd.StdoutPipe()
	stderr := new(syncbuf.Buffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "Ctrl-C stops") {
			go func() {
				for sc.Scan() {
				}
			}()
			return stderr
		}
	}
	t.Fatalf("stacklab up --nats did not start:\n%s", stderr.String())
	return nil
}
