package runtime

import (
	"fmt"
	"regexp"
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
