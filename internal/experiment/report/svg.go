package report

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The plots are drawn by hand: a few lines, markers and bars need no
// library. Every coordinate goes through num, which never writes NaN or
// infinity, and every string through html.EscapeString.

// plotWidth is the width of every plot in SVG user units; the page scales
// it with the viewBox.
const plotWidth = 720.0

// num formats a coordinate to one decimal; a non-finite value becomes 0 so
// a bug elsewhere cannot write NaN into the SVG.
func num(v float64) string {
	if !finite(v) {
		v = 0
	}
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// esc escapes a string for SVG text and attributes.
func esc(s string) string { return html.EscapeString(s) }

// svgDoc builds one SVG element.
type svgDoc struct {
	b strings.Builder
}

func (d *svgDoc) open(h float64, label string) {
	fmt.Fprintf(&d.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" role="img" aria-label="%s">`+"\n",
		num(plotWidth), num(h), esc(label))
}

func (d *svgDoc) close() string {
	d.b.WriteString("</svg>\n")
	return d.b.String()
}

func (d *svgDoc) line(x1, y1, x2, y2 float64, class string) {
	fmt.Fprintf(&d.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="%s"/>`+"\n", num(x1), num(y1), num(x2), num(y2), class)
}

// text writes a label; anchor is start, middle or end.
func (d *svgDoc) text(x, y float64, anchor, class, s string) {
	fmt.Fprintf(&d.b, `<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`+"\n", num(x), num(y), anchor, class, esc(s))
}

// placeholder writes a small plot saying why there is nothing to draw.
func placeholder(label, why string) string {
	var d svgDoc
	d.open(60, label)
	d.text(plotWidth/2, 35, "middle", "note", why)
	return d.close()
}

// legend writes one swatch and name per variant, wrapping into rows, from
// the top of the plot; it returns the height it took.
func (d *svgDoc) legend(names []string, pal *palette) float64 {
	const rowH, left = 18.0, 60.0
	x, y := left, 16.0
	for _, n := range names {
		w := 30 + 7*float64(len([]rune(n)))
		if x+w > plotWidth-10 && x > left {
			x, y = left, y+rowH
		}
		fmt.Fprintf(&d.b, `<rect x="%s" y="%s" width="12" height="12" fill="%s"/>`+"\n", num(x), num(y-10), pal.of(n))
		d.text(x+16, y, "start", "legend", n)
		x += w
	}
	return y + 12
}

// axis maps data values to plot coordinates, linearly or by log10.
type axis struct {
	lo, hi float64
	log    bool
	// whole keeps the ticks on whole numbers (rounds).
	whole  bool
	p0, p1 float64 // plot coordinates of lo and hi
}

func (a axis) pos(v float64) float64 {
	lo, hi := a.lo, a.hi
	if a.log {
		if v <= 0 {
			v = a.lo
		}
		v, lo, hi = math.Log10(v), math.Log10(lo), math.Log10(hi)
	}
	if hi == lo {
		return (a.p0 + a.p1) / 2
	}
	return a.p0 + (v-lo)/(hi-lo)*(a.p1-a.p0)
}

// niceStep returns a round step (1, 2 or 5 times a power of ten) that cuts
// span into about n pieces.
func niceStep(span float64, n int) float64 {
	if !finite(span) || span <= 0 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// ticks returns the tick values of a and their labels.
func (a axis) ticks() ([]float64, []string) {
	var vs []float64
	var labels []string
	if a.log {
		for e := math.Floor(math.Log10(a.lo)); e <= math.Ceil(math.Log10(a.hi)); e++ {
			for _, m := range []float64{1, 2, 5} {
				v := m * math.Pow(10, e)
				if v >= a.lo*(1-1e-9) && v <= a.hi*(1+1e-9) {
					vs = append(vs, v)
					labels = append(labels, tickLabel(v, v))
				}
			}
		}
		return vs, labels
	}
	step := niceStep(a.hi-a.lo, 5)
	if a.whole {
		step = math.Max(1, math.Round(step))
	}
	for k := math.Ceil(a.lo/step - 1e-9); k*step <= a.hi+step*1e-9 && len(vs) < 50; k++ {
		vs = append(vs, k*step)
		labels = append(labels, tickLabel(k*step, step))
	}
	return vs, labels
}

// tickLabel formats v with as many decimals as step needs.
func tickLabel(v, step float64) string {
	d := 0
	if step > 0 && step < 1 {
		d = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', d, 64)
}

// niceRange widens lo..hi to whole steps so the ticks frame the data,
// without crossing below 0 when the data does not.
func niceRange(lo, hi float64, from0 bool) (float64, float64) {
	if from0 && lo > 0 {
		lo = 0
	}
	if hi <= lo {
		lo, hi = lo-1, hi+1
		if from0 && lo < 0 && hi > 0 {
			lo = 0
		}
	}
	step := niceStep(hi-lo, 5)
	nlo, nhi := math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	if lo >= 0 && nlo < 0 {
		nlo = 0 // latencies and costs are never negative
	}
	return nlo, nhi
}

// frame draws the axes, grid lines and tick labels of a plot area.
func (d *svgDoc) frame(x, y axis, xLabel, yLabel string, yPercent bool) {
	xs, xl := x.ticks()
	for i, v := range xs {
		px := x.pos(v)
		d.line(px, y.p1, px, y.p0, "grid")
		d.text(px, y.p0+16, "middle", "tick", xl[i])
	}
	ys, yl := y.ticks()
	for i, v := range ys {
		py := y.pos(v)
		d.line(x.p0, py, x.p1, py, "grid")
		if yPercent {
			yl[i] = fmtShare(v)
		}
		d.text(x.p0-6, py+4, "end", "tick", yl[i])
	}
	d.line(x.p0, y.p0, x.p1, y.p0, "axis")
	d.line(x.p0, y.p0, x.p0, y.p1, "axis")
	d.text((x.p0+x.p1)/2, y.p0+34, "middle", "label", xLabel)
	fmt.Fprintf(&d.b, `<text x="%s" y="%s" text-anchor="middle" class="label" transform="rotate(-90 %s %s)">%s</text>`+"\n",
		num(14), num((y.p0+y.p1)/2), num(14), num((y.p0+y.p1)/2), esc(yLabel))
}

// maxPoints bounds the points of one CDF line.
const maxPoints = 400

// cdfPlot draws the empirical CDF of every variant's latency samples.
func cdfPlot(r *Report, pal *palette) string {
	const label = "Latency distribution per variant"
	type series struct {
		name string
		xs   []float64
	}
	var all []series
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range r.Variants {
		var xs []float64
		for _, s := range v.Samples {
			if finite(s) && s >= 0 {
				xs = append(xs, s)
			}
		}
		if len(xs) == 0 {
			continue
		}
		slices.Sort(xs)
		lo, hi = math.Min(lo, xs[0]), math.Max(hi, xs[len(xs)-1])
		all = append(all, series{v.Name, xs})
	}
	if len(all) == 0 {
		return placeholder(label, "no latency samples")
	}
	var d svgDoc
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.name
	}
	var body svgDoc
	top := body.legend(names, pal) + 14
	const plotH = 260.0
	h := top + plotH + 50
	x := axis{p0: 60, p1: plotWidth - 20}
	if lo > 0 && hi/lo > 10 {
		// Whole decades around the data: the ticks land on 1, 2, 5.
		x.log = true
		x.lo, x.hi = math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
	} else {
		x.lo, x.hi = niceRange(lo, hi, false)
	}
	y := axis{lo: 0, hi: 1, p0: top + plotH, p1: top}
	d.open(h, label)
	d.b.WriteString(body.b.String())
	xLabel := "end-to-end latency, ms"
	if x.log {
		xLabel += " (log scale)"
	}
	d.frame(x, y, xLabel, "fraction of requests", true)
	for _, s := range all {
		n := len(s.xs)
		var p strings.Builder
		fmt.Fprintf(&p, "M%s %s", num(x.pos(s.xs[0])), num(y.pos(0)))
		step := 1
		if n > maxPoints {
			step = (n + maxPoints - 1) / maxPoints
		}
		for i := 0; i < n; i += step {
			j := min(i+step, n) - 1 // last sample of the step: the CDF reaches (j+1)/n
			fmt.Fprintf(&p, "H%sV%s", num(x.pos(s.xs[j])), num(y.pos(float64(j+1)/float64(n))))
		}
		fmt.Fprintf(&d.b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"><title>%s</title></path>`+"\n",
			p.String(), pal.of(s.name), esc(fmt.Sprintf("%s: %d samples", s.name, n)))
	}
	return d.close()
}

// roundsPlot draws the median latency of every variant in every round.
func roundsPlot(r *Report, pal *palette) string {
	const label = "Median latency per round"
	var names []string
	byName := map[string][]RoundRow{}
	lo, hi := math.Inf(1), math.Inf(-1)
	rlo, rhi := math.Inf(1), math.Inf(-1)
	for _, x := range r.Rounds {
		if !finite(x.Median) {
			continue
		}
		if _, ok := byName[x.Variant]; !ok {
			names = append(names, x.Variant)
		}
		byName[x.Variant] = append(byName[x.Variant], x)
		lo, hi = math.Min(lo, x.Median), math.Max(hi, x.Median)
		rlo, rhi = math.Min(rlo, float64(x.Round)), math.Max(rhi, float64(x.Round))
	}
	if len(names) == 0 {
		return placeholder(label, "no rounds")
	}
	// Colours in the order of the variants, not of the first round.
	slices.SortStableFunc(names, func(a, b string) int { return pal.index[a] - pal.index[b] })
	var body svgDoc
	top := body.legend(names, pal) + 14
	const plotH = 240.0
	x := axis{p0: 60, p1: plotWidth - 20, whole: true}
	if rhi-rlo < 1 {
		rlo, rhi = rlo-1, rhi+1
	}
	x.lo, x.hi = rlo, rhi
	y := axis{p0: top + plotH, p1: top}
	y.lo, y.hi = niceRange(lo, hi, false)
	var d svgDoc
	d.open(top+plotH+50, label)
	d.b.WriteString(body.b.String())
	d.frame(x, y, "round", "median latency, ms", false)
	for _, n := range names {
		rows := byName[n]
		slices.SortStableFunc(rows, func(a, b RoundRow) int { return a.Round - b.Round })
		var pts []string
		for _, row := range rows {
			pts = append(pts, num(x.pos(float64(row.Round)))+","+num(y.pos(row.Median)))
		}
		c := pal.of(n)
		fmt.Fprintf(&d.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5" stroke-opacity="0.7"/>`+"\n", strings.Join(pts, " "), c)
		for _, row := range rows {
			fmt.Fprintf(&d.b, `<circle cx="%s" cy="%s" r="3.5" fill="%s"><title>%s</title></circle>`+"\n",
				num(x.pos(float64(row.Round))), num(y.pos(row.Median)), c,
				esc(fmt.Sprintf("%s, round %d: %s ms", n, row.Round, fmtMs(row.Median))))
		}
	}
	return d.close()
}

// bar is one bar of a bar plot.
type bar struct {
	variant string
	value   float64
}

// barGroup is the bars drawn together under one label.
type barGroup struct {
	label string
	bars  []bar
}

// barPlot draws groups of horizontal bars; value formats a bar's label.
func barPlot(label, xLabel string, groups []barGroup, names []string, pal *palette, value func(float64) string) string {
	hi := 0.0
	have := false
	for _, g := range groups {
		for _, b := range g.bars {
			if finite(b.value) {
				hi, have = math.Max(hi, b.value), true
			}
		}
	}
	if !have {
		return placeholder(label, "no data")
	}
	const barH, gap, left, right = 14.0, 12.0, 150.0, 90.0
	var body svgDoc
	top := 10.0
	if len(names) > 0 {
		top = body.legend(names, pal) + 14
	}
	plotH := 0.0
	for _, g := range groups {
		plotH += float64(len(g.bars))*barH + gap
	}
	x := axis{p0: left, p1: plotWidth - right}
	x.lo, x.hi = niceRange(0, hi, true)
	var d svgDoc
	d.open(top+plotH+50, label)
	d.b.WriteString(body.b.String())
	xs, xl := x.ticks()
	for i, v := range xs {
		d.line(x.pos(v), top, x.pos(v), top+plotH, "grid")
		d.text(x.pos(v), top+plotH+16, "middle", "tick", xl[i])
	}
	d.text((x.p0+x.p1)/2, top+plotH+34, "middle", "label", xLabel)
	py := top + gap/2
	for _, g := range groups {
		gh := float64(len(g.bars)) * barH
		name := g.label
		if r := []rune(name); len(r) > 22 {
			name = string(r[:21]) + "…"
		}
		fmt.Fprintf(&d.b, `<text x="%s" y="%s" text-anchor="end" class="tick">%s<title>%s</title></text>`+"\n",
			num(left-8), num(py+gh/2+4), esc(name), esc(g.label))
		for _, b := range g.bars {
			if finite(b.value) {
				w := math.Max(0, x.pos(b.value)-x.p0)
				fmt.Fprintf(&d.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`+"\n",
					num(x.p0), num(py+1), num(w), num(barH-2), pal.of(b.variant), esc(b.variant+": "+value(b.value)))
				d.text(x.p0+w+4, py+barH-3, "start", "value", value(b.value))
			} else {
				d.text(x.p0+4, py+barH-3, "start", "value", b.variant+": no data")
			}
			py += barH
		}
		py += gap
	}
	d.line(x.p0, top, x.p0, top+plotH, "axis")
	return d.close()
}

// functionsPlot draws the time per request of every function in every
// variant.
func functionsPlot(r *Report, pal *palette) string {
	var groups []barGroup
	index := map[string]int{}
	seen := map[string]bool{}
	for _, f := range r.Functions {
		i, ok := index[f.Function]
		if !ok {
			i = len(groups)
			index[f.Function] = i
			groups = append(groups, barGroup{label: f.Function})
		}
		groups[i].bars = append(groups[i].bars, bar{f.Variant, f.PerRequest})
		seen[f.Variant] = true
	}
	var names []string
	for _, n := range pal.names {
		if seen[n] {
			names = append(names, n)
		}
	}
	for i := range groups {
		slices.SortStableFunc(groups[i].bars, func(a, b bar) int { return pal.index[a.variant] - pal.index[b.variant] })
	}
	return barPlot("Time per request in each function", "ms per request", groups, names, pal,
		func(v float64) string { return fmtMs(v) + " ms" })
}

// costPlot draws the cost per request of every variant.
func costPlot(r *Report, pal *palette) string {
	var groups []barGroup
	for _, v := range r.Variants {
		c := v.CostPerRequest * perMillion
		if v.Requests == 0 {
			c = math.NaN()
		}
		groups = append(groups, barGroup{label: v.Name, bars: []bar{{v.Name, c}}})
	}
	return barPlot("Cost per request", "US dollars per million requests", groups, nil, pal,
		func(v float64) string { return fmtCost(v / perMillion) })
}
