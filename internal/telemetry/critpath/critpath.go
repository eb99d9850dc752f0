package critpath

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// ErrNoSpans is returned for a trace without spans.
var ErrNoSpans = errors.New("critical path of a trace with no spans")

// Segment is a stretch of time on the critical path during which SpanID is
// the span doing the work (its self time: no child of it on the path runs).
type Segment struct {
	SpanID   string
	Resource string
	Start    time.Time
	End      time.Time
}

// Duration is End - Start.
func (s Segment) Duration() time.Duration { return s.End.Sub(s.Start) }

// Step is a span on the critical path with the self time it contributes.
type Step struct {
	SpanID   string
	Name     string
	Resource string
	Self     time.Duration
}

// Path is the critical path of one trace.
type Path struct {
	TraceID string
	Start   time.Time
	End     time.Time
	// Segments cover [Start, End] without overlap, in time order.
	Segments []Segment
	// Steps are the spans on the path, in the order the path enters them
	// (the root first).
	Steps []Step
}

// Total is the end-to-end time the path explains.
func (p Path) Total() time.Duration { return p.End.Sub(p.Start) }

// OnPath reports whether a span is on the path.
func (p Path) OnPath(spanID string) bool {
	return slices.ContainsFunc(p.Steps, func(s Step) bool { return s.SpanID == spanID })
}

// ByResource sums self time on the path per resource.
func (p Path) ByResource() map[string]time.Duration {
	m := make(map[string]time.Duration)
	for _, s := range p.Steps {
		m[s.Resource] += s.Self
	}
	return m
}

// Compute returns the critical path of the spans of one trace.
//
// A span's effective end is the later of its own end and its children's
// effective ends, so work a span starts asynchronously (a queue message it
// sends, an event its upload causes) counts towards the trace's end-to-end
// time. The walk starts at the root with a cursor at its effective end; it
// repeatedly picks the child that finished last before the cursor (clamping a
// child that overlaps the cursor to it), walks that child the same way, and
// moves the cursor to the child's start. Time between children is the
// parent's self time. Spans whose parent is not in the trace are roots; with
// several roots the path runs over a virtual root (SpanID "") whose self time
// is the gaps between them. Cycles in parent ids are broken, never followed.
func Compute(spans []model.Span) (Path, error) {
	if len(spans) == 0 {
		return Path{}, ErrNoSpans
	}
	w := newWalker(spans)
	var root *node
	if len(w.roots) == 1 {
		root = w.roots[0]
	} else {
		root = &node{children: w.roots}
		root.span.TraceID = spans[0].TraceID
		root.span.Name = "(trace)"
		root.span.Start = w.roots[0].span.Start
		for _, r := range w.roots {
			root.span.Start = minTime(root.span.Start, r.span.Start)
		}
		root.span.End = root.span.Start
		root.sortChildren()
	}
	end := w.effEnd(root)
	w.walk(root, root.span.Start, end)
	slices.SortFunc(w.segments, func(a, b Segment) int { return a.Start.Compare(b.Start) })
	return Path{
		TraceID:  spans[0].TraceID,
		Start:    root.span.Start,
		End:      end,
		Segments: w.segments,
		Steps:    w.steps,
	}, nil
}

type node struct {
	span     model.Span
	children []*node
	end      time.Time // effective end, once known
	state    int8      // 0 new, 1 computing, 2 done
	step     int       // index in walker.steps, -1 when not on the path
}

func (n *node) sortChildren() {
	slices.SortStableFunc(n.children, func(a, b *node) int {
		return cmp.Or(a.span.Start.Compare(b.span.Start), cmp.Compare(a.span.SpanID, b.span.SpanID))
	})
}

type walker struct {
	roots    []*node
	segments []Segment
	steps    []Step
	onPath   map[*node]bool
}

func newWalker(spans []model.Span) *walker {
	byID := make(map[string]*node, len(spans))
	nodes := make([]*node, 0, len(spans))
	for _, s := range spans {
		if _, dup := byID[s.SpanID]; dup {
			continue
		}
		if s.End.Before(s.Start) {
			s.End = s.Start
		}
		n := &node{span: s, step: -1}
		byID[s.SpanID] = n
		nodes = append(nodes, n)
	}
	w := &walker{onPath: make(map[*node]bool)}
	for _, n := range nodes {
		p, ok := byID[n.span.ParentID]
		if !ok || n.span.ParentID == "" || closesCycle(n, p, byID) {
			w.roots = append(w.roots, n)
			continue
		}
		p.children = append(p.children, n)
	}
	for _, n := range nodes {
		n.sortChildren()
	}
	slices.SortStableFunc(w.roots, func(a, b *node) int { return a.span.Start.Compare(b.span.Start) })
	return w
}

// closesCycle reports whether putting n under p would close a cycle of
// parent ids, that is whether n is p or one of p's ancestors.
func closesCycle(n, p *node, byID map[string]*node) bool {
	seen := map[*node]bool{}
	for cur := p; cur != nil; cur = byID[cur.span.ParentID] {
		if cur == n {
			return true
		}
		if seen[cur] || cur.span.ParentID == "" {
			return false
		}
		seen[cur] = true
	}
	return false
}

// effEnd returns the later of n's end and its descendants' effective ends.
func (w *walker) effEnd(n *node) time.Time {
	switch n.state {
	case 2:
		return n.end
	case 1:
		return n.span.End // a cycle: stop here
	}
	n.state = 1
	end := n.span.End
	for _, c := range n.children {
		end = maxTime(end, w.effEnd(c))
	}
	n.end, n.state = end, 2
	return end
}

// walk attributes the time [lo, hi] of n to n and its children.
func (w *walker) walk(n *node, lo, hi time.Time) {
	if w.onPath[n] {
		return
	}
	w.onPath[n] = true
	n.step = len(w.steps)
	w.steps = append(w.steps, Step{SpanID: n.span.SpanID, Name: n.span.Name, Resource: n.span.Resource})

	// Children by effective end, latest first.
	kids := slices.Clone(n.children)
	slices.SortStableFunc(kids, func(a, b *node) int { return b.end.Compare(a.end) })
	cursor := hi
	for _, c := range kids {
		if !cursor.After(lo) {
			break
		}
		if !c.span.Start.Before(cursor) {
			continue // starts at or after the cursor: not what we wait for
		}
		ce := minTime(c.end, cursor)
		cs := maxTime(c.span.Start, lo)
		if !ce.After(cs) {
			continue
		}
		w.self(n, ce, cursor)
		w.walk(c, cs, ce)
		cursor = cs
	}
	w.self(n, lo, cursor)
}

func (w *walker) self(n *node, from, to time.Time) {
	if !to.After(from) {
		return
	}
	w.segments = append(w.segments, Segment{SpanID: n.span.SpanID, Resource: n.span.Resource, Start: from, End: to})
	w.steps[n.step].Self += to.Sub(from)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
