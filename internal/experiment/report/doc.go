// Package report renders the outcome of one experiment run (`stacklab
// experiment run`) as JSON, Markdown and a self-contained HTML page.
//
// The data model is [Report]; the renderers [JSON], [Markdown] and [HTML]
// only turn it into text. They do no I/O besides writing to the io.Writer
// they are given, read no clock (the same Report always gives the same
// bytes, so golden files work), and know nothing of the platform, the
// workload driver or the statistics: every number arrives already computed.
//
// Units: latencies in milliseconds, costs in US dollars (per request; the
// human renderers show them per million requests), ratios and shares as
// plain fractions (0.42, not 42), confidence levels as fractions (0.95).
// A value that is not known may be NaN: Markdown and HTML show it as a dash
// and leave it out of the plots, but JSON refuses it (JSON has no NaN), so
// the filler of a Report should prefer 0 with N or Requests set to 0.
//
// The HTML page has inline CSS and inline SVG plots drawn here, no script
// and no external reference, so it works offline and can be mailed around.
// Every string from the Report is escaped.
package report
