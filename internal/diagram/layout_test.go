package diagram

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
)

func flowEdges(pairs ...[2]int) []layerEdge {
	out := make([]layerEdge, len(pairs))
	for i, p := range pairs {
		out[i] = layerEdge{from: p[0], to: p[1], flow: true}
	}
	return out
}

func TestAssignLayers(t *testing.T) {
	dep := func(a, b int) layerEdge { return layerEdge{from: a, to: b} }
	tests := []struct {
		name  string
		n     int
		edges []layerEdge
		want  []int
	}{
		{"no edges", 3, nil, []int{0, 0, 0}},
		{"chain", 3, flowEdges([2]int{0, 1}, [2]int{1, 2}), []int{0, 1, 2}},
		{"diamond", 4, flowEdges([2]int{0, 1}, [2]int{0, 2}, [2]int{1, 3}, [2]int{2, 3}), []int{0, 1, 1, 2}},
		{"longest path wins", 4, flowEdges([2]int{0, 1}, [2]int{1, 2}, [2]int{2, 3}, [2]int{0, 3}), []int{0, 1, 2, 3}},
		// 3 is a source feeding only 2: it moves next to it
		{"source moves right", 4, flowEdges([2]int{0, 1}, [2]int{1, 2}, [2]int{3, 2}), []int{0, 1, 2, 1}},
		{"two-cycle", 2, flowEdges([2]int{0, 1}, [2]int{1, 0}), []int{0, 1}},
		// a cycle of a data edge and a trigger: the trigger keeps its direction
		{"trigger kept in a cycle", 2, []layerEdge{{from: 0, to: 1, flow: true}, {from: 1, to: 0, flow: true, trigger: true}}, []int{1, 0}},
		// the short chain 4 -> 5 -> 3 moves right, next to its end
		{"short chain moves to its sink", 6, flowEdges([2]int{0, 1}, [2]int{1, 2}, [2]int{2, 3}, [2]int{4, 5}, [2]int{5, 3}), []int{0, 1, 2, 3, 1, 2}},
		// 3 feeds 1 and 2: it stays next to the nearer, 1
		{"fan-out stays", 4, flowEdges([2]int{0, 1}, [2]int{1, 2}, [2]int{3, 2}, [2]int{3, 1}), []int{0, 1, 2, 0}},
		{"three-cycle", 3, flowEdges([2]int{0, 1}, [2]int{1, 2}, [2]int{2, 0}), []int{0, 1, 2}},
		{"self loop", 2, flowEdges([2]int{0, 0}, [2]int{0, 1}), []int{0, 1}},
		// 2 has only a dependency on it from 1: it goes right after 1
		{"depended on", 3, append(flowEdges([2]int{0, 1}), dep(1, 2)), []int{0, 1, 2}},
		// 2 depends on 0 only: it goes right before 0, which shifts the rest
		{"depends on", 3, append(flowEdges([2]int{0, 1}), dep(2, 0)), []int{1, 2, 0}},
		// a dependency between two flow nodes does not move them
		{"dependency between flow nodes", 3, append(flowEdges([2]int{0, 1}, [2]int{1, 2}), dep(2, 0)), []int{0, 1, 2}},
		// nodes with only dependencies among themselves make their own chain
		{"dependency chain", 3, []layerEdge{dep(0, 1), dep(1, 2)}, []int{0, 1, 2}},
		{"dependency cycle", 2, []layerEdge{dep(0, 1), dep(1, 0)}, []int{0, 1}},
		// 3 depends on 2, which depends on flow node 0: 3 before 2 before 0
		{"dependency chain into flow", 4, append(flowEdges([2]int{0, 1}), dep(2, 0), dep(3, 2)), []int{2, 3, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := assignLayers(tt.n, tt.edges)
			if !slices.Equal(got, tt.want) {
				t.Errorf("assignLayers = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLayersGoRight checks, on generated DAGs, that every flow edge goes
// from a lower layer to a higher one and that layers start at 0.
func TestLayersGoRight(t *testing.T) {
	for seed := range uint64(20) {
		g := generated(300, seed)
		// keep only the edges that go forward, from a node to a later one
		index := map[string]int{}
		for i, n := range g.Nodes {
			index[n.ID] = i
		}
		g.Edges = slices.DeleteFunc(g.Edges, func(e stack.Edge) bool { return index[e.From] >= index[e.To] })
		_, le, _ := graphEdges(g)
		layer := assignLayers(len(g.Nodes), le)
		if slices.Min(layer) != 0 {
			t.Errorf("seed %d: lowest layer %d, want 0", seed, slices.Min(layer))
		}
		for _, e := range le {
			if e.flow && layer[e.from] >= layer[e.to] {
				t.Errorf("seed %d: flow edge %d -> %d goes from layer %d to %d", seed, e.from, e.to, layer[e.from], layer[e.to])
			}
		}
	}
}

// TestCyclesEnd lays out graphs made of nothing but cycles.
func TestCyclesEnd(t *testing.T) {
	for _, n := range []int{1, 2, 3, 10, 200} {
		var g stack.Graph
		for i := range n {
			g.Nodes = append(g.Nodes, node(fmt.Sprintf("N%03d", i), stack.KindFunction, ""))
		}
		for i := range n {
			for _, d := range []int{1, 2, n / 2} {
				g.Edges = append(g.Edges, edge(g.Nodes[i].ID, g.Nodes[(i+d)%n].ID, stack.EdgeTrigger, "x"))
			}
		}
		pic := layout(g)
		checkPicture(t, "cycles", pic)
	}
}

// checkPicture checks what every picture must satisfy: finite coordinates
// inside the canvas, the boxes of a layer centred in one column, columns
// left to right, and no two boxes overlapping.
func checkPicture(t *testing.T, name string, pic picture) {
	t.Helper()
	inside := func(what string, p point) {
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || p.X < 0 || p.Y < 0 || p.X > pic.W || p.Y > pic.H {
			t.Errorf("%s: %s at %v is outside the %vx%v picture", name, what, p, pic.W, pic.H)
		}
	}
	centre := map[int]float64{}
	for _, b := range pic.Boxes {
		inside(b.Node.ID, point{b.X, b.Y})
		inside(b.Node.ID, point{b.X + b.W, b.Y + b.H})
		c, ok := centre[b.Layer]
		if !ok {
			centre[b.Layer] = b.X + b.W/2
		} else if math.Abs(c-(b.X+b.W/2)) > 1e-6 {
			t.Errorf("%s: box %s is centred at x %v, not in the column of layer %d at %v", name, b.Node.ID, b.X+b.W/2, b.Layer, c)
		}
	}
	for l := 1; l < pic.Layers; l++ {
		if c, ok := centre[l]; ok && c <= centre[l-1] {
			t.Errorf("%s: layer %d at x %v is not right of layer %d at %v", name, l, c, l-1, centre[l-1])
		}
	}
	for _, r := range pic.Routes {
		if r.Segs == nil {
			t.Errorf("%s: edge %s -> %s has no route", name, r.Edge.From, r.Edge.To)
			continue
		}
		inside("edge", r.From)
		for _, s := range r.Segs {
			inside("edge", s.To)
		}
	}
	// sweep by x so that large pictures stay fast
	idx := make([]int, len(pic.Boxes))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return int(math.Copysign(1, pic.Boxes[a].X-pic.Boxes[b].X)) })
	for k, i := range idx {
		a := pic.Boxes[i]
		for _, j := range idx[k+1:] {
			b := pic.Boxes[j]
			if b.X >= a.X+a.W {
				break
			}
			if a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				t.Errorf("%s: boxes %s %v and %s %v overlap", name, a.Node.ID, a, b.Node.ID, b)
			}
		}
	}
}

func TestLayoutPictures(t *testing.T) {
	for _, gg := range goldenGraphs {
		g, _ := normalize(gg.g())
		checkPicture(t, gg.name, layout(g))
	}
	for seed := range uint64(5) {
		g, err := normalize(generated(400, seed))
		if err != nil {
			t.Fatal(err)
		}
		checkPicture(t, "generated", layout(g))
	}
}

// TestLayoutFlowLeftToRight checks the picture of an acyclic stack: every
// trigger and data edge starts on the right side of its source, ends on the
// left side of its target, further right.
func TestLayoutFlowLeftToRight(t *testing.T) {
	g, _ := normalize(genomeSearch())
	g.Edges = slices.DeleteFunc(g.Edges, func(e stack.Edge) bool {
		return e.From == "SplitterFunction" && e.To == "UploadBucket" || e.From == "CleanupFunction" && e.To == "UploadBucket"
	})
	pic := layout(g)
	at := map[string]box{}
	for _, b := range pic.Boxes {
		at[b.Node.ID] = b
	}
	for _, r := range pic.Routes {
		if r.Edge.Kind == stack.EdgeDependency {
			continue
		}
		from, to := at[r.Edge.From], at[r.Edge.To]
		if from.Layer >= to.Layer {
			t.Errorf("%s (layer %d) -> %s (layer %d) does not go right", from.Node.ID, from.Layer, to.Node.ID, to.Layer)
		}
		end := r.Segs[len(r.Segs)-1].To
		if r.From.X != from.X+from.W || end.X != to.X {
			t.Errorf("%s -> %s runs from x %v to %v, want %v to %v", from.Node.ID, to.Node.ID, r.From.X, end.X, from.X+from.W, to.X)
		}
	}
}

func TestReduceCrossings(t *testing.T) {
	// Two layers, edges 0->3, 1->2: drawn in index order they cross once.
	lg := newLayered([]int{0, 0, 1, 1}, [][2]int{{0, 3}, {1, 2}}, []int{0, 0, 0, 0})
	if c := lg.crossings(); c != 1 {
		t.Fatalf("crossings before = %d, want 1", c)
	}
	lg.reduceCrossings(4)
	if c := lg.crossings(); c != 0 {
		t.Errorf("crossings after = %d, want 0 (ranks %v)", c, lg.ranks)
	}
	// A long edge gets a dummy per layer it crosses.
	lg = newLayered([]int{0, 1, 2, 3}, [][2]int{{0, 3}, {0, 1}}, []int{0, 0, 0, 0})
	if got := len(lg.chains[0]); got != 4 {
		t.Errorf("chain of 0->3 has %d vertices, want 4", got)
	}
}

func TestCrossingsCount(t *testing.T) {
	// K(3,3) drawn in order: every pair of edges with distinct ends whose
	// order flips crosses; that is 9 for a complete bipartite graph of 3+3.
	var edges [][2]int
	for a := range 3 {
		for b := 3; b < 6; b++ {
			edges = append(edges, [2]int{a, b})
		}
	}
	lg := newLayered([]int{0, 0, 0, 1, 1, 1}, edges, make([]int, 6))
	if c := lg.crossings(); c != 9 {
		t.Errorf("crossings of K(3,3) = %d, want 9", c)
	}
}

func TestFitLayer(t *testing.T) {
	// three boxes of height 10 with the node gap between them
	sep := 10 + nodeGapY
	tests := []struct {
		name    string
		desired []float64
		want    []float64
	}{
		{"room enough", []float64{0, 100, 200}, []float64{0, 100, 200}},
		{"all want the same place", []float64{50, 50, 50}, []float64{50 - sep, 50, 50 + sep}},
		{"out of order", []float64{100, 0, 200}, []float64{50 - sep/2, 50 + sep/2, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lg := &layered{real: 3}
			y := make([]float64, 3)
			lg.fitLayer([]int{0, 1, 2}, []float64{10, 10, 10}, tt.desired, y)
			for i := range y {
				if math.Abs(y[i]-tt.want[i]) > 1e-9 {
					t.Fatalf("y = %v, want %v", y, tt.want)
				}
			}
		})
	}
}

func TestFit(t *testing.T) {
	long := "AVeryLongLogicalIdThatCannotPossiblyFitInsideOneBoxOfTheDiagram"
	got := fit(long, labelSize, 100)
	if textWidth(got, labelSize) > 100 || got[len(got)-len("…"):] != "…" {
		t.Errorf("fit(long) = %q (width %v), want at most 100 wide ending in …", got, textWidth(got, labelSize))
	}
	if got := fit("short", labelSize, 100); got != "short" {
		t.Errorf("fit(short) = %q, want it unchanged", got)
	}
}

func TestLayoutDeterministic(t *testing.T) {
	g, _ := normalize(generated(500, 11))
	var a, b bytes.Buffer
	writeSVG(&a, g, layout(g))
	writeSVG(&b, g, layout(g))
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two layouts of one graph differ")
	}
}
