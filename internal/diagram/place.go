package diagram

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/stacklab/stacklab/internal/stack"
)

// Geometry of the SVG picture, in pixels.
const (
	boxH          = 46.0
	boxMinW       = 124.0
	boxMaxW       = 252.0
	boxPadX       = 14.0
	captionSize   = 10.0
	labelSize     = 13.0
	edgeLabelSize = 10.5
	edgeLabelPadX = 5.0
	edgeLabelH    = 15.0
	edgeLabelMaxW = 190.0
	nodeGapY      = 26.0 // between two boxes of a layer
	dummyGapY     = 14.0 // next to an edge passing through a layer
	dummyWeight   = 2.0  // how much more a passing edge wants to stay straight
	layerGapMin   = 88.0 // between two layers
	labelGapPad   = 48.0 // added to the widest edge label in a gap
	loopGap       = 84.0 // room for an edge that leaves and enters one layer
	portSpacing   = 10.0 // between edge ends on one side of a box
	margin        = 24.0
	sweepRounds   = 8
	placeRounds   = 10
)

type point struct{ X, Y float64 }

// cubic is a cubic Bézier segment from the end of the previous one.
type cubic struct{ C1, C2, To point }

// box is a node of the picture; X and Y are its top left corner.
type box struct {
	Node       stack.Node
	Caption    string // kind caption, shortened to fit
	Text       string // label, shortened to fit
	Layer      int
	Order      int // position in its layer, from the top
	X, Y, W, H float64
}

// route is an edge of the picture: a path of cubic Béziers from From,
// ending on the border of the target box, and its label.
type route struct {
	Edge    stack.Edge
	From    point
	Segs    []cubic
	Label   string // as drawn, shortened to fit; empty for none
	LabelAt point  // centre of the label
	LabelW  float64
}

// picture is a laid out graph: boxes in graph node order, routes in graph
// edge order, and the size of the whole, margins included.
type picture struct {
	W, H   float64
	Layers int
	Boxes  []box
	Routes []route
}

// layout places the nodes and routes the edges of g. It is deterministic and
// depends on the order of g's nodes and edges only to break ties; Render
// passes it a normalized graph.
func layout(g stack.Graph) picture {
	f := &frame{g: g}
	n := len(g.Nodes)
	var le []layerEdge
	f.pairs, le, _ = graphEdges(g)
	f.layer = assignLayers(n, le)
	rank := make([]int, n)
	for i, nd := range g.Nodes {
		_, rank[i] = styleOf(nd.Kind)
	}
	f.lg = newLayered(f.layer, f.pairs, rank)
	f.lg.reduceCrossings(sweepRounds)
	f.pic = picture{Layers: len(f.lg.ranks), Boxes: make([]box, n), Routes: make([]route, len(g.Edges))}

	f.sizeBoxes()
	f.columns()
	h := make([]float64, len(f.lg.layer))
	for v := range n {
		h[v] = boxH
	}
	f.y = f.lg.placeY(h, placeRounds)
	for i := range f.pic.Boxes {
		b := &f.pic.Boxes[i]
		b.X = f.colX[b.Layer] + (f.colW[b.Layer]-b.W)/2
		b.Y = f.y[i] - b.H/2
	}
	f.route()
	f.placeLabels()
	f.pic.fitBounds()
	return f.pic
}

// frame is a layout between its steps.
type frame struct {
	g     stack.Graph
	pairs [][2]int // per edge, node indexes; -1 when an end is unknown
	layer []int    // per node
	lg    *layered
	y     []float64 // per vertex, its centre

	colX, colW []float64 // per layer
	gapW       []float64 // per layer, the gap after it
	gapOf      []int     // per edge, the gap its label sits in, or -1
	spots      []spot    // per edge, where its label may go
	pic        picture
}

// spot is where the label of an edge may go: on a segment of the edge that
// crosses a gap, its centre's x within [lo, hi]; or, when slide is false, at
// the label's given place only.
type spot struct {
	slide  bool
	start  point
	seg    cubic
	lo, hi float64
}

// sizeBoxes sizes every box to its caption and label and every edge label.
func (f *frame) sizeBoxes() {
	f.colW = make([]float64, len(f.lg.ranks))
	inner := boxMaxW - 2*boxPadX
	for i, nd := range f.g.Nodes {
		b := &f.pic.Boxes[i]
		b.Node, b.Layer, b.Order, b.H = nd, f.layer[i], f.lg.pos[i], boxH
		b.Caption = caption(nd)
		if !nd.Runs {
			b.Caption += " · not run"
		}
		b.Caption = fit(b.Caption, captionSize, inner)
		b.Text = fit(nodeText(nd), labelSize*boldFactor, inner)
		w := max(textWidth(b.Caption, captionSize), textWidth(b.Text, labelSize*boldFactor)) + 2*boxPadX
		b.W = math.Ceil(min(max(w, boxMinW), boxMaxW))
		f.colW[b.Layer] = max(f.colW[b.Layer], b.W)
	}
	for i, e := range f.g.Edges {
		r := &f.pic.Routes[i]
		r.Edge = e
		if t := strings.TrimSpace(cleanText(e.Label)); t != "" && f.pairs[i][0] >= 0 {
			r.Label = fit(t, edgeLabelSize, edgeLabelMaxW)
			r.LabelW = math.Ceil(textWidth(r.Label, edgeLabelSize) + 2*edgeLabelPadX)
		}
	}
}

// columns chooses the gap each edge label sits in (for a long edge, the one
// in the middle of its way) and makes columns as wide as their widest box and
// gaps wide enough for their labels; wider where several labels share a gap,
// so that they can slide apart.
func (f *frame) columns() {
	layers := len(f.lg.ranks)
	f.gapOf = make([]int, len(f.g.Edges))
	f.gapW = make([]float64, layers)
	widest := make([]float64, layers)
	count := make([]int, layers)
	loop := make([]float64, layers)
	for i := range f.g.Edges {
		f.gapOf[i] = -1
		a, w := f.pairs[i][0], f.pic.Routes[i].LabelW
		if a < 0 {
			continue
		}
		c := f.lg.chains[i]
		if c == nil {
			f.gapOf[i] = f.layer[a]
			loop[f.layer[a]] = max(loop[f.layer[a]], w+loopGap)
			continue
		}
		lo := f.layer[c[0]]
		span := f.layer[c[len(c)-1]] - lo
		k := (span - 1) / 2
		gap := lo + k
		if c[0] != a {
			gap = lo + span - 1 - k
		}
		f.gapOf[i] = gap
		if w > 0 {
			widest[gap] = max(widest[gap], w)
			count[gap]++
		}
	}
	f.colX = make([]float64, layers)
	for l := range layers {
		need := widest[l] + labelGapPad
		if count[l] > 1 {
			need = widest[l]*1.5 + labelGapPad
		}
		f.gapW[l] = math.Ceil(max(layerGapMin, need, loop[l]))
		if l > 0 {
			f.colX[l] = f.colX[l-1] + f.colW[l-1] + f.gapW[l-1]
		}
	}
}

// route draws every edge: a chain of Béziers through the dummies of a long
// edge, an arc beside the column for an edge within one layer, a loop for an
// edge from a node to itself.
func (f *frame) route() {
	boxes := f.pic.Boxes
	right := func(v int) float64 { return boxes[v].X + boxes[v].W }
	portA, portB := ports(f.lg, f.pairs, f.y)
	f.spots = make([]spot, len(f.g.Edges))
	for i := range f.g.Edges {
		r := &f.pic.Routes[i]
		a, b := f.pairs[i][0], f.pairs[i][1]
		if a < 0 {
			continue
		}
		switch c := f.lg.chains[i]; {
		case a == b:
			x, cy := right(a), f.y[a]
			r.From = point{x, cy - 7}
			r.Segs = []cubic{{point{x + 34, cy - 30}, point{x + 34, cy + 30}, point{x, cy + 7}}}
			r.LabelAt = point{x + 30 + r.LabelW/2, cy}
		case c == nil:
			l := f.layer[a]
			ya, yb := portA[i], portB[i]
			bx := f.colX[l] + f.colW[l] + 18 + min(46, math.Abs(ya-yb)*0.12)
			r.From = point{right(a), ya}
			r.Segs = []cubic{{point{bx, ya}, point{bx, yb}, point{right(b), yb}}}
			peak := 0.125*right(a) + 0.75*bx + 0.125*right(b)
			r.LabelAt = point{peak + 4 + r.LabelW/2, (ya + yb) / 2}
		default:
			from := point{right(c[0]), portA[i]}
			prev := from
			var segs []cubic
			labelSeg := -1
			for k := 1; k < len(c)-1; k++ {
				d := c[k]
				l := f.lg.layer[d]
				in, out := point{f.colX[l], f.y[d]}, point{f.colX[l] + f.colW[l], f.y[d]}
				if l-1 == f.gapOf[i] {
					labelSeg = len(segs)
				}
				segs = append(segs, curve(prev, in), line(in, out))
				prev = out
			}
			if labelSeg < 0 {
				labelSeg = len(segs)
			}
			segs = append(segs, curve(prev, point{boxes[c[len(c)-1]].X, portB[i]}))
			start := from
			if labelSeg > 0 {
				start = segs[labelSeg-1].To
			}
			gl := f.gapOf[i]
			gapL, gapR := f.colX[gl]+f.colW[gl], f.colX[gl+1]
			sp := spot{slide: true, start: start, seg: segs[labelSeg],
				lo: gapL + r.LabelW/2 + 6, hi: gapR - r.LabelW/2 - 6}
			if sp.lo > sp.hi {
				sp.lo = (gapL + gapR) / 2
				sp.hi = sp.lo
			}
			f.spots[i] = sp
			r.LabelAt = pointAtX(start, sp.seg, (sp.lo+sp.hi)/2)
			if c[0] == a {
				r.From, r.Segs = from, segs
			} else {
				r.From, r.Segs = reversePath(from, segs)
			}
		}
		if r.Label == "" {
			r.LabelAt, r.LabelW = point{}, 0
		}
	}
}

// placeLabels puts the labels of each gap, from the top, each at the first
// free place of a few along its edge (the middle first, then towards either
// end), or else below the labels in its way.
func (f *frame) placeLabels() {
	byGap := map[int][]int{}
	var gaps []int
	for i, r := range f.pic.Routes {
		if r.Label == "" || f.gapOf[i] < 0 {
			continue
		}
		if _, ok := byGap[f.gapOf[i]]; !ok {
			gaps = append(gaps, f.gapOf[i])
		}
		byGap[f.gapOf[i]] = append(byGap[f.gapOf[i]], i)
	}
	slices.Sort(gaps)
	routes := f.pic.Routes
	for _, gap := range gaps {
		idx := byGap[gap]
		slices.SortStableFunc(idx, func(a, b int) int {
			return cmp.Or(cmp.Compare(routes[a].LabelAt.Y, routes[b].LabelAt.Y), cmp.Compare(routes[a].LabelAt.X, routes[b].LabelAt.X))
		})
		var placed []int
		clash := func(p point, w float64) (route, bool) {
			for _, j := range placed {
				o := routes[j]
				if math.Abs(o.LabelAt.X-p.X) < (o.LabelW+w)/2+2 && math.Abs(o.LabelAt.Y-p.Y) < edgeLabelH+1 {
					return o, true
				}
			}
			return route{}, false
		}
		for _, i := range idx {
			r := &routes[i]
			p := r.LabelAt
			found := false
			if sp := f.spots[i]; sp.slide {
				for _, t := range []float64{0.5, 0.25, 0.75, 0, 1} {
					q := pointAtX(sp.start, sp.seg, sp.lo+t*(sp.hi-sp.lo))
					if _, bad := clash(q, r.LabelW); !bad {
						p, found = q, true
						break
					}
				}
			}
			for range len(placed) + 1 {
				if found {
					break
				}
				o, bad := clash(p, r.LabelW)
				if !bad {
					break
				}
				p.Y = o.LabelAt.Y + edgeLabelH + 1
			}
			r.LabelAt = p
			placed = append(placed, i)
		}
	}
}

// placeY returns a vertical centre for every vertex: each layer starts
// stacked, then rounds of sweeps pull every vertex towards the mean of its
// neighbours in the layer before (down) or after (up) while keeping the order
// and spacing of its layer; a last pass looks both ways.
func (lg *layered) placeY(h []float64, rounds int) []float64 {
	y := make([]float64, len(lg.layer))
	for _, r := range lg.ranks {
		c := lg.offsets(r, h)
		for k, v := range r {
			y[v] = c[k] - c[len(c)-1]/2
		}
	}
	desired := make([]float64, len(y))
	pull := func(l int, nbrs ...[][]int) {
		r := lg.ranks[l]
		for _, v := range r {
			sum, cnt := 0.0, 0
			for _, nb := range nbrs {
				for _, u := range nb[v] {
					sum += y[u]
					cnt++
				}
			}
			desired[v] = y[v]
			if cnt > 0 {
				desired[v] = sum / float64(cnt)
			}
		}
		lg.fitLayer(r, h, desired, y)
	}
	for range rounds {
		for l := 1; l < len(lg.ranks); l++ {
			pull(l, lg.up)
		}
		for l := len(lg.ranks) - 2; l >= 0; l-- {
			pull(l, lg.down)
		}
	}
	for l := range lg.ranks {
		pull(l, lg.up, lg.down)
	}
	return y
}

// offsets returns the smallest distance of each vertex of a layer from the
// first one, keeping boxes and passing edges apart.
func (lg *layered) offsets(r []int, h []float64) []float64 {
	c := make([]float64, len(r))
	for k := 1; k < len(r); k++ {
		gap := dummyGapY
		if r[k-1] < lg.real && r[k] < lg.real {
			gap = nodeGapY
		}
		c[k] = c[k-1] + (h[r[k-1]]+h[r[k]])/2 + gap
	}
	return c
}

// fitLayer sets y for the vertices r of one layer as close as it can (least
// squares) to desired while keeping their order and spacing: with the
// offsets c subtracted the constraint is a non-decreasing sequence, so this is
// an isotonic regression, solved by pooling adjacent violators in O(len(r)).
func (lg *layered) fitLayer(r []int, h, desired, y []float64) {
	if len(r) == 0 {
		return
	}
	c := lg.offsets(r, h)
	type block struct {
		sum, w float64
		n      int
	}
	blocks := make([]block, 0, len(r))
	for k, v := range r {
		w := 1.0
		if v >= lg.real {
			w = dummyWeight
		}
		blocks = append(blocks, block{(desired[v] - c[k]) * w, w, 1})
		for len(blocks) > 1 {
			p, q := blocks[len(blocks)-2], blocks[len(blocks)-1]
			if p.sum/p.w <= q.sum/q.w {
				break
			}
			blocks = blocks[:len(blocks)-1]
			blocks[len(blocks)-1] = block{p.sum + q.sum, p.w + q.w, p.n + q.n}
		}
	}
	k := 0
	for _, b := range blocks {
		z := b.sum / b.w
		for range b.n {
			y[r[k]] = z + c[k]
			k++
		}
	}
}

// ports spreads the ends of edges along the sides of boxes, ordered by where
// the other end is, so that edges leave and enter a box without crossing.
// portA is the y of the end at chain[0] (or the From of an edge within one
// layer), portB the one at the chain's end (or the To).
func ports(lg *layered, pairs [][2]int, y []float64) (portA, portB []float64) {
	type end struct {
		edge  int
		b     bool    // the B end of the edge
		other float64 // y of the next vertex along the edge
	}
	right := make([][]end, lg.real)
	left := make([][]end, lg.real)
	portA = make([]float64, len(pairs))
	portB = make([]float64, len(pairs))
	for i, p := range pairs {
		a, b := p[0], p[1]
		switch c := lg.chains[i]; {
		case a < 0 || a == b:
		case c == nil:
			right[a] = append(right[a], end{i, false, y[b]})
			right[b] = append(right[b], end{i, true, y[a]})
		default:
			right[c[0]] = append(right[c[0]], end{i, false, y[c[1]]})
			last := c[len(c)-1]
			left[last] = append(left[last], end{i, true, y[c[len(c)-2]]})
		}
	}
	for v := range lg.real {
		for _, side := range [][]end{right[v], left[v]} {
			slices.SortStableFunc(side, func(p, q end) int {
				return cmp.Or(cmp.Compare(p.other, q.other), cmp.Compare(p.edge, q.edge))
			})
			step := portSpacing
			if k := len(side); k > 1 {
				step = min(portSpacing, (boxH-16)/float64(k-1))
			}
			for k, e := range side {
				py := y[v] + (float64(k)-float64(len(side)-1)/2)*step
				if e.b {
					portB[e.edge] = py
				} else {
					portA[e.edge] = py
				}
			}
		}
	}
	return portA, portB
}

// curve is an S-shaped Bézier from p to q, leaving and arriving level.
func curve(p, q point) cubic {
	mx := (p.X + q.X) / 2
	return cubic{point{mx, p.Y}, point{mx, q.Y}, q}
}

// line is a straight segment from p to q as a Bézier.
func line(p, q point) cubic {
	return cubic{point{p.X + (q.X-p.X)/3, p.Y + (q.Y-p.Y)/3}, point{p.X + 2*(q.X-p.X)/3, p.Y + 2*(q.Y-p.Y)/3}, q}
}

// at is the point of the Bézier from p along s at t in [0,1].
func at(p point, s cubic, t float64) point {
	u := 1 - t
	a, b, c, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
	return point{a*p.X + b*s.C1.X + c*s.C2.X + d*s.To.X, a*p.Y + b*s.C1.Y + c*s.C2.Y + d*s.To.Y}
}

// pointAtX is the point of the Bézier from p along s whose x is x, found by
// bisection (x is monotonic along the curves made by curve); the middle of
// the curve when x is outside it.
func pointAtX(p point, s cubic, x float64) point {
	lo, hi := 0.0, 1.0
	if (p.X-x)*(s.To.X-x) > 0 {
		return at(p, s, 0.5)
	}
	increasing := s.To.X >= p.X
	for range 40 {
		mid := (lo + hi) / 2
		if (at(p, s, mid).X < x) == increasing {
			lo = mid
		} else {
			hi = mid
		}
	}
	return at(p, s, (lo+hi)/2)
}

// reversePath returns the same path walked from its end to its start.
func reversePath(from point, segs []cubic) (point, []cubic) {
	out := make([]cubic, len(segs))
	for k := range segs {
		s := segs[len(segs)-1-k]
		prev := from
		if j := len(segs) - 2 - k; j >= 0 {
			prev = segs[j].To
		}
		out[k] = cubic{s.C2, s.C1, prev}
	}
	return segs[len(segs)-1].To, out
}

// fitBounds moves everything so that the picture starts at the margin and
// sets its size. Béziers lie within their control points, so those bound them.
func (pic *picture) fitBounds() {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	grow := func(x0, y0, x1, y1 float64) {
		minX, minY = min(minX, x0), min(minY, y0)
		maxX, maxY = max(maxX, x1), max(maxY, y1)
	}
	for _, b := range pic.Boxes {
		grow(b.X, b.Y, b.X+b.W, b.Y+b.H)
	}
	for _, r := range pic.Routes {
		if r.Segs == nil {
			continue
		}
		grow(r.From.X, r.From.Y, r.From.X, r.From.Y)
		for _, s := range r.Segs {
			for _, p := range []point{s.C1, s.C2, s.To} {
				grow(p.X, p.Y, p.X, p.Y)
			}
		}
		if r.Label != "" {
			grow(r.LabelAt.X-r.LabelW/2, r.LabelAt.Y-edgeLabelH/2, r.LabelAt.X+r.LabelW/2, r.LabelAt.Y+edgeLabelH/2)
		}
	}
	if minX > maxX {
		pic.W, pic.H = 2*margin, 2*margin
		return
	}
	dx, dy := margin-minX, margin-minY
	move := func(p *point) { p.X += dx; p.Y += dy }
	for i := range pic.Boxes {
		pic.Boxes[i].X += dx
		pic.Boxes[i].Y += dy
	}
	for i := range pic.Routes {
		r := &pic.Routes[i]
		if r.Segs == nil {
			continue
		}
		move(&r.From)
		for k := range r.Segs {
			move(&r.Segs[k].C1)
			move(&r.Segs[k].C2)
			move(&r.Segs[k].To)
		}
		if r.Label != "" {
			move(&r.LabelAt)
		}
	}
	pic.W = math.Ceil(maxX - minX + 2*margin)
	pic.H = math.Ceil(maxY - minY + 2*margin)
}

// boldFactor is how much wider bold text is than regular.
const boldFactor = 1.07

// textWidth estimates the width of s in a sans-serif font of the given size,
// from rough per-character widths; SVG text is measured nowhere else, so the
// estimate errs on the wide side.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case strings.ContainsRune("iIjl.,:;|!'`", r):
			w += 0.3
		case strings.ContainsRune("frt()[]{}/\\-\" *", r):
			w += 0.38
		case strings.ContainsRune("mwMW@", r):
			w += 0.88
		case r >= 'A' && r <= 'Z':
			w += 0.68
		case r < 0x80:
			w += 0.57
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul):
			w += 1.0
		default:
			w += 0.62
		}
	}
	return w * size
}

// fit returns s, or its longest prefix followed by "…" that fits in width.
func fit(s string, size, width float64) string {
	if textWidth(s, size) <= width {
		return s
	}
	limit := width - textWidth("…", size)
	used := 0.0
	for i, r := range s {
		if used += textWidth(string(r), size); used > limit {
			return strings.TrimRight(s[:i], " ") + "…"
		}
	}
	return s
}
