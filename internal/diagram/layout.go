package diagram

import (
	"cmp"
	"slices"

	"github.com/stacklab/stacklab/internal/stack"
)

// The SVG picture is laid out in the classic layered (Sugiyama) way, in pure
// functions from a graph to numbers so that it is tested with plain tables:
//
//  1. layers (here): trigger and data edges are made acyclic (a depth-first
//     search from the nodes no trigger reaches turns round the edges that
//     close a cycle, data edges before triggers) and every node goes to the
//     layer after its longest chain of predecessors; then, from the sinks
//     back, a node moves right next to its nearest successor when that
//     shortens as many edges as it lengthens. Nodes with no trigger or data
//     edge go next to the nodes they depend on, or that depend on them.
//  2. order (here): edges longer than one layer get a dummy vertex in every
//     layer they cross, then barycenter sweeps, down and up, reduce
//     crossings; the order with the fewest crossings wins.
//  3. coordinates (place.go): columns as wide as their widest box, gaps wide
//     enough for the edge labels in them; vertical positions from rounds that
//     pull each vertex towards its neighbours while keeping the order and the
//     spacing of its layer (an isotonic regression per layer).
//  4. routes (place.go): each edge is a chain of cubic Béziers through its
//     dummies; its label slides along the edge within one gap to a free place.
//
// Each step costs about O((V+E)·log V), V counting dummies, times a constant
// number of rounds.

// layerEdge is an edge between two node indexes, for layering. Flow edges
// (triggers and data) decide layers, triggers before data where a cycle must
// be broken; the others only place nodes that have no flow edge at all.
type layerEdge struct {
	from, to int
	flow     bool
	trigger  bool
}

// assignLayers returns a layer, from 0, for each of n nodes. For every flow
// edge that is not turned round to break a cycle, layer(from) < layer(to).
func assignLayers(n int, edges []layerEdge) []int {
	layer := make([]int, n)
	if n == 0 {
		return layer
	}

	// Flow edges, made acyclic. The search starts from nodes that no trigger
	// reaches and follows triggers first, so that where a cycle must be
	// broken (a function writing to the bucket that triggers it) it is a data
	// edge that turns round, not the trigger.
	var flow [][2]int
	isolated := make([]bool, n)
	for i := range isolated {
		isolated[i] = true
	}
	triggered := make([]bool, n)
	for _, pass := range []bool{true, false} {
		for _, e := range edges {
			if e.flow && e.trigger == pass && e.from != e.to {
				flow = append(flow, [2]int{e.from, e.to})
				isolated[e.from], isolated[e.to] = false, false
				triggered[e.to] = triggered[e.to] || e.trigger
			}
		}
	}
	roots := seq(n)
	slices.SortStableFunc(roots, func(a, b int) int { return cmpBool(triggered[a], triggered[b]) })
	dag := acyclic(n, flow, roots)
	order := topoOrder(n, dag)
	in, out := adjacency(n, dag)
	for _, v := range order {
		for _, u := range in[v] {
			layer[v] = max(layer[v], layer[u]+1)
		}
	}
	// Balance: from the sinks back, a node moves right, next to its nearest
	// successor, when that shortens at least as many edges as it lengthens.
	// Sources thus sit next to what they feed.
	for i := len(order) - 1; i >= 0; i-- {
		v := order[i]
		if len(out[v]) == 0 || len(out[v]) < len(in[v]) {
			continue
		}
		m := layer[out[v][0]]
		for _, w := range out[v][1:] {
			m = min(m, layer[w])
		}
		layer[v] = m - 1
	}

	// Nodes with no flow edge: after what depends on them, else before what
	// they depend on, else (a group of their own) from layer 0.
	var among [][2]int // dependency edges between two such nodes
	din := make([][]int, n)
	dout := make([][]int, n)
	for _, e := range edges {
		if e.flow || e.from == e.to || !isolated[e.from] && !isolated[e.to] {
			continue
		}
		if isolated[e.from] && isolated[e.to] {
			among = append(among, [2]int{e.from, e.to})
			continue
		}
		dout[e.from] = append(dout[e.from], e.to)
		din[e.to] = append(din[e.to], e.from)
	}
	among = acyclic(n, among, nil)
	for _, e := range among {
		dout[e[0]] = append(dout[e[0]], e[1])
		din[e[1]] = append(din[e[1]], e[0])
	}
	placed := make([]bool, n)
	for v := range placed {
		placed[v] = !isolated[v]
	}
	var iso []int
	for _, v := range topoOrder(n, among) {
		if isolated[v] {
			iso = append(iso, v)
		}
	}
	after := func(v int, force bool) {
		best, ok := 0, force
		for _, u := range din[v] {
			if placed[u] && (!ok || layer[u]+1 > best) {
				best, ok = layer[u]+1, true
			}
		}
		if ok {
			layer[v], placed[v] = best, true
		}
	}
	for _, v := range iso {
		after(v, false)
	}
	for i := len(iso) - 1; i >= 0; i-- {
		v := iso[i]
		if placed[v] {
			continue
		}
		for _, w := range dout[v] {
			if placed[w] && (!placed[v] || layer[w]-1 < layer[v]) {
				layer[v], placed[v] = layer[w]-1, true
			}
		}
	}
	for _, v := range iso {
		if !placed[v] {
			after(v, true)
		}
	}

	lo := slices.Min(layer)
	for v := range layer {
		layer[v] -= lo
	}
	return layer
}

// acyclic returns edges with those that close a cycle turned round, found by
// a depth-first search that starts from roots in order (then from every other
// node in index order) and follows edges in the order given. Self loops must
// not be passed.
func acyclic(n int, edges [][2]int, roots []int) [][2]int {
	out := make([][]int, n)
	for i, e := range edges {
		out[e[0]] = append(out[e[0]], i)
	}
	const (
		unseen = iota
		active
		done
	)
	state := make([]uint8, n)
	dag := slices.Clone(edges)
	type frame struct{ v, next int }
	var stack []frame
	for _, s := range slices.Concat(roots, seq(n)) {
		if state[s] != unseen {
			continue
		}
		state[s] = active
		stack = append(stack, frame{s, 0})
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next == len(out[f.v]) {
				state[f.v] = done
				stack = stack[:len(stack)-1]
				continue
			}
			i := out[f.v][f.next]
			f.next++
			switch w := edges[i][1]; state[w] {
			case unseen:
				state[w] = active
				stack = append(stack, frame{w, 0})
			case active:
				dag[i] = [2]int{edges[i][1], edges[i][0]}
			}
		}
	}
	return dag
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// topoOrder returns the n nodes of the acyclic dag in topological order,
// taking ready nodes first come, first served from index order.
func topoOrder(n int, dag [][2]int) []int {
	indeg := make([]int, n)
	_, out := adjacency(n, dag)
	for _, e := range dag {
		indeg[e[1]]++
	}
	order := make([]int, 0, n)
	for v := range n {
		if indeg[v] == 0 {
			order = append(order, v)
		}
	}
	for i := 0; i < len(order); i++ {
		for _, w := range out[order[i]] {
			if indeg[w]--; indeg[w] == 0 {
				order = append(order, w)
			}
		}
	}
	return order
}

// adjacency returns the predecessors and successors of each of n nodes.
func adjacency(n int, edges [][2]int) (in, out [][]int) {
	in = make([][]int, n)
	out = make([][]int, n)
	for _, e := range edges {
		out[e[0]] = append(out[e[0]], e[1])
		in[e[1]] = append(in[e[1]], e[0])
	}
	return in, out
}

// layered is a graph whose edges all join adjacent layers: the real nodes
// (vertices 0..real-1) and one dummy vertex per layer that a long edge
// crosses.
type layered struct {
	real   int
	layer  []int   // per vertex
	ranks  [][]int // vertices of each layer, top to bottom
	pos    []int   // per vertex, its index in ranks[layer]
	up     [][]int // per vertex, its neighbours in the layer before
	down   [][]int // per vertex, its neighbours in the layer after
	chains [][]int // per edge, vertices from the lower layer to the higher; nil when both ends share a layer
}

// newLayered adds dummy vertices for the edges, given as node index pairs,
// of a graph of len(layer) nodes in layers. Within a layer, real nodes start
// ordered by rank (kind) then index, dummies after them.
func newLayered(layer []int, edges [][2]int, rank []int) *layered {
	n := len(layer)
	lg := &layered{real: n, layer: slices.Clone(layer), chains: make([][]int, len(edges))}
	lg.up = make([][]int, n)
	lg.down = make([][]int, n)
	link := func(u, v int) {
		lg.down[u] = append(lg.down[u], v)
		lg.up[v] = append(lg.up[v], u)
	}
	for i, e := range edges {
		a, b := e[0], e[1]
		if a < 0 || layer[a] == layer[b] {
			continue
		}
		if layer[a] > layer[b] {
			a, b = b, a
		}
		chain := []int{a}
		for l := layer[a] + 1; l < layer[b]; l++ {
			d := len(lg.layer)
			lg.layer = append(lg.layer, l)
			lg.up = append(lg.up, nil)
			lg.down = append(lg.down, nil)
			link(chain[len(chain)-1], d)
			chain = append(chain, d)
		}
		link(chain[len(chain)-1], b)
		lg.chains[i] = append(chain, b)
	}
	layers := 0
	if n > 0 {
		layers = slices.Max(layer) + 1
	}
	lg.ranks = make([][]int, layers)
	for v, l := range lg.layer {
		lg.ranks[l] = append(lg.ranks[l], v)
	}
	for _, r := range lg.ranks {
		slices.SortStableFunc(r, func(a, b int) int {
			if a < n && b < n {
				return cmp.Or(cmp.Compare(rank[a], rank[b]), cmp.Compare(a, b))
			}
			return cmp.Compare(a, b) // real nodes first, then dummies by creation
		})
	}
	lg.pos = make([]int, len(lg.layer))
	lg.renumber()
	return lg
}

func (lg *layered) renumber() {
	for _, r := range lg.ranks {
		for i, v := range r {
			lg.pos[v] = i
		}
	}
}

// reduceCrossings runs barycenter sweeps, down then up, keeping the order
// with the fewest crossings.
func (lg *layered) reduceCrossings(rounds int) {
	best := lg.crossings()
	saved := cloneRanks(lg.ranks)
	bary := make([]float64, len(lg.layer))
	for range rounds {
		if best == 0 {
			break
		}
		for l := 1; l < len(lg.ranks); l++ {
			lg.sortLayer(l, lg.up, bary)
		}
		for l := len(lg.ranks) - 2; l >= 0; l-- {
			lg.sortLayer(l, lg.down, bary)
		}
		if c := lg.crossings(); c < best {
			best = c
			saved = cloneRanks(lg.ranks)
		}
	}
	lg.ranks = saved
	lg.renumber()
}

// sortLayer orders layer l by the mean position of each vertex's neighbours
// (nbr); a vertex with none keeps its own position as key. Ties keep order.
func (lg *layered) sortLayer(l int, nbr [][]int, bary []float64) {
	r := lg.ranks[l]
	for _, v := range r {
		if len(nbr[v]) == 0 {
			bary[v] = float64(lg.pos[v])
			continue
		}
		sum := 0
		for _, u := range nbr[v] {
			sum += lg.pos[u]
		}
		bary[v] = float64(sum) / float64(len(nbr[v]))
	}
	slices.SortStableFunc(r, func(a, b int) int { return cmp.Compare(bary[a], bary[b]) })
	for i, v := range r {
		lg.pos[v] = i
	}
}

// crossings counts pairs of crossing edges between adjacent layers, with a
// Fenwick tree over the positions in the lower layer: O(E log V).
func (lg *layered) crossings() int {
	total := 0
	var tree []int
	var ends []int
	for l := 0; l+1 < len(lg.ranks); l++ {
		size := len(lg.ranks[l+1])
		tree = slices.Grow(tree[:0], size+1)[:size+1]
		clear(tree)
		seen := 0
		for _, u := range lg.ranks[l] {
			ends = ends[:0]
			for _, v := range lg.down[u] {
				ends = append(ends, lg.pos[v])
			}
			slices.Sort(ends)
			for _, p := range ends {
				// edges seen so far that end below p cross this one
				le := 0
				for i := p + 1; i > 0; i -= i & -i {
					le += tree[i]
				}
				total += seen - le
			}
			for _, p := range ends {
				for i := p + 1; i <= size; i += i & -i {
					tree[i]++
				}
				seen++
			}
		}
	}
	return total
}

func cloneRanks(r [][]int) [][]int {
	out := make([][]int, len(r))
	for i := range r {
		out[i] = slices.Clone(r[i])
	}
	return out
}

// graphEdges returns the edges of g as index pairs into g.Nodes, skipping
// edges whose ends are not nodes, and the layering view of the same edges.
func graphEdges(g stack.Graph) (pairs [][2]int, le []layerEdge, index map[string]int) {
	index = make(map[string]int, len(g.Nodes))
	for i, n := range g.Nodes {
		index[n.ID] = i
	}
	pairs = make([][2]int, len(g.Edges))
	for i, e := range g.Edges {
		a, okA := index[e.From]
		b, okB := index[e.To]
		if !okA || !okB {
			pairs[i] = [2]int{-1, -1}
			continue
		}
		pairs[i] = [2]int{a, b}
		le = append(le, layerEdge{from: a, to: b,
			flow:    e.Kind != stack.EdgeDependency,
			trigger: e.Kind != stack.EdgeDependency && e.Kind != stack.EdgeData})
	}
	return pairs, le, index
}
