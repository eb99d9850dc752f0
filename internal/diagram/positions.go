package diagram

import (
	"github.com/stacklab/stacklab/internal/stack"
)

// Positions is where the layered layout (the one the SVG is drawn from)
// puts each node of a graph, for a client that draws the graph itself (the
// dashboard). Coordinates are in the SVG's pixels, margins included.
type Positions struct {
	// Width and Height are the size of the whole picture.
	Width, Height float64
	// Nodes maps a node id to its box.
	Nodes map[string]Box
	// Groups are the kinds of node the graph has, in drawing order.
	Groups []Group
}

// Box is a node's place: X and Y are its centre, W and H its size. Layer is
// the column it is in, from the left; Order its place in that column from
// the top.
type Box struct {
	X, Y, W, H   float64
	Layer, Order int
}

// Group is the nodes of one kind: ID is "group_" and the kind, Label the
// plural name the SVG legend uses (Functions, Queues).
type Group struct {
	ID    string
	Label string
	Kind  stack.Kind
	Nodes []string // node ids, sorted
}

// Layout lays g out as the SVG renderer does and returns every node's box.
// Like Render it depends only on g's nodes and edges, not on their order,
// and fails with ErrInvalidGraph for a graph that cannot be drawn.
func Layout(g stack.Graph) (Positions, error) {
	n, err := normalize(g)
	if err != nil {
		return Positions{}, err
	}
	pic := layout(n)
	pos := Positions{Width: pic.W, Height: pic.H, Nodes: make(map[string]Box, len(pic.Boxes))}
	for _, b := range pic.Boxes {
		pos.Nodes[b.Node.ID] = Box{X: b.X + b.W/2, Y: b.Y + b.H/2, W: b.W, H: b.H, Layer: b.Layer, Order: b.Order}
	}
	for _, kg := range groupByKind(n) {
		grp := Group{ID: "group_" + string(kg.kind), Label: kg.style.group, Kind: kg.kind}
		for _, i := range kg.nodes {
			grp.Nodes = append(grp.Nodes, n.Nodes[i].ID)
		}
		pos.Groups = append(pos.Groups, grp)
	}
	return pos, nil
}
