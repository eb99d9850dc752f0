package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/services/events"
	"github.com/stacklab/stacklab/internal/services/queue"
)

// TestEventsEndToEnd runs a stack with a bus, a pattern rule to a queue and
// to a function, and a function's EventBridgeRule on the default bus:
// events put with the CLI reach what they match, in the EventBridge shape.
func TestEventsEndToEnd(t *testing.T) {
	_, state := startUp(t, "testdata/events/template.yaml")

	stdout, stderr, code := run("events", "put", "--state", state, "--source", "shop", "--detail-type", "Order Placed",
		"--detail", `{"amount": 250, "id": 7}`, "--bus", "orders", "--resource", "arn:aws:s3:::receipts", "--time", "2026-01-02T03:04:05Z")
	if code != exitOK || !strings.HasPrefix(stdout, "put ") || !strings.HasSuffix(stdout, " on orders\n") {
		t.Fatalf("events put: exit %d\n%s\n%s", code, stdout, stderr)
	}
	bigID := strings.Fields(stdout)[1]
	stdout, stderr, code = run("events", "put", "--state", state, "--source", "shop", "--detail-type", "Order Placed",
		"--detail", `{"amount": 5, "id": 8}`, "--bus", "orders", "--output", "json")
	var res events.PutResult
	if code != exitOK || json.Unmarshal([]byte(stdout), &res) != nil || res.FailedEntryCount != 0 || res.Entries[0].EventID == "" {
		t.Fatalf("events put --output json: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// An entries file: the refund is put, the malformed entry is reported.
	file := filepath.Join(t.TempDir(), "entries.json")
	os.WriteFile(file, []byte(`[
  {"Source": "shop", "DetailType": "Refund", "Detail": "{\"print\": \"refund via cli\"}"},
  {"Source": "shop", "DetailType": "Refund", "Detail": "[1, 2]"},
  {"Source": "shop", "DetailType": "Refund", "Detail": {"print": "refund as an object"}}
]`), 0o644)
	stdout, stderr, code = run("events", "put", "--state", state, "--entries", file)
	if code != exitInvalid || strings.Count(stdout, "put ") != 2 || !strings.Contains(stderr, "entry 2 (shop, Refund): MalformedDetail: Detail is not a JSON object") {
		t.Errorf("events put --entries: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// Seen gets the big order only, as EventBridge delivers it.
	var got []events.Event
	waitFor(t, 30*time.Second, "the big order in Seen", func() bool {
		out, _, code := run("queue", "receive", "Seen", "--state", state, "--max", "10", "--delete", "--output", "json")
		var msgs []queue.Message
		if code == exitOK && json.Unmarshal([]byte(out), &msgs) == nil {
			for _, m := range msgs {
				var ev events.Event
				if err := json.Unmarshal([]byte(m.Body), &ev); err != nil {
					t.Fatalf("Seen got %s: %v", m.Body, err)
				}
				got = append(got, ev)
			}
		}
		return len(got) >= 1
	})
	want := events.Event{Version: "0", ID: bigID, DetailType: "Order Placed", Source: "shop", Account: "123456789012", Time: "2026-01-02T03:04:05Z",
		Region: "us-east-1", Resources: []string{"arn:aws:s3:::receipts"}, Detail: json.RawMessage(`{"amount":250,"id":7}`)}
	if g, w := mustMarshal(got[0]), mustMarshal(want); g != w {
		t.Errorf("Seen got\n%s\nwant\n%s", g, w)
	}
	waitFor(t, 30*time.Second, "the events in Echo's log", func() bool {
		out, _, _ := run("logs", "Echo", "--state", state)
		return strings.Contains(out, "eventbridge 250 ") && strings.Contains(out, "refund via cli") && strings.Contains(out, "refund as an object")
	})
	time.Sleep(500 * time.Millisecond)
	if out, _, _ := run("queue", "receive", "Seen", "--state", state, "--output", "json"); strings.Contains(out, "Body") {
		t.Errorf("Seen got an event that its rule does not match: %s", out)
	}
	if out, _, _ := run("logs", "Echo", "--state", state); strings.Contains(out, "eventbridge 5 ") {
		t.Errorf("Echo got the small order:\n%s", out)
	}

	stdout, _, code = run("events", "ls", "--state", state)
	for _, want := range []string{"BUS", "default", "arn:aws:events:us-east-1:123456789012:event-bus/orders", "RULE", "BigOrders", "ENABLED",
		`{"detail":{"amount":[{"numeric":[">",100]}]},"source":["shop"]}`, "queue:Seen", "function:Echo (InputTransformer)",
		"EchoRefunds", "function:Echo (InputPath $.detail)"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("events ls: exit %d, output lacks %q:\n%s", code, want, stdout)
		}
	}
	stdout, _, code = run("events", "ls", "--state", state, "--output", "json")
	var info platform.EventsInfo
	if code != exitOK || json.Unmarshal([]byte(stdout), &info) != nil || len(info.Buses) != 2 || len(info.Rules) != 2 {
		t.Errorf("events ls --output json: exit %d, %s", code, stdout)
	}

	// Bad input.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"events", "put", "--source", "shop", "--detail-type", "x", "--bus", "ghost"}, exitInvalid, "ResourceNotFoundException: event bus does not exist: ghost"},
		{[]string{"events", "put", "--source", "aws.s3", "--detail-type", "x"}, exitInvalid, "NotAuthorizedForSourceException"},
		{[]string{"events", "put", "--detail-type", "x"}, exitUsage, "give --source and --detail-type"},
		{[]string{"events", "put", "--entries", file, "--source", "x"}, exitUsage, "--entries and --source do not go together"},
		{[]string{"events", "put", "--source", "s", "--detail-type", "x", "--time", "yesterday"}, exitUsage, "not RFC 3339"},
		{[]string{"events", "put", "--entries", filepath.Join(t.TempDir(), "none.json")}, exitInvalid, "reading the entries"},
		{[]string{"events", "put", "extra"}, exitUsage, "not arguments"},
		{[]string{"events", "ls", "extra"}, exitUsage, "no arguments"},
	} {
		_, stderr, code := run(append(c.args, "--state", state)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

func mustMarshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestReadEntries(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ text, want string }{
		{`[{"Source": "s", "detail-type": "x"}]`, `unknown field "detail-type"`},
		{`{"Source": "s"}`, "write a JSON array"},
		{`[]`, "the list is empty"},
		{`[{"Source": "s", "Time": "soon"}]`, "not RFC 3339"},
	} {
		file := filepath.Join(dir, "e.json")
		os.WriteFile(file, []byte(c.text), 0o644)
		if _, err := readEntries("file://"+file, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("readEntries(%s) = %v, want an error with %q", c.text, err, c.want)
		}
	}
	got, err := readEntries("-", strings.NewReader(`[{"Source": "s", "DetailType": "t", "Detail": {"a": 1}, "Time": 1767323045, "TraceHeader": "x"}]`))
	if err != nil || len(got) != 1 || got[0].Detail != `{"a": 1}` || got[0].Time.UTC().Format(time.RFC3339) != "2026-01-02T03:04:05Z" {
		t.Errorf("readEntries(stdin) = %+v, %v", got, err)
	}
}

// TestPutBatches: events put sends at most ten entries and 256 KB a
// request, so a file whose entries are under the limit one by one but over
// it together is put whole; an entry over the limit alone is refused on its
// own and the others are still put.
func TestPutBatches(t *testing.T) {
	entry := func(n int) events.Entry {
		return events.Entry{Source: "s", DetailType: "d", Detail: `{"a":"` + strings.Repeat("x", n-len(`sd{"a":""}`)) + `"}`}
	}
	var es []events.Entry
	for range 10 {
		es = append(es, entry(30000)) // 300 000 bytes in all
	}
	batches, tooBig := putBatches(es)
	if want := [][2]int{{0, 8}, {8, 10}}; !slices.Equal(batches, want) || tooBig != nil {
		t.Errorf("10 entries of 30000 bytes: batches %v, too big %v; want %v and none", batches, tooBig, want)
	}
	for _, b := range batches {
		size := 0
		for _, e := range es[b[0]:b[1]] {
			size += e.Size()
		}
		if size > events.MaxEntrySize || b[1]-b[0] > events.MaxEntries {
			t.Errorf("batch %v: %d entries, %d bytes", b, b[1]-b[0], size)
		}
	}

	es = []events.Entry{entry(10)}
	for range 11 {
		es = append(es, entry(10))
	}
	es = append(es, entry(events.MaxEntrySize+1), entry(10))
	batches, tooBig = putBatches(es)
	if want := [][2]int{{0, 10}, {10, 12}, {13, 14}}; !slices.Equal(batches, want) || !slices.Equal(tooBig, []int{12}) {
		t.Errorf("small entries and one too big: batches %v, too big %v; want %v and [12]", batches, tooBig, want)
	}
	if batches, tooBig = putBatches([]events.Entry{entry(events.MaxEntrySize)}); len(batches) != 1 || tooBig != nil {
		t.Errorf("one entry of exactly the limit: batches %v, too big %v", batches, tooBig)
	}
}
