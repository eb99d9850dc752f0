package diagram

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/stacklab/stacklab/internal/stack"
)

// renderMermaid writes g as a left-to-right Mermaid flowchart: one subgraph per
// kind, a shape per kind, labelled edges, dependency edges dotted and nodes
// that do not run in grey.
func renderMermaid(b *bytes.Buffer, g stack.Graph) error {
	groups := groupByKind(g)
	ids, groupIDs := mermaidIDs(g, groups)

	b.WriteString("flowchart LR\n")
	for j, gr := range groups {
		fmt.Fprintf(b, "  subgraph %s [\"%s\"]\n", groupIDs[j], mermaidText(gr.style.group))
		for _, i := range gr.nodes {
			n := g.Nodes[i]
			fmt.Fprintf(b, "    %s%s%s%s\n", ids[i], gr.style.mmOpen, mermaidText(nodeText(n)), gr.style.mmClose)
		}
		b.WriteString("  end\n")
	}

	index := make(map[string]int, len(g.Nodes))
	for i, n := range g.Nodes {
		index[n.ID] = i
	}
	for _, e := range g.Edges {
		arrow := "-->"
		if e.Kind == stack.EdgeDependency {
			arrow = "-.->"
		}
		label := ""
		if t := cleanText(e.Label); strings.TrimSpace(t) != "" {
			label = `|"` + mermaidText(t) + `"|`
		}
		fmt.Fprintf(b, "  %s %s%s %s\n", ids[index[e.From]], arrow, label, ids[index[e.To]])
	}

	// One class per node: its kind's colours, or grey when it does not run.
	classes := map[string][]string{}
	var order []string
	add := func(class, id string) {
		if _, ok := classes[class]; !ok {
			order = append(order, class)
		}
		classes[class] = append(classes[class], id)
	}
	for j, gr := range groups {
		for _, i := range gr.nodes {
			if g.Nodes[i].Runs {
				add(mermaidClassOf(groupIDs[j]), ids[i])
			}
		}
	}
	for _, gr := range groups {
		for _, i := range gr.nodes {
			if !g.Nodes[i].Runs {
				add("notrun", ids[i])
			}
		}
	}
	for j, gr := range groups {
		if class := mermaidClassOf(groupIDs[j]); classes[class] != nil {
			fmt.Fprintf(b, "  classDef %s fill:%s,stroke:%s,color:#1f2328\n", class, gr.style.fill, gr.style.stroke)
		}
	}
	if _, ok := classes["notrun"]; ok {
		fmt.Fprintf(b, "  classDef notrun fill:%s,stroke:%s,color:%s,stroke-dasharray:4 3\n", notRun.fill, notRun.stroke, notRun.text)
	}
	for _, class := range order {
		fmt.Fprintf(b, "  class %s %s\n", strings.Join(classes[class], ","), class)
	}
	return nil
}

// mermaidKeywords are words Mermaid's flowchart grammar treats specially, so
// they cannot be node ids as they are (compared case-insensitively).
var mermaidKeywords = map[string]bool{
	"end": true, "graph": true, "flowchart": true, "subgraph": true, "direction": true,
	"style": true, "classdef": true, "class": true, "click": true, "linkstyle": true,
	"call": true, "href": true, "default": true, "interpolate": true,
	"acctitle": true, "accdescr": true, "callback": true,
}

// mermaidIDs returns a unique Mermaid id for every node of g, by index, and
// for every group: the logical id (or kind) when it is a plain identifier,
// otherwise a cleaned form, with a numeric suffix where two would collide.
// Group ids are "group_" and the kind.
func mermaidIDs(g stack.Graph, groups []kindGroup) (nodes, group []string) {
	used := map[string]bool{}
	unique := func(base string) string {
		id := base
		for k := 2; used[id]; k++ {
			id = base + "_" + strconv.Itoa(k)
		}
		used[id] = true
		return id
	}
	group = make([]string, len(groups))
	for j, gr := range groups {
		group[j] = unique("group_" + mermaidIdent(string(gr.kind)))
	}
	nodes = make([]string, len(g.Nodes))
	for i, n := range g.Nodes {
		nodes[i] = unique(mermaidIdent(n.ID))
	}
	return nodes, group
}

// mermaidClassOf names the class of the nodes of a group: kind_function for
// group_function.
func mermaidClassOf(groupID string) string { return "kind_" + strings.TrimPrefix(groupID, "group_") }

// mermaidIdent keeps the ASCII letters, digits and underscores of s and
// replaces every other character with an underscore. The result starts with a
// letter and is not a keyword.
func mermaidIdent(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	id := b.String()
	if id == "" || !(id[0] >= 'a' && id[0] <= 'z' || id[0] >= 'A' && id[0] <= 'Z') || mermaidKeywords[strings.ToLower(id)] {
		id = "n_" + id
	}
	return id
}

// mermaidText escapes s for use inside a quoted Mermaid label. Characters that
// Mermaid or the HTML it produces would interpret are written as Mermaid
// entity codes (#quot;, #35; ...).
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString("#quot;")
		case '#':
			b.WriteString("#35;")
		case '&':
			b.WriteString("#amp;")
		case '<':
			b.WriteString("#lt;")
		case '>':
			b.WriteString("#gt;")
		case '`':
			b.WriteString("#96;")
		case '|':
			b.WriteString("#124;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
