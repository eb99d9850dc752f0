package diagram

import (
	"bytes"
	"strings"

	"github.com/emicklei/dot"

	"github.com/stacklab/stacklab/internal/stack"
)

// dotFont is the font asked of Graphviz; it falls back to its default where
// the font is missing.
const dotFont = "Helvetica"

// edgeStyles colours edges by kind in every format that colours them.
var edgeStyles = map[stack.EdgeKind]struct {
	color string
	width float64
	dash  string // SVG stroke-dasharray, empty for solid
}{
	stack.EdgeTrigger:    {"#3d4756", 1.6, ""},
	stack.EdgeData:       {"#2f6eb5", 1.4, ""},
	stack.EdgeDependency: {"#9aa4b1", 1.2, "5 4"},
}

// edgeStyle returns the style of edge kind k; unknown kinds look like
// triggers.
func edgeStyle(k stack.EdgeKind) (color string, width float64, dash string) {
	s, ok := edgeStyles[k]
	if !ok {
		s = edgeStyles[stack.EdgeTrigger]
	}
	return s.color, s.width, s.dash
}

// renderDOT writes g as Graphviz DOT: left to right, a cluster per kind, a
// shape and colour per kind, labelled edges, dependency edges dashed and nodes
// that do not run in grey. Graphviz node ids are generated (n1, n2 ...); the
// logical id is kept in each node's id attribute, which Graphviz copies into
// the SVG it makes.
func renderDOT(b *bytes.Buffer, g stack.Graph) error {
	d := dot.NewGraph(dot.Directed)
	d.ID("stack")
	d.Attrs(
		"rankdir", "LR",
		"fontname", dotFont,
		"fontsize", "11",
		"nodesep", "0.35",
		"ranksep", "0.9",
		"compound", "true",
	)
	nodes := make(map[string]dot.Node, len(g.Nodes))
	for _, gr := range groupByKind(g) {
		c := d.Subgraph(string(gr.kind), dot.ClusterOption{})
		c.Attrs(
			"label", dotText(gr.style.group),
			"labeljust", "l",
			"fontname", dotFont,
			"fontsize", "10",
			"fontcolor", gr.style.stroke,
			"color", "#d5dae1",
			"style", "rounded",
		)
		for _, i := range gr.nodes {
			n := g.Nodes[i]
			dn := c.Node(n.ID)
			style := []string{"filled"}
			if gr.style.rounded {
				style = append(style, "rounded")
			}
			fill, stroke, text := gr.style.fill, gr.style.stroke, "#1f2328"
			tooltip := dotText(n.Type)
			if !n.Runs {
				style = append(style, "dashed")
				fill, stroke, text = notRun.fill, notRun.stroke, notRun.text
				tooltip = strings.TrimSpace(tooltip + " (accepted, not run)")
			}
			dn.Attrs(
				"id", dotText(n.ID),
				"label", dotText(nodeText(n)),
				"shape", gr.style.dot,
				"style", strings.Join(style, ","),
				"fillcolor", fill,
				"color", stroke,
				"fontcolor", text,
				"fontname", dotFont,
				"fontsize", "11",
			)
			if tooltip != "" {
				dn.Attr("tooltip", tooltip)
			}
			nodes[n.ID] = dn
		}
	}
	for _, e := range g.Edges {
		de := d.Edge(nodes[e.From], nodes[e.To])
		color, _, dash := edgeStyle(e.Kind)
		de.Attrs("color", color, "fontname", dotFont, "fontsize", "9", "fontcolor", "#4a5462")
		if label := dotText(e.Label); strings.TrimSpace(label) != "" {
			de.Attr("label", label)
		}
		if dash != "" {
			de.Attrs("style", "dashed", "arrowhead", "vee")
		}
	}
	d.Write(b)
	return nil
}

// dotText makes s safe as a Graphviz string: one line, and with & written as
// &amp;, since Graphviz reads HTML entities even in plain labels. Quotes and
// backslashes are escaped by the dot package.
func dotText(s string) string {
	return strings.ReplaceAll(cleanText(s), "&", "&amp;")
}
