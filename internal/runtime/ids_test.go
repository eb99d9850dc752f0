package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRequestAndTraceIDs(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	trace := regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`)
	seen := map[string]bool{}
	for range 100 {
		id, tr := newRequestID(), newTraceID()
		if !uuid.MatchString(id) || seen[id] {
			t.Fatalf("request id %q: want a new UUID", id)
		}
		seen[id] = true
		if !trace.MatchString(tr) {
			t.Fatalf("trace id %q: want an X-Ray trace header", tr)
		}
	}
}

// newRequestID uses the clock: its time bits are now's milliseconds
// (ids.V7 is tested in its package).
func TestRequestIDUsesTheClock(t *testing.T) {
	before := time.Now().UnixMilli()
	id := newRequestID()
	ms, err := strconv.ParseInt(strings.ReplaceAll(id[:13], "-", ""), 16, 64)
	if err != nil || ms < before || ms > time.Now().UnixMilli() || id[14] != '7' {
		t.Errorf("newRequestID() = %q: time bits %d (%v), want a version 7 UUID between %d and now", id, ms, err, before)
	}
}

func TestReportLine(t *testing.T) {
	for _, tt := range []struct {
		d, billed, init time.Duration
		mem, max        int
	}{
		{1234567 * time.Nanosecond, 2 * time.Millisecond, 0, 128, 12},
		{5 * time.Microsecond, time.Millisecond, 2345678 * time.Nanosecond, 1769, 1},
		{3 * time.Second, 3 * time.Second, 0, 10240, 10240},
	} {
		want := fmt.Sprintf("REPORT RequestId: r\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
			float64(tt.d)/float64(time.Millisecond), tt.billed/time.Millisecond, tt.mem, tt.max)
		if tt.init > 0 {
			want += fmt.Sprintf("\tInit Duration: %.2f ms", float64(tt.init)/float64(time.Millisecond))
		}
		if got := reportLine("r", tt.d, tt.billed, tt.init, tt.mem, tt.max); got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	}
}

// A log file line reads back as the Line written, and matches
// encoding/json's bytes where that escapes nothing for HTML.
func TestAppendLine(t *testing.T) {
	at := time.Date(2026, 11, 22, 3, 4, 5, 123456789, time.UTC)
	for _, l := range []Line{
		{Time: at, Function: "fn", RequestID: "r-1", Stream: "2026/11/22/[$LATEST]1", Text: "hello \"quoted\"\ttab \x01 ctl é"},
		{Time: at.Add(-123456789), Function: "fn", Stream: "s", Text: ""},
		{Time: at, Function: "fn", Stream: "s", Text: "bad \xff utf-8 \u2028"},
	} {
		got := appendLine(nil, l)
		want, _ := json.Marshal(l)
		if !bytes.Equal(got, want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		var back Line
		if err := json.Unmarshal(got, &back); err != nil || !back.Time.Equal(l.Time) || back.Text != strings.ToValidUTF8(l.Text, "\uFFFD") || back.RequestID != l.RequestID {
			t.Errorf("%s reads back as %+v (%v)", got, back, err)
		}
	}
}

// Lines of several functions, interleaved and over several flushes, end
// in each function's file in the order they were added.
func TestLogFilesAcrossFlushes(t *testing.T) {
	dir := t.TempDir()
	l := NewLogs(dir)
	want := map[string][]string{}
	for round := range 3 {
		for i := range 50 {
			fn := []string{"a", "b", "c"}[i%3]
			if i%7 == 0 {
				fn = "a"
			}
			text := fmt.Sprintf("round %d line %d <&>", round, i)
			l.add(fn, "r", "s", text, nil)
			want[fn] = append(want[fn], text)
		}
		// Wait for the flush loop to take them (a deadline, not a timing check).
		deadline := time.Now().Add(30 * time.Second)
		for {
			l.mu.Lock()
			n := len(l.pending)
			l.mu.Unlock()
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the flush loop never wrote the lines")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	l.Close()
	for fn, texts := range want {
		b, err := os.ReadFile(filepath.Join(dir, fn+".log"))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, raw := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var line Line
			if err := json.Unmarshal(raw, &line); err != nil || line.Function != fn {
				t.Fatalf("%s: line %s: %v", fn, raw, err)
			}
			got = append(got, line.Text)
		}
		if strings.Join(got, "|") != strings.Join(texts, "|") {
			t.Errorf("%s.log: got %q, want %q", fn, got, texts)
		}
	}
}
