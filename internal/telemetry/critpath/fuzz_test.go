package critpath

import (
	"fmt"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// FuzzCompute builds arbitrary span forests (with missing parents, cycles,
// duplicates and inverted times) from bytes and checks the path's
// invariants: segments are in order, do not overlap, lie within the path and
// cover it exactly, and the steps' self times add up to the total.
func FuzzCompute(f *testing.F) {
	f.Add([]byte{0, 0, 10, 100, 1, 1, 20, 30, 2, 1, 40, 50})
	f.Add([]byte{0, 1, 0, 10, 1, 0, 5, 5})
	f.Add([]byte{3, 3, 50, 1, 4, 9, 0, 200})
	f.Fuzz(func(t *testing.T, data []byte) {
		var spans []model.Span
		for i := 0; i+3 < len(data) && len(spans) < 64; i += 4 {
			id := fmt.Sprintf("%016x", data[i]%16+1)
			parent := ""
			if p := data[i+1] % 17; p > 0 {
				parent = fmt.Sprintf("%016x", p)
			}
			start := time.Unix(0, 0).Add(time.Duration(data[i+2]) * time.Millisecond)
			end := start.Add(time.Duration(int(data[i+3])-20) * time.Millisecond)
			spans = append(spans, model.Span{TraceID: "t", SpanID: id, ParentID: parent, Resource: fmt.Sprint(data[i] % 4), Start: start, End: end})
		}
		p, err := Compute(spans)
		if len(spans) == 0 {
			if err == nil {
				t.Fatal("no error for no spans")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		cursor := p.Start
		for _, s := range p.Segments {
			if !s.Start.Equal(cursor) {
				t.Fatalf("segment %+v starts at %v, want %v (gap or overlap)", s, s.Start, cursor)
			}
			if !s.End.After(s.Start) {
				t.Fatalf("empty or inverted segment %+v", s)
			}
			cursor = s.End
		}
		if len(p.Segments) > 0 && !cursor.Equal(p.End) {
			t.Fatalf("segments end at %v, path at %v", cursor, p.End)
		}
		var self time.Duration
		for _, s := range p.Steps {
			if s.Self < 0 {
				t.Fatalf("negative self time %+v", s)
			}
			self += s.Self
		}
		if self != p.Total() {
			t.Fatalf("self times add to %v, total is %v", self, p.Total())
		}
	})
}
