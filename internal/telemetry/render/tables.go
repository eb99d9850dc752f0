package render

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/stacklab/stacklab/internal/telemetry/critpath"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// Traces writes a trace list, one line per trace, newest first as given.
func Traces(w io.Writer, traces []store.TraceSummary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TRACE\tSTART\tDURATION\tSPANS\tROOT\tERROR")
	for _, t := range traces {
		errMark := ""
		if t.Error {
			errMark = "error"
		}
		root := t.RootName
		if t.RootResource != "" && t.RootResource != t.RootName {
			root += " [" + t.RootResource + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", t.TraceID, t.Start.UTC().Format("2006-01-02T15:04:05.000Z"),
			Duration(t.Duration), t.Spans, root, errMark)
	}
	return tw.Flush()
}

// Map writes the service map: nodes, edges and the bottleneck.
func Map(w io.Writer, m store.Map, bottleneck []critpath.Share, traces int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tCALLS\tRATE/S\tERRORS\tP50\tP95\tP99")
	for _, n := range m.Nodes {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%s\t%s\t%s\t%s\n", n.Resource, n.Calls, n.Rate, percent(n.ErrorRate),
			Duration(n.Latency.P50), Duration(n.Latency.P95), Duration(n.Latency.P99))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EDGE\tCALLS\tLINKS\tERRORS\tP50\tP95\tP99")
	for _, e := range m.Edges {
		fmt.Fprintf(tw, "%s -> %s\t%d\t%d\t%s\t%s\t%s\t%s\n", e.From, e.To, e.Calls, e.Links, percent(e.ErrorRate),
			Duration(e.Latency.P50), Duration(e.Latency.P95), Duration(e.Latency.P99))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(bottleneck) == 0 {
		_, err := fmt.Fprintln(w, "\nbottleneck: no traces in the window")
		return err
	}
	b := bottleneck[0]
	_, err := fmt.Fprintf(w, "\nbottleneck: %s, %s of critical-path time over %d traces (%s)\n",
		name(b.Resource), percent(b.Share), traces, Duration(b.Time))
	return err
}

// Stats writes invocation statistics, one line per function (and version).
func Stats(w io.Writer, stats []store.FunctionStats) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tVERSION\tINVOCATIONS\tP50\tP95\tP99\tCOLD\tERRORS\tTHROTTLES\tGB-S\tCOST")
	for _, s := range stats {
		version := s.Version
		if version == "" {
			version = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%.3f\t%s\n", s.Function, version, s.Invocations,
			Duration(s.Duration.P50), Duration(s.Duration.P95), Duration(s.Duration.P99),
			percent(s.ColdStartRate), percent(s.ErrorRate), s.Throttles, s.GBSeconds, money(s.Cost))
	}
	return tw.Flush()
}

// VersionChanges writes per-function changes between consecutive versions.
func VersionChanges(w io.Writer, changes []store.VersionChange) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tVERSIONS\tOVER\tP50\tP95\tERRORS\tCOST/INVOCATION")
	for _, c := range changes {
		fmt.Fprintf(tw, "%s\t%s -> %s\t%s\t%s -> %s (%s)\t%s -> %s (%s)\t%s -> %s\t%s\n", c.Function, c.From, c.To, Duration(c.Over),
			Duration(c.Before.Duration.P50), Duration(c.After.Duration.P50), ratioText(c.P50Ratio),
			Duration(c.Before.Duration.P95), Duration(c.After.Duration.P95), ratioText(c.P95Ratio),
			percent(c.Before.ErrorRate), percent(c.After.ErrorRate), ratioText(c.CostPerInvocationRatio))
	}
	return tw.Flush()
}

// ratioText shows after/before as a signed percentage change.
func ratioText(r float64) string {
	if r == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f%%", 100*(r-1))
}
