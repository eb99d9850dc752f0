package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/queue"
)

// TestMessageBodyFile sends and publishes bodies read with --body-file,
// from files and standard input, larger than a command line holds: each
// arrives byte for byte; a file over 256 KiB, not UTF-8 or missing, or
// given with --body too, is refused with an error naming the flag.
func TestMessageBodyFile(t *testing.T) {
	_, state := startUp(t, "testdata/topic/template.yaml")
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// 135 KB: more than one argument may be (128 KiB on Linux), kept as
	// it is, with its non-ASCII text and final newline.
	big := strings.Repeat(`{"line":"Grüße, 世界"}`+"\n", 5000) // 135,000 bytes
	exact := strings.Repeat("e", queue.MaxMessageSize)
	bigFile, exactFile := write("big.json", []byte(big)), write("exact.txt", []byte(exact))
	overFile := write("over.txt", bytes.Repeat([]byte("o"), queue.MaxMessageSize+1))
	binFile := write("bin.dat", []byte{0xff, 0xfe, 0x00, 'x'})

	receive := func(n int) map[string]bool {
		got := map[string]bool{}
		waitFor(t, 30*time.Second, "the messages in Copies", func() bool {
			out, stderr, code := run("queue", "receive", "Copies", "--state", state, "--max", "10", "--delete", "--output", "json")
			var msgs []queue.Message
			if code != exitOK || json.Unmarshal([]byte(out), &msgs) != nil {
				t.Fatalf("queue receive: exit %d %s", code, stderr)
			}
			for _, m := range msgs {
				got[m.Body] = true
			}
			return len(got) >= n
		})
		return got
	}

	for _, c := range []struct {
		name  string
		args  []string
		stdin string
	}{
		{"a file", []string{"--body-file", bigFile}, ""},
		{"exactly 256 KiB", []string{"--body-file", exactFile}, ""},
		{"standard input", []string{"--body-file", "-"}, "from stdin\n" + big},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"queue", "send", "Copies", "--state", state}, c.args...)
		if code := mainWithInput(args, strings.NewReader(c.stdin), &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "sent ") {
			t.Fatalf("queue send with %s: exit %d %s %s", c.name, code, &stdout, &stderr)
		}
	}
	got := receive(3)
	for _, want := range []string{big, exact, "from stdin\n" + big} {
		if !got[want] {
			t.Errorf("Copies lacks a body of %d bytes sent with --body-file", len(want))
		}
	}

	// A topic message from standard input: the raw subscription (total >=
	// 100) delivers it as it is.
	var stdout, stderr bytes.Buffer
	args := []string{"topic", "publish", "Orders", "--state", state, "--body-file", "-", "--attribute", "total:Number=250", "--output", "json"}
	if code := mainWithInput(args, strings.NewReader(big), &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), `"MessageId"`) {
		t.Fatalf("topic publish --body-file -: exit %d %s %s", code, &stdout, &stderr)
	}
	if got := receive(2); !got[big] {
		t.Errorf("the raw subscription did not deliver the %d-byte message as it is", len(big))
	}
	if _, stderr, code := run("topic", "publish", "Orders", "--state", state, "--body-file", bigFile, "--attribute", "total:Number=250"); code != exitOK {
		t.Errorf("topic publish --body-file FILE: exit %d %s", code, stderr)
	}

	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"queue", "send", "Copies", "--body-file", overFile}, []string{"--body-file", overFile, "262144 bytes", "SQS"}},
		{[]string{"topic", "publish", "Orders", "--body-file", overFile}, []string{"--body-file", overFile, "262144 bytes", "SNS"}},
		{[]string{"queue", "send", "Copies", "--body-file", binFile}, []string{"--body-file", "not UTF-8", "base64"}},
		{[]string{"queue", "send", "Copies", "--body-file", filepath.Join(dir, "nope.json")}, []string{"--body-file", "nope.json"}},
		{[]string{"queue", "send", "Copies", "--body", "x", "--body-file", bigFile}, []string{"--body or --body-file, not both"}},
		{[]string{"topic", "publish", "Orders", "--message", "x", "--body-file", bigFile}, []string{"--message or --body-file, not both"}},
		{[]string{"queue", "send", "Copies"}, []string{"--body TEXT", "--body-file FILE"}},
		{[]string{"topic", "publish", "Orders"}, []string{"--message TEXT", "--body-file FILE"}},
	} {
		_, stderr, code := run(append(c.args, "--state", state)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2: %s", c.args, code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr lacks %q: %s", c.args, w, stderr)
			}
		}
	}
	// Nothing refused reached the queue.
	out, _, _ := run("queue", "stats", "Copies", "--state", state, "--output", "json")
	var st queue.Stats
	if json.Unmarshal([]byte(out), &st) != nil || st.Visible+st.InFlight > 2 {
		t.Errorf("Copies after the refused sends: %s; want only the 2 copies of the last publish", out)
	}
}
