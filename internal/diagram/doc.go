// Package diagram draws the graph of a stack (stack.Graph) for people and for
// other tools: SVG to look at, Mermaid to paste into Markdown, Graphviz DOT to
// feed to dot, and JSON with stable ids for scripts and the dashboard.
//
// The SVG is laid out here, in pure Go, with a layered (Sugiyama-style) layout:
// layout.go is a pure function from a graph to positioned boxes and edge routes,
// svg.go only writes what the layout decided. Every format is deterministic: the
// same graph gives byte-identical output, whatever the order of its nodes and
// edges, so diagrams can be kept as golden files and diffed.
//
// The package knows only stack.Graph: nothing about templates, how the graph is
// built from them, or how resources run. It does no I/O beyond the io.Writer it
// is given and never calls external programs.
package diagram
