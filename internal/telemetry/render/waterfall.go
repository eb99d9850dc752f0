package render

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/critpath"
	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// WaterfallOptions shape a waterfall. Zero values take the defaults named.
type WaterfallOptions struct {
	// Width is the width of the bar column in characters. Default 50.
	Width int
	// Color marks the critical path and errors with ANSI colors; without it
	// the critical path is drawn with '█' and marked '*', other spans '░'.
	Color bool
}

const (
	ansiRed   = "\x1b[31m"
	ansiBold  = "\x1b[1m"
	ansiReset = "\x1b[0m"
)

// Waterfall writes one trace: a header with the trace's duration and the
// resource with the most critical-path time, then one line per span in tree
// order (children under their parent, by start) with its offset, duration,
// marks (cold start, error) and a bar on a common time axis. Spans on the
// critical path are marked.
func Waterfall(w io.Writer, spans []model.Span, path critpath.Path, opts WaterfallOptions) error {
	if opts.Width <= 0 {
		opts.Width = 50
	}
	if len(spans) == 0 {
		_, err := fmt.Fprintln(w, "(no spans)")
		return err
	}
	start, end := spans[0].Start, spans[0].End
	for _, s := range spans {
		start, end = minT(start, s.Start), maxT(end, s.End)
	}
	if path.End.After(end) {
		end = path.End
	}
	total := end.Sub(start)

	var b strings.Builder
	fmt.Fprintf(&b, "trace %s  %s  %d spans", spans[0].TraceID, Duration(total), len(spans))
	if shares := critpath.Bottleneck([]critpath.Path{path}); len(shares) > 0 {
		fmt.Fprintf(&b, "  critical path: %s %s", name(shares[0].Resource), percent(shares[0].Share))
	}
	b.WriteString("\n")

	rows := treeOrder(spans)
	labelW := 0
	for _, r := range rows {
		labelW = max(labelW, len(r.label))
	}
	for _, r := range rows {
		s := r.span
		on := path.OnPath(s.SpanID)
		mark := " "
		if on {
			mark = "*"
		}
		var notes []string
		if cold, _ := s.Attributes["faas.coldstart"].(bool); cold {
			notes = append(notes, "cold")
		}
		if s.Status == model.StatusError {
			note := "error"
			if s.StatusMessage != "" {
				note += ": " + s.StatusMessage
			}
			notes = append(notes, note)
		}
		bar := drawBar(s.Start.Sub(start), s.End.Sub(start), total, opts.Width, on && !opts.Color)
		line := fmt.Sprintf("%s %-*s %8s %8s |%s|", mark, labelW, r.label, "+"+Duration(s.Start.Sub(start)), Duration(s.Duration()), bar)
		if len(notes) > 0 {
			line += " " + strings.Join(notes, ", ")
		}
		switch {
		case opts.Color && s.Status == model.StatusError:
			line = ansiRed + line + ansiReset
		case opts.Color && on:
			line = ansiBold + line + ansiReset
		}
		b.WriteString(line + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type row struct {
	span  model.Span
	label string
}

// treeOrder lists spans depth-first, children by start, each labelled with
// its name and resource, indented by depth. Spans whose parent is missing
// are roots; parent cycles are cut.
func treeOrder(spans []model.Span) []row {
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanID] = true
	}
	children := map[string][]model.Span{}
	var roots []model.Span
	for _, s := range spans {
		if s.ParentID == "" || !ids[s.ParentID] || s.ParentID == s.SpanID {
			roots = append(roots, s)
			continue
		}
		children[s.ParentID] = append(children[s.ParentID], s)
	}
	byStart := func(a, b model.Span) int { return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.SpanID, b.SpanID)) }
	slices.SortFunc(roots, byStart)
	for _, c := range children {
		slices.SortFunc(c, byStart)
	}
	var out []row
	seen := map[string]bool{}
	var walk func(s model.Span, depth int)
	walk = func(s model.Span, depth int) {
		if seen[s.SpanID] {
			return
		}
		seen[s.SpanID] = true
		label := strings.Repeat("  ", depth) + s.Name
		if s.Resource != "" && s.Resource != s.Name {
			label += " [" + s.Resource + "]"
		}
		out = append(out, row{span: s, label: label})
		for _, c := range children[s.SpanID] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	// Spans only reachable through a cycle are listed last, as roots.
	for _, s := range spans {
		if !seen[s.SpanID] {
			walk(s, 0)
		}
	}
	return out
}

// drawBar draws [from, to] of total on width cells; every span gets at least
// one cell.
func drawBar(from, to, total time.Duration, width int, critical bool) string {
	cells := make([]rune, width)
	for i := range cells {
		cells[i] = ' '
	}
	if total <= 0 {
		total = 1
	}
	a := int(int64(width) * int64(from) / int64(total))
	z := int((int64(width)*int64(to) + int64(total) - 1) / int64(total))
	a = min(max(a, 0), width-1)
	z = min(max(z, a+1), width)
	fill := '░'
	if critical {
		fill = '█'
	}
	for i := a; i < z; i++ {
		cells[i] = fill
	}
	return string(cells)
}

func name(resource string) string {
	if resource == "" {
		return "(no resource)"
	}
	return resource
}

func minT(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
