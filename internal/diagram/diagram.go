package diagram

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stacklab/stacklab/internal/stack"
)

// Format names an output format.
type Format string

// The output formats.
const (
	SVG     Format = "svg"     // a standalone SVG picture, laid out in pure Go
	Mermaid Format = "mermaid" // a Mermaid flowchart, for Markdown
	DOT     Format = "dot"     // Graphviz DOT source
	JSON    Format = "json"    // the graph itself, indented, in a stable order
)

// format is one entry of the registry of output formats.
type format struct {
	name   Format
	exts   []string // file name extensions, with the dot, first is preferred
	render func(b *bytes.Buffer, g stack.Graph) error
}

// formats is the registry of output formats, in the order Formats lists them.
var formats = []format{
	{SVG, []string{".svg"}, renderSVG},
	{Mermaid, []string{".mmd", ".mermaid"}, renderMermaid},
	{DOT, []string{".dot", ".gv"}, renderDOT},
	{JSON, []string{".json"}, renderJSON},
}

func lookup(f Format) (format, bool) {
	for _, each := range formats {
		if each.name == f {
			return each, true
		}
	}
	return format{}, false
}

// Formats returns the output formats, the default (SVG) first.
func Formats() []Format {
	out := make([]Format, len(formats))
	for i, each := range formats {
		out[i] = each.name
	}
	return out
}

// ParseFormat returns the format named s, ignoring case and surrounding space.
// The error for any other name wraps ErrUnknownFormat and lists the valid ones.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := lookup(f); ok {
		return f, nil
	}
	return "", unknownFormat(s)
}

// ForFile returns the format that a file name's extension asks for (.svg,
// .mmd or .mermaid, .dot or .gv, .json), ignoring case, and false when the
// extension names none.
func ForFile(name string) (Format, bool) {
	ext := strings.ToLower(filepath.Ext(name))
	for _, each := range formats {
		if slices.Contains(each.exts, ext) {
			return each.name, true
		}
	}
	return "", false
}

func unknownFormat(s string) error {
	names := make([]string, len(formats))
	for i, each := range formats {
		names[i] = string(each.name)
	}
	return fmt.Errorf("%w %q: want %s or %s", ErrUnknownFormat, s,
		strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// Render writes g to w in format f. The output depends only on the nodes and
// edges of g, not on their order. Nothing is written when g is invalid (see
// ErrInvalidGraph) or f is unknown.
func Render(w io.Writer, g stack.Graph, f Format) error {
	r, ok := lookup(f)
	if !ok {
		return unknownFormat(string(f))
	}
	n, err := normalize(g)
	if err != nil {
		return fmt.Errorf("render %s diagram: %w", f, err)
	}
	var b bytes.Buffer
	if err := r.render(&b, n); err != nil {
		return fmt.Errorf("render %s diagram: %w", f, err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write %s diagram: %w", f, err)
	}
	return nil
}

// normalize checks g and returns a copy with nodes sorted by id and edges
// sorted by (from, to, kind, label), exact duplicate edges dropped. Every
// renderer works on a normalized graph, which is what makes output stable.
func normalize(g stack.Graph) (stack.Graph, error) {
	nodes := slices.Clone(g.Nodes)
	if nodes == nil {
		nodes = []stack.Node{}
	}
	slices.SortStableFunc(nodes, func(a, b stack.Node) int { return cmp.Compare(a.ID, b.ID) })
	for i, n := range nodes {
		if n.ID == "" {
			return stack.Graph{}, fmt.Errorf("%w: node of type %q has no id", ErrInvalidGraph, n.Type)
		}
		if i > 0 && nodes[i-1].ID == n.ID {
			return stack.Graph{}, fmt.Errorf("%w: two nodes with id %q", ErrInvalidGraph, n.ID)
		}
	}
	has := func(id string) bool {
		_, ok := slices.BinarySearchFunc(nodes, id, func(n stack.Node, id string) int { return cmp.Compare(n.ID, id) })
		return ok
	}
	edges := slices.Clone(g.Edges)
	if edges == nil {
		edges = []stack.Edge{}
	}
	for _, e := range edges {
		for _, end := range []string{e.From, e.To} {
			if !has(end) {
				return stack.Graph{}, fmt.Errorf("%w: edge %q -> %q (%s): no node %q", ErrInvalidGraph, e.From, e.To, e.Kind, end)
			}
		}
	}
	slices.SortFunc(edges, compareEdges)
	edges = slices.Compact(edges)
	return stack.Graph{Nodes: nodes, Edges: edges}, nil
}

func compareEdges(a, b stack.Edge) int {
	return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To),
		cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Label, b.Label))
}

// kindStyle is how every format draws one kind of node.
type kindStyle struct {
	group   string // plural name: Mermaid subgraph, DOT cluster, SVG legend
	caption string // small text above the label in SVG
	stroke  string // border and caption colour
	fill    string // background colour
	mmOpen  string // Mermaid shape, around the quoted label
	mmClose string
	dot     string // Graphviz shape
	rounded bool   // Graphviz box drawn with rounded corners
}

// kindStyles lists the known kinds in drawing order: roughly from where events
// enter a stack to where data ends up.
var kindStyles = []struct {
	kind  stack.Kind
	style kindStyle
}{
	{stack.KindAPI, kindStyle{"APIs", "api", "#7c3aed", "#f3edff", `[/"`, `"/]`, "parallelogram", false}},
	{stack.KindSchedule, kindStyle{"Schedules", "schedule", "#4b6584", "#edf1f7", `(("`, `"))`, "ellipse", false}},
	{stack.KindEventBus, kindStyle{"Event buses", "event bus", "#b5179e", "#fbe9f7", `{{"`, `"}}`, "octagon", false}},
	{stack.KindRule, kindStyle{"Rules", "rule", "#a16207", "#fdf6e3", `{"`, `"}`, "diamond", false}},
	{stack.KindTopic, kindStyle{"Topics", "topic", "#0f766e", "#e3f5f3", `{{"`, `"}}`, "hexagon", false}},
	{stack.KindQueue, kindStyle{"Queues", "queue", "#c2185b", "#fce8f0", `[["`, `"]]`, "cds", false}},
	{stack.KindStream, kindStyle{"Streams", "stream", "#0284c7", "#e3f3fb", `>"`, `"]`, "rarrow", false}},
	{stack.KindMapping, kindStyle{"Event source mappings", "event source mapping", "#6b5b3e", "#f4efe6", `[\"`, `"\]`, "invtrapezium", false}},
	{stack.KindFunction, kindStyle{"Functions", "λ function", "#d9480f", "#fff1e6", `("`, `")`, "box", true}},
	{stack.KindStateMachine, kindStyle{"State machines", "state machine", "#c92a2a", "#fdecec", `(["`, `"])`, "box3d", false}},
	{stack.KindBucket, kindStyle{"Buckets", "bucket", "#2f7d1f", "#eaf5e4", `[("`, `")]`, "cylinder", false}},
	{stack.KindTable, kindStyle{"Tables", "table", "#1d5fa8", "#e6effa", `[("`, `")]`, "cylinder", false}},
	{stack.KindOther, kindStyle{"Other resources", "other", "#5f6b7a", "#f1f3f5", `["`, `"]`, "note", false}},
}

// notRun colours a node that stacklab accepts but does not run.
var notRun = struct{ stroke, fill, text string }{"#a8afb8", "#f5f6f7", "#7b848f"}

// styleOf returns the style of kind k and its rank in drawing order. Kinds
// this package does not know (or the empty kind) are drawn like KindOther,
// ranked after every known kind.
func styleOf(k stack.Kind) (kindStyle, int) {
	for i, each := range kindStyles {
		if each.kind == k {
			return each.style, i
		}
	}
	s := kindStyles[len(kindStyles)-1].style
	if k == "" {
		return s, len(kindStyles) - 1
	}
	s.group = cleanText(string(k))
	s.caption = cleanText(string(k))
	return s, len(kindStyles)
}

// kindGroup is the nodes of one kind, as indexes into the graph's nodes.
type kindGroup struct {
	kind  stack.Kind
	style kindStyle
	nodes []int
}

// groupByKind returns the kinds used by g in drawing order (unknown kinds
// last, by name), each with its nodes in graph order.
func groupByKind(g stack.Graph) []kindGroup {
	var groups []kindGroup
	rank := map[stack.Kind]int{}
	for i, n := range g.Nodes {
		k := n.Kind
		if _, r := styleOf(k); r == len(kindStyles)-1 {
			k = stack.KindOther // the empty kind joins "other"
		}
		j, ok := rank[k]
		if !ok {
			s, _ := styleOf(k)
			j = len(groups)
			rank[k] = j
			groups = append(groups, kindGroup{kind: k, style: s})
		}
		groups[j].nodes = append(groups[j].nodes, i)
	}
	slices.SortFunc(groups, func(a, b kindGroup) int {
		_, ra := styleOf(a.kind)
		_, rb := styleOf(b.kind)
		return cmp.Or(cmp.Compare(ra, rb), cmp.Compare(a.kind, b.kind))
	})
	return groups
}

// caption is the small text above a node's label in SVG. For kinds drawn as
// "other" it is the resource type without its AWS:: prefix (IAM::Role).
func caption(n stack.Node) string {
	s, r := styleOf(n.Kind)
	if r == len(kindStyles)-1 && n.Type != "" {
		return cleanText(strings.TrimPrefix(n.Type, "AWS::"))
	}
	return s.caption
}

// nodeText is what is printed on a node: its label, or its id when the label
// is empty.
func nodeText(n stack.Node) string {
	if strings.TrimSpace(n.Label) == "" {
		return cleanText(n.ID)
	}
	return cleanText(n.Label)
}

// cleanText makes s safe to print on one line: invalid UTF-8 and characters
// that are not printable (control characters, line breaks, odd spaces) become
// plain spaces.
func cleanText(s string) string {
	ok := utf8.ValidString(s)
	if ok {
		for _, r := range s {
			if r != ' ' && !unicode.IsPrint(r) {
				ok = false
				break
			}
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			b.WriteRune('\uFFFD')
		case r != ' ' && !unicode.IsPrint(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
