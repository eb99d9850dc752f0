package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/services/topic"
)

// TestTopicEndToEnd runs a stack with a topic, a function subscribed with
// a filter policy and a queue subscribed twice (envelope, and raw with a
// filter): messages published with the CLI reach what they match.
func TestTopicEndToEnd(t *testing.T) {
	_, state := startUp(t, "testdata/topic/template.yaml")

	stdout, stderr, code := run("topic", "publish", "Orders", "--state", state, "--message", "hello topic", "--subject", "greeting",
		"--attribute", "kind=order", "--attribute", "total:Number=250", "--output", "json")
	var res topic.PublishOutput
	if code != exitOK || json.Unmarshal([]byte(stdout), &res) != nil || res.MessageID == "" {
		t.Fatalf("topic publish: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if stdout, stderr, code := run("topic", "publish", "Orders", "--state", state, "--message", "not for echo", "--attribute", "kind=refund"); code != exitOK || !strings.Contains(stdout, "published ") {
		t.Fatalf("topic publish: exit %d\n%s\n%s", code, stdout, stderr)
	}
	waitFor(t, 30*time.Second, "the message in the function's log", func() bool {
		out, _, _ := run("logs", "Echo", "--state", state)
		return strings.Contains(out, "sns message: hello topic")
	})

	// Copies gets both envelopes and the big order raw.
	var bodies []string
	waitFor(t, 20*time.Second, "three messages in Copies", func() bool {
		out, _, code := run("queue", "receive", "Copies", "--state", state, "--max", "10", "--delete", "--output", "json")
		var msgs []queue.Message
		if code == exitOK && json.Unmarshal([]byte(out), &msgs) == nil {
			for _, m := range msgs {
				var env topic.Envelope
				if json.Unmarshal([]byte(m.Body), &env) == nil && env.Type == "Notification" {
					bodies = append(bodies, "envelope: "+env.Message)
				} else {
					bodies = append(bodies, "raw: "+m.Body)
				}
			}
		}
		return len(bodies) >= 3
	})
	slices.Sort(bodies)
	if want := []string{"envelope: hello topic", "envelope: not for echo", "raw: hello topic"}; !slices.Equal(bodies, want) {
		t.Errorf("Copies got %q, want %q", bodies, want)
	}
	if out, _, _ := run("logs", "Echo", "--state", state); strings.Contains(out, "not for echo") {
		t.Errorf("the refund passed the function's filter policy:\n%s", out)
	}

	stdout, _, code = run("topic", "ls", "--state", state)
	for _, want := range []string{"TOPIC", "Orders", "Echo.Orders", "sqs (raw)", "Copies", `{"kind":["order"]}`} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("topic ls: exit %d, output lacks %q:\n%s", code, want, stdout)
		}
	}
	stdout, _, code = run("topic", "ls", "--state", state, "--output", "json")
	var list []platform.TopicInfo
	if code != exitOK || json.Unmarshal([]byte(stdout), &list) != nil || len(list) != 1 || len(list[0].Subscriptions) != 3 ||
		!strings.HasPrefix(list[0].ARN, "arn:aws:sns:") {
		t.Errorf("topic ls --output json: exit %d, %s", code, stdout)
	}

	// Bad input.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"topic", "publish", "Nope", "--message", "x"}, exitInvalid, "topic does not exist"},
		{[]string{"topic", "publish", "Orders"}, exitUsage, "--message"},
		{[]string{"topic", "publish", "Orders", "--message", "x", "--attribute", "novalue"}, exitUsage, "NAME=VALUE"},
		{[]string{"topic", "publish", "Orders", "--message", "x", "--attribute", "n:Number=many"}, exitInvalid, "not a number"},
		{[]string{"topic", "ls", "extra"}, exitUsage, "no arguments"},
		{[]string{"topic", "publish", "Orders", "--message", "x", "--attribute", "tags:String.Array=a,b"}, exitInvalid, "not a JSON array"},
		{[]string{"topic", "publish", "Orders", "--message", "x", "--attribute", "Amazon.kind=order"}, exitInvalid, "reserved for AWS"},
	} {
		_, stderr, code := run(append(c.args, "--state", state)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// TestFilterText: topic ls writes a filter policy as JSON without HTML
// escapes, so a numeric condition reads [">", 100], not ["\u003e", 100].
func TestFilterText(t *testing.T) {
	var fp any
	if err := json.Unmarshal([]byte(`{"kind": ["alert"], "total": [{"numeric": [">", 100, "<=", 1e3]}], "s": ["a&b<c"]}`), &fp); err != nil {
		t.Fatal(err)
	}
	if got, want := filterText(fp), `{"kind":["alert"],"s":["a&b<c"],"total":[{"numeric":[">",100,"<=",1000]}]}`; got != want {
		t.Errorf("filterText = %s, want %s", got, want)
	}
	if got := filterText(nil); got != "-" {
		t.Errorf("filterText(nil) = %q, want -", got)
	}
}
