package cli

import (
	"fmt"
	"net/url"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/render"
)

func newMap() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var since, until string
	cmd := &cobra.Command{
		Use:   "map",
		Short: "Print the service map of the running stack and name its bottleneck",
		Long: `map derives the service map from the traces of a window (default the last 15
minutes): every resource that received work, with its call rate, error rate and
p50/p95/p99 latency, and every edge between resources that carried traffic, with
its call count, errors and latencies. LINKS counts the calls that came through
span links: those of a batch that links the sends of its messages (an SQS batch
of messages sent in several calls, a table stream's records of several writes). Nobody draws it: the spans of every hop make it.

The bottleneck is the resource with the largest share of critical-path time
over the window's traces: the one to make faster for end-to-end time to drop.

When the span store is dropping records (a full disk), or dropped some since
the platform started, a warning on stderr says so and what to do: the map
misses the calls whose spans were lost.`,
		Example: `  stacklab map
  stacklab map --since 1h
  stacklab map --since 2026-11-22T10:00:00Z --until 2026-11-22T11:00:00Z --output json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if err := windowQuery(q, since, until); err != nil {
				return err
			}
			var m telemetry.MapReport
			if err := getTelemetry(cmd, &rf, "/v1/map", q, &m); err != nil {
				return err
			}
			defer warnTelemetry(cmd, &rf)
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), m)
			}
			if len(m.Nodes) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no traffic in the window: invoke a function or widen --since")
				return nil
			}
			return render.Map(cmd.OutOrStdout(), m.Map, m.Bottleneck, m.Traces)
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	fl := cmd.Flags()
	fl.StringVar(&since, "since", "15m", "start of the window, `T`: a duration before now (15m, 2h) or an RFC 3339 time")
	fl.StringVar(&until, "until", "", "end of the window, `T` (default now)")
	return cmd
}
