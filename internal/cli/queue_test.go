package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/queue"
)

// TestQueueEndToEnd runs a stack with a queue, its dead-letter queue and a
// function with an SQS event: a message sent with the CLI reaches the
// function, one the function reports as failed ends in the DLQ.
func TestQueueEndToEnd(t *testing.T) {
	_, state := startUp(t, "testdata/queue/template.yaml")

	stdout, stderr, code := run("queue", "send", "Jobs", "--state", state, "--body", "hello queue", "--attribute", "source=cli")
	if code != exitOK || !strings.Contains(stdout, "sent ") {
		t.Fatalf("queue send: exit %d\n%s\n%s", code, stdout, stderr)
	}
	waitFor(t, 30*time.Second, "the message in the function's log", func() bool {
		out, _, _ := run("logs", "Echo", "--state", state)
		return strings.Contains(out, "sqs message: hello queue")
	})

	// "bad" is reported in batchItemFailures on every delivery: after
	// maxReceiveCount (2) it is moved to the dead-letter queue.
	if _, stderr, code := run("queue", "send", "Jobs", "--state", state, "--body", "a bad message"); code != exitOK {
		t.Fatalf("queue send: exit %d: %s", code, stderr)
	}
	waitFor(t, 60*time.Second, "the bad message in the DLQ", func() bool {
		out, _, code := run("queue", "stats", "JobsDLQ", "--state", state, "--output", "json")
		var st queue.Stats
		return code == exitOK && json.Unmarshal([]byte(out), &st) == nil && st.Visible == 1
	})
	stdout, _, code = run("queue", "stats", "--state", state)
	for _, want := range []string{"QUEUE", "Jobs", "JobsDLQ"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("queue stats: exit %d, output lacks %q:\n%s", code, want, stdout)
		}
	}
	stdout, stderr, code = run("queue", "receive", "JobsDLQ", "--state", state, "--max", "10", "--delete", "--output", "json")
	var msgs []queue.Message
	if code != exitOK || json.Unmarshal([]byte(stdout), &msgs) != nil || len(msgs) != 1 || msgs[0].Body != "a bad message" {
		t.Fatalf("queue receive JobsDLQ: exit %d, %s %s; want the bad message", code, stdout, stderr)
	}
	if out, _, _ := run("logs", "Echo", "--state", state); strings.Count(out, "sqs message: a bad message") != 2 {
		t.Errorf("the bad message reached the function %d times, want 2:\n%s", strings.Count(out, "sqs message: a bad message"), out)
	}
	stdout, _, code = run("queue", "receive", "JobsDLQ", "--state", state)
	if code != exitOK || !strings.Contains(stdout, "no messages") {
		t.Errorf("receive after --delete: exit %d, %s", code, stdout)
	}

	// purge
	run("queue", "send", "JobsDLQ", "--state", state, "--body", "x")
	if stdout, stderr, code := run("queue", "receive", "JobsDLQ", "--state", state, "--wait", "10s"); code != exitOK || !strings.Contains(stdout, "(received 1 time)\n  x") {
		t.Errorf("queue receive: exit %d %q %s; want the message received 1 time", code, stdout, stderr)
	}
	if stdout, stderr, code := run("queue", "purge", "JobsDLQ", "--state", state); code != exitOK || !strings.Contains(stdout, "purged") {
		t.Errorf("purge: exit %d %s %s", code, stdout, stderr)
	}

	// Bad input.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"queue", "send", "Nope", "--body", "x"}, exitInvalid, "QueueDoesNotExist"},
		{[]string{"queue", "send", "Jobs"}, exitUsage, "--body"},
		{[]string{"queue", "send", "Jobs", "--body", "x", "--group", "g"}, exitInvalid, "FIFO"},
		{[]string{"queue", "receive", "Jobs", "--max", "11"}, exitUsage, "--max"},
		{[]string{"queue", "send", "Jobs", "--body", "x", "--attribute", "novalue"}, exitUsage, "NAME=VALUE"},
		{[]string{"queue", "stats", "Nope"}, exitInvalid, "QueueDoesNotExist"},
		{[]string{"queue", "send", "Jobs", "--body", "x", "--attribute", "AWS.source=cli"}, exitInvalid, `"AWS.source" starts with a prefix reserved for AWS`},
		{[]string{"queue", "send", "Jobs", "--body", "x", "--attribute", "a..b=1"}, exitInvalid, "successive dots"},
		{[]string{"queue", "send", "Jobs", "--body", "x", "--attribute", "n:Number=many"}, exitInvalid, `"many" is not a number`},
		{[]string{"queue", "send", "Jobs", "--body", "x", "--attribute", "n:Date=1"}, exitInvalid, "not String, Number or Binary"},
	} {
		_, stderr, code := run(append(c.args, "--state", state)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
