package report

import (
	"html/template"
	"io"
)

// HTML writes r as one self-contained HTML page: the content of [Markdown]
// plus four plots (latency distributions, per-round medians, per-function
// time and cost per variant) as inline SVG. The page has inline CSS, no
// script and no external reference, so it works offline. Every string from
// r is escaped.
func HTML(w io.Writer, r *Report) error {
	if r == nil {
		return errNilReport
	}
	pal := newPalette(r)
	page := struct {
		*view
		CDFPlot, RoundsPlot, FunctionsPlot, CostPlot template.HTML
	}{
		view: newView(r),
		// The plots escape every string themselves (see svg.go).
		CDFPlot:       template.HTML(cdfPlot(r, pal)),
		RoundsPlot:    template.HTML(roundsPlot(r, pal)),
		FunctionsPlot: template.HTML(functionsPlot(r, pal)),
		CostPlot:      template.HTML(costPlot(r, pal)),
	}
	return pageTemplate.Execute(w, page)
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Experiment: {{.Title}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2329; background: #fff; margin: 0; }
main { max-width: 1040px; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #dde1e5; padding-bottom: .2rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.meta dt { color: #5b6670; }
dl.meta dd { margin: 0; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f3f5f7; padding: 0 .25rem; border-radius: 3px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 14px; min-width: 100%; }
th, td { padding: .3rem .55rem; border-bottom: 1px solid #e6e9ec; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-weight: 600; font-size: 13px; color: #fff; white-space: nowrap; }
.badge.supported { background: #1a7f37; }
.badge.rejected { background: #cf222e; }
.badge.inconclusive { background: #bf8700; }
.badge.unknown { background: #6e7781; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .35em; vertical-align: -.05em; }
.failed { color: #cf222e; }
ul.warnings li { color: #7d4e00; }
ul.failures li { color: #cf222e; }
figure { margin: 1rem 0 1.5rem; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
svg { width: 100%; height: auto; display: block; max-width: 880px; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2329; }
svg text.tick, svg text.value { fill: #5b6670; font-size: 11px; }
svg text.note { fill: #5b6670; font-style: italic; }
svg line.grid { stroke: #eceff2; stroke-width: 1; }
svg line.axis { stroke: #8c959f; stroke-width: 1; }
details summary { cursor: pointer; color: #0969da; }
</style>
</head>
<body>
<main>
<h1>Experiment: {{.Title}}</h1>
<dl class="meta">
{{- if .File}}
<dt>File</dt><dd><code>{{.File}}</code></dd>
{{- end}}
<dt>Ran</dt><dd>{{.Started}} to {{.Finished}} ({{.Duration}})</dd>
<dt>Design</dt><dd>{{.Design}}</dd>
{{- if .Workload}}
<dt>Workload</dt><dd>{{.Workload}}</dd>
{{- end}}
{{- if .Baseline}}
<dt>Baseline</dt><dd><strong>{{.Baseline}}</strong></dd>
{{- end}}
</dl>
{{- if .Clauses}}

<h2>Verdict</h2>
<div class="scroll"><table>
<thead><tr><th>Clause</th><th>Baseline</th><th>Variant</th><th>Ratio</th><th>Adjusted p</th><th>Effect</th><th>Verdict</th><th>Reason</th></tr></thead>
<tbody>
{{- range .Clauses}}
<tr><td>{{.Text}}</td><td class="n">{{.Baseline}}</td><td class="n">{{.Value}}</td><td class="n">{{.Ratio}}</td><td class="n">{{.PAdjusted}}</td><td class="n">{{.Effect}}</td><td><span class="badge {{.Class}}">{{.Verdict}}</span></td><td>{{.Reason}}</td></tr>
{{- end}}
</tbody>
</table></div>
{{- end}}
{{- if .Best}}

<h2>Best (power tuning)</h2>
<p>Strategy <strong>{{or .Best.Strategy "–"}}</strong> picks <strong>{{or .Best.Variant "–"}}</strong>{{if .Best.Reason}}: {{.Best.Reason}}{{end}}</p>
{{- end}}
{{- if .Variants}}

<h2>Variants</h2>
<div class="scroll"><table>
<thead><tr><th>Variant</th><th>Change</th><th>Memory</th><th>Requests</th><th>Errors</th><th>Cold</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>Cost per 1M requests</th><th>Throughput</th></tr></thead>
<tbody>
{{- range .Variants}}
<tr><td><span class="swatch" style="background: {{.Color}}"></span>{{.Name}}{{if .Failed}} <span class="failed">(failed)</span>{{end}}</td><td>{{.Description}}</td><td class="n">{{.Memory}}</td><td class="n">{{.Requests}}</td><td class="n">{{.Errors}}</td><td class="n">{{.Cold}}</td><td class="n">{{.P50}}</td><td class="n">{{.P95}}</td><td class="n">{{.P99}}</td><td class="n">{{.Cost}}</td><td class="n">{{.Throughput}}</td></tr>
{{- end}}
</tbody>
</table></div>
{{- end}}

<figure><figcaption>Latency distribution (share of requests at or under a latency)</figcaption>
{{.CDFPlot}}</figure>
<figure><figcaption>Median latency per round</figcaption>
{{.RoundsPlot}}</figure>
{{- if .Sources}}

<h2>Where the difference comes from</h2>
<ul>
{{- range .Sources}}
<li><strong>{{.Variant}}</strong>: {{.Text}}</li>
{{- end}}
</ul>
{{- end}}

<h2>Per function</h2>
<figure><figcaption>Time per request in each function</figcaption>
{{.FunctionsPlot}}</figure>
{{- if .Functions}}
<div class="scroll"><table>
<thead><tr><th>Function</th><th>Variant</th><th>Invocations</th><th>p50 ms</th><th>p95 ms</th><th>ms per request</th><th>Cost per 1M requests</th><th>Cold</th><th>Memory</th></tr></thead>
<tbody>
{{- range .Functions}}
<tr><td>{{.Function}}</td><td>{{.Variant}}</td><td class="n">{{.Invocations}}</td><td class="n">{{.P50}}</td><td class="n">{{.P95}}</td><td class="n">{{.PerRequest}}</td><td class="n">{{.Cost}}</td><td class="n">{{.ColdRate}}</td><td class="n">{{.Memory}}</td></tr>
{{- end}}
</tbody>
</table></div>
{{- end}}

<h2>Cost</h2>
<figure><figcaption>Cost per million requests</figcaption>
{{.CostPlot}}</figure>
{{- if .Rounds}}

<h2>Rounds</h2>
<details><summary>{{len .Rounds}} blocks in the order they ran</summary>
<div class="scroll"><table>
<thead><tr><th>Round</th><th>Slot</th><th>Variant</th><th>Requests</th><th>Errors</th><th>Median ms</th><th>p95 ms</th></tr></thead>
<tbody>
{{- range .Rounds}}
<tr><td class="n">{{.Round}}</td><td class="n">{{.Slot}}</td><td>{{.Variant}}</td><td class="n">{{.Requests}}</td><td class="n">{{.Errors}}</td><td class="n">{{.Median}}</td><td class="n">{{.P95}}</td></tr>
{{- end}}
</tbody>
</table></div>
</details>
{{- end}}
{{- if .Warnings}}

<h2>Warnings</h2>
<ul class="warnings">
{{- range .Warnings}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .Failures}}

<h2>Failures</h2>
<ul class="failures">
{{- range .Failures}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
</main>
</body>
</html>
`))
