package diagram

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
)

// TestLayoutPositions checks what the dashboard relies on: every node has a
// box inside the picture, no two boxes overlap, every node is in exactly
// one group, and the answer does not depend on the order of nodes and edges.
func TestLayoutPositions(t *testing.T) {
	for _, c := range []struct {
		name string
		g    stack.Graph
	}{
		{"empty", stack.Graph{}},
		{"s3-get-object", s3GetObject()},
		{"genome-search", genomeSearch()},
		{"awkward", awkward()},
		{"generated-40", generated(40, 7)},
	} {
		t.Run(c.name, func(t *testing.T) {
			pos, err := Layout(c.g)
			if err != nil {
				t.Fatal(err)
			}
			if len(pos.Nodes) != len(c.g.Nodes) {
				t.Fatalf("got %d positioned nodes, want %d", len(pos.Nodes), len(c.g.Nodes))
			}
			ids := make([]string, 0, len(pos.Nodes))
			for _, n := range c.g.Nodes {
				b, ok := pos.Nodes[n.ID]
				if !ok {
					t.Fatalf("node %s has no position", n.ID)
				}
				if b.W <= 0 || b.H <= 0 || b.X-b.W/2 < 0 || b.Y-b.H/2 < 0 || b.X+b.W/2 > pos.Width || b.Y+b.H/2 > pos.Height {
					t.Errorf("node %s at %+v is not inside the %gx%g picture", n.ID, b, pos.Width, pos.Height)
				}
				ids = append(ids, n.ID)
			}
			for i, a := range ids {
				for _, b := range ids[i+1:] {
					if p, q := pos.Nodes[a], pos.Nodes[b]; overlap(p, q) {
						t.Errorf("boxes of %s %+v and %s %+v overlap", a, p, b, q)
					}
				}
			}
			var grouped []string
			for _, g := range pos.Groups {
				if g.ID != "group_"+string(g.Kind) || g.Label == "" {
					t.Errorf("group %+v: want id group_<kind> and a label", g)
				}
				grouped = append(grouped, g.Nodes...)
			}
			slices.Sort(grouped)
			slices.Sort(ids)
			if !slices.Equal(grouped, ids) {
				t.Errorf("groups hold %v, want every node once: %v", grouped, ids)
			}

			// Shuffled input, same answer.
			r := rand.New(rand.NewPCG(1, 2))
			sh := stack.Graph{Nodes: slices.Clone(c.g.Nodes), Edges: slices.Clone(c.g.Edges)}
			for range 3 {
				r.Shuffle(len(sh.Nodes), func(i, j int) { sh.Nodes[i], sh.Nodes[j] = sh.Nodes[j], sh.Nodes[i] })
				r.Shuffle(len(sh.Edges), func(i, j int) { sh.Edges[i], sh.Edges[j] = sh.Edges[j], sh.Edges[i] })
				again, err := Layout(sh)
				if err != nil || !reflect.DeepEqual(again, pos) {
					t.Fatalf("layout of the shuffled graph differs: %v\n got %+v\nwant %+v", err, again, pos)
				}
			}
		})
	}
}

func overlap(p, q Box) bool {
	return p.X-p.W/2 < q.X+q.W/2 && q.X-q.W/2 < p.X+p.W/2 &&
		p.Y-p.H/2 < q.Y+q.H/2 && q.Y-q.H/2 < p.Y+p.H/2
}

// The positions are the SVG's: the picture has the same size.
func TestLayoutMatchesSVG(t *testing.T) {
	g := genomeSearch()
	pos, err := Layout(g)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := normalize(g)
	pic := layout(n)
	if pos.Width != pic.W || pos.Height != pic.H {
		t.Errorf("Layout is %gx%g, the SVG picture %gx%g", pos.Width, pos.Height, pic.W, pic.H)
	}
}

func TestLayoutInvalidGraph(t *testing.T) {
	g := stack.Graph{Nodes: []stack.Node{{ID: "A"}}, Edges: []stack.Edge{{From: "A", To: "B"}}}
	if _, err := Layout(g); !errors.Is(err, ErrInvalidGraph) {
		t.Errorf("Layout of an edge to no node: %v, want ErrInvalidGraph", err)
	}
}
