package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// errNilReport is returned by the renderers when given no report.
var errNilReport = errors.New("report: nil report")

// Markdown writes r as a readable Markdown document: the run, its design,
// the verdict on every clause, the variants, where the difference comes
// from, the per-function and per-round tables, the power-tuning pick, and
// the warnings and failures when there are any.
func Markdown(w io.Writer, r *Report) error {
	if r == nil {
		return errNilReport
	}
	v := newView(r)
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }

	p("# Experiment: %s\n\n", mdText(v.Title))
	if v.File != "" {
		p("- File: %s\n", mdText(v.File))
	}
	p("- Started: %s, finished: %s (%s)\n", v.Started, v.Finished, v.Duration)
	p("- Design: %s\n", mdText(v.Design))
	if v.Workload != "" {
		p("- Workload: %s\n", mdText(v.Workload))
	}
	if v.Baseline != "" {
		p("- Baseline: **%s**\n", mdText(v.Baseline))
	}

	if len(v.Clauses) > 0 {
		p("\n## Verdict\n\n")
		t := mdTable{
			head: []string{"Clause", "Baseline", "Variant", "Ratio", "Adjusted p", "Effect", "Verdict", "Reason"},
			text: []int{0, 7},
		}
		for _, c := range v.Clauses {
			t.add(c.Text, c.Baseline, c.Value, c.Ratio, c.PAdjusted, c.Effect, "**"+mdText(c.Verdict)+"**", c.Reason)
		}
		t.write(b)
	}

	if len(v.Variants) > 0 {
		p("\n## Variants\n\n")
		t := mdTable{
			head: []string{"Variant", "Change", "Memory", "Requests", "Errors", "Cold", "p50 ms", "p95 ms", "p99 ms", "Cost per 1M requests", "Throughput"},
			text: []int{0, 1},
		}
		for _, x := range v.Variants {
			name := x.Name
			if x.Failed != "" {
				name += " (failed)"
			}
			t.add(name, x.Description, x.Memory, x.Requests, x.Errors, x.Cold, x.P50, x.P95, x.P99, x.Cost, x.Throughput)
		}
		t.write(b)
	}

	if len(v.Sources) > 0 {
		p("\n## Where the difference comes from\n\n")
		for _, s := range v.Sources {
			p("- **%s**: %s\n", mdText(s.Variant), mdText(s.Text))
		}
	}

	if len(v.Functions) > 0 {
		p("\n## Per function\n\n")
		t := mdTable{
			head: []string{"Function", "Variant", "Invocations", "p50 ms", "p95 ms", "ms per request", "Cost per 1M requests", "Cold", "Memory"},
			text: []int{0, 1},
		}
		for _, f := range v.Functions {
			t.add(f.Function, f.Variant, f.Invocations, f.P50, f.P95, f.PerRequest, f.Cost, f.ColdRate, f.Memory)
		}
		t.write(b)
	}

	if v.Best != nil {
		p("\n## Best (power tuning)\n\n")
		p("Strategy **%s** picks **%s**", mdText(orDash(v.Best.Strategy)), mdText(orDash(v.Best.Variant)))
		if v.Best.Reason != "" {
			p(": %s", mdText(v.Best.Reason))
		}
		p("\n")
	}

	if len(v.Rounds) > 0 {
		p("\n## Rounds\n\n")
		t := mdTable{
			head: []string{"Round", "Slot", "Variant", "Requests", "Errors", "Median ms", "p95 ms"},
			text: []int{2},
		}
		for _, x := range v.Rounds {
			t.add(x.Round, x.Slot, x.Variant, x.Requests, x.Errors, x.Median, x.P95)
		}
		t.write(b)
	}

	mdList(b, "Warnings", v.Warnings)
	mdList(b, "Failures", v.Failures)
	return b.Flush()
}

// mdList writes a section with one bullet per item, nothing when empty.
func mdList(b *bufio.Writer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## %s\n\n", title)
	for _, s := range items {
		fmt.Fprintf(b, "- %s\n", mdText(s))
	}
}

// mdTable is a Markdown table. The cells of the text columns come from the
// Report and are escaped; the others are numbers formatted here, or
// Markdown already.
type mdTable struct {
	head []string
	text []int
	rows [][]string
}

func (t *mdTable) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *mdTable) write(b *bufio.Writer) {
	b.WriteString("|")
	for _, h := range t.head {
		b.WriteString(" " + h + " |")
	}
	b.WriteString("\n|")
	for range t.head {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, row := range t.rows {
		b.WriteString("|")
		for j, c := range row {
			if slices.Contains(t.text, j) {
				c = mdText(c)
			}
			if c == "" {
				c = " "
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
}

// mdEscaper escapes the characters that Markdown (and the HTML it lets
// through) would read as syntax, and keeps a value on one line.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `&lt;`, `>`, `&gt;`, `&`, `&amp;`, `|`, `\|`, "\r\n", " ", "\n", " ", "\r", " ",
)

// mdText escapes s for Markdown running text or a table cell.
func mdText(s string) string { return mdEscaper.Replace(s) }
