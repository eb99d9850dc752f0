package diagram

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/stacklab/stacklab/internal/stack"
)

const svgFont = `"Helvetica Neue", Helvetica, Arial, "DejaVu Sans", sans-serif`

// legend geometry
const (
	legendRowH   = 22.0
	legendSwatch = 14.0
	legendItemGp = 22.0
)

// edgeKinds are the edge kinds in legend order, with their legend text.
var edgeKinds = []struct {
	kind stack.EdgeKind
	text string
}{
	{stack.EdgeTrigger, "trigger"},
	{stack.EdgeData, "data access"},
	{stack.EdgeDependency, "dependency"},
}

// edgeClass names an edge kind in class names and marker ids; unknown kinds
// are drawn as triggers.
func edgeClass(k stack.EdgeKind) string {
	for _, e := range edgeKinds {
		if e.kind == k {
			return string(k)
		}
	}
	return string(stack.EdgeTrigger)
}

// renderSVG lays g out and writes it as a standalone SVG document.
func renderSVG(b *bytes.Buffer, g stack.Graph) error {
	writeSVG(b, g, layout(g))
	return nil
}

// legendItem is one entry of the legend: a swatch (a box or a line) and text.
type legendItem struct {
	text         string
	fill, stroke string
	dash         string
	line         bool
	x, y         float64 // top left, set by placeLegend
}

func (it legendItem) width() float64 {
	return legendSwatch + 6 + textWidth(it.text, edgeLabelSize) + legendItemGp
}

// legend lists the kinds of node, the kinds of edge and the grey of nodes
// that do not run, as far as g uses them.
func legend(g stack.Graph) []legendItem {
	var items []legendItem
	for _, gr := range groupByKind(g) {
		items = append(items, legendItem{text: gr.style.group, fill: gr.style.fill, stroke: gr.style.stroke})
	}
	used := map[string]bool{}
	for _, e := range g.Edges {
		used[edgeClass(e.Kind)] = true
	}
	for _, ek := range edgeKinds {
		if used[string(ek.kind)] {
			color, _, dash := edgeStyle(ek.kind)
			items = append(items, legendItem{text: ek.text, stroke: color, dash: dash, line: true})
		}
	}
	for _, n := range g.Nodes {
		if !n.Runs {
			items = append(items, legendItem{text: "accepted, not run", fill: notRun.fill, stroke: notRun.stroke, dash: "4 3"})
			break
		}
	}
	return items
}

// placeLegend puts the items in rows no wider than width, from (x0, y0), and
// returns the width and height they take.
func placeLegend(items []legendItem, x0, y0, width float64) (w, h float64) {
	x, y := x0, y0
	for i := range items {
		iw := items[i].width()
		if x > x0 && x-x0+iw-legendItemGp > width {
			x, y = x0, y+legendRowH
		}
		items[i].x, items[i].y = x, y
		x += iw
		w = max(w, x-x0-legendItemGp)
	}
	if len(items) > 0 {
		h = y - y0 + legendRowH
	}
	return w, h
}

// writeSVG writes the picture of g as an SVG document: edges, then their
// labels, then nodes, then a legend under the graph.
func writeSVG(b *bytes.Buffer, g stack.Graph, pic picture) {
	items := legend(g)
	lw, lh := placeLegend(items, margin, pic.H, max(pic.W-2*margin, 420))
	width := math.Ceil(max(pic.W, lw+2*margin, 240))
	height := math.Ceil(pic.H + lh + margin/2)
	if len(g.Nodes) == 0 {
		height = pic.H + 40
	}

	fmt.Fprintf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	fmt.Fprintf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\">\n",
		num(width), num(height), num(width), num(height))
	fmt.Fprintf(b, "<title>stack graph: %d resources, %d edges</title>\n", len(g.Nodes), len(g.Edges))
	b.WriteString("<style>\n")
	fmt.Fprintf(b, "text { font-family: %s; }\n", svgFont)
	fmt.Fprintf(b, ".caption { font-size: %spx; letter-spacing: 0.2px; }\n", num(captionSize))
	fmt.Fprintf(b, ".label { font-size: %spx; font-weight: 600; fill: #1f2328; }\n", num(labelSize))
	fmt.Fprintf(b, ".notrun .label { fill: %s; font-weight: 400; }\n", notRun.text)
	fmt.Fprintf(b, ".elabel, .legend text { font-size: %spx; fill: #4a5462; }\n", num(edgeLabelSize))
	b.WriteString("</style>\n<defs>\n")
	for _, ek := range edgeKinds {
		color, _, _ := edgeStyle(ek.kind)
		fmt.Fprintf(b, "<marker id=\"arrow-%s\" viewBox=\"0 0 10 8\" refX=\"9.5\" refY=\"4\" markerWidth=\"10\" markerHeight=\"8\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"%s\"/></marker>\n", ek.kind, color)
	}
	b.WriteString("</defs>\n")
	fmt.Fprintf(b, "<rect width=\"%s\" height=\"%s\" fill=\"#ffffff\"/>\n", num(width), num(height))
	if len(g.Nodes) == 0 {
		fmt.Fprintf(b, "<text class=\"elabel\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">empty stack: no resources</text>\n", num(width/2), num(height/2+4))
	}

	b.WriteString("<g class=\"edges\" fill=\"none\">\n")
	for _, r := range pic.Routes {
		if r.Segs == nil {
			continue
		}
		class := edgeClass(r.Edge.Kind)
		color, w, dash := edgeStyle(r.Edge.Kind)
		title := r.Edge.From + " → " + r.Edge.To + " (" + string(r.Edge.Kind) + ")"
		if l := cleanText(r.Edge.Label); l != "" {
			title += ": " + l
		}
		fmt.Fprintf(b, "<g class=\"edge %s\"><title>%s</title><path d=\"%s\" stroke=\"%s\" stroke-width=\"%s\"", class, esc(title), pathData(r), color, num(w))
		if dash != "" {
			fmt.Fprintf(b, " stroke-dasharray=\"%s\"", dash)
		}
		fmt.Fprintf(b, " marker-end=\"url(#arrow-%s)\"/></g>\n", class)
	}
	b.WriteString("</g>\n<g class=\"edge-labels\">\n")
	for _, r := range pic.Routes {
		if r.Segs == nil || r.Label == "" {
			continue
		}
		x, y := r.LabelAt.X-r.LabelW/2, r.LabelAt.Y-edgeLabelH/2
		fmt.Fprintf(b, "<g><rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.92\"/><text class=\"elabel\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text></g>\n",
			num(x), num(y), num(r.LabelW), num(edgeLabelH), num(r.LabelAt.X), num(r.LabelAt.Y+edgeLabelSize*0.36), esc(r.Label))
	}
	b.WriteString("</g>\n<g class=\"nodes\">\n")
	for _, bx := range pic.Boxes {
		writeBox(b, bx)
	}
	b.WriteString("</g>\n")

	if len(items) > 0 {
		b.WriteString("<g class=\"legend\">\n")
		for _, it := range items {
			cy := it.y + legendRowH/2
			if it.line {
				fmt.Fprintf(b, "<path d=\"M%s,%sH%s\" stroke=\"%s\" stroke-width=\"1.6\"", num(it.x), num(cy), num(it.x+legendSwatch), it.stroke)
				if it.dash != "" {
					fmt.Fprintf(b, " stroke-dasharray=\"%s\"", it.dash)
				}
				b.WriteString("/>")
			} else {
				fmt.Fprintf(b, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" rx=\"3\" fill=\"%s\" stroke=\"%s\"", num(it.x), num(cy-legendSwatch/2), num(legendSwatch), num(legendSwatch), it.fill, it.stroke)
				if it.dash != "" {
					fmt.Fprintf(b, " stroke-dasharray=\"%s\"", it.dash)
				}
				b.WriteString("/>")
			}
			fmt.Fprintf(b, "<text x=\"%s\" y=\"%s\">%s</text>\n", num(it.x+legendSwatch+6), num(cy+edgeLabelSize*0.36), esc(it.text))
		}
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>\n")
}

// writeBox writes one node: a rounded box in its kind's colours (grey and
// dashed when it does not run), the kind caption and the label.
func writeBox(b *bytes.Buffer, bx box) {
	n := bx.Node
	s, _ := styleOf(n.Kind)
	fill, stroke, capColor := s.fill, s.stroke, s.stroke
	class := "node kind-" + mermaidIdent(string(n.Kind))
	title := cleanText(n.ID)
	if t := nodeText(n); t != title {
		title += ": " + t
	}
	if n.Type != "" {
		title += " (" + cleanText(n.Type) + ")"
	}
	dash := ""
	if !n.Runs {
		fill, stroke, capColor = notRun.fill, notRun.stroke, notRun.text
		class += " notrun"
		title += " — accepted, not run"
		dash = ` stroke-dasharray="4 3"`
	}
	cx := bx.X + bx.W/2
	fmt.Fprintf(b, "<g class=\"%s\" data-id=\"%s\"><title>%s</title>", class, esc(n.ID), esc(title))
	fmt.Fprintf(b, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" rx=\"8\" fill=\"%s\" stroke=\"%s\" stroke-width=\"1.4\"%s/>",
		num(bx.X), num(bx.Y), num(bx.W), num(bx.H), fill, stroke, dash)
	fmt.Fprintf(b, "<text class=\"caption\" x=\"%s\" y=\"%s\" text-anchor=\"middle\" fill=\"%s\">%s</text>", num(cx), num(bx.Y+17), capColor, esc(bx.Caption))
	fmt.Fprintf(b, "<text class=\"label\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text></g>\n", num(cx), num(bx.Y+35), esc(bx.Text))
}

// pathData is the SVG path of a route.
func pathData(r route) string {
	var s strings.Builder
	fmt.Fprintf(&s, "M%s,%s", num(r.From.X), num(r.From.Y))
	for _, c := range r.Segs {
		fmt.Fprintf(&s, " C%s,%s %s,%s %s,%s", num(c.C1.X), num(c.C1.Y), num(c.C2.X), num(c.C2.Y), num(c.To.X), num(c.To.Y))
	}
	return s.String()
}

// num formats a coordinate with at most one decimal, never as -0.
func num(v float64) string {
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// esc escapes s for XML text and attribute values; characters XML cannot
// hold become U+FFFD.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
