package cli

import (
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/telemetry/render"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

func newStats() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var function, since, until, by string
	var compare bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Latency, cold starts, errors and cost per function and deployment version",
		Long: `stats reads the invocation records of a window (default the last 15 minutes):
per function, the invocations, p50/p95/p99 duration, cold-start rate, error
rate, throttles, GB-seconds and cost at AWS Lambda's prices. --by version gives
a line per function and deployment version (the number 'stacklab deployments'
lists).

--compare-versions compares every deployment with the one before it, both over
the same time after they went live: --since, as a duration, or less when one
of the two was live for less (replaced, or live only since a moment ago); the
OVER column says how long. Per function, the change in p50 and p95, error rate
and cost per invocation. Every change of the architecture is evaluated without
asking.

--function must name a deployed function (by name or logical id), or one
with invocations in the window. When the span store is dropping records (a
full disk), or dropped some since the platform started, a warning on stderr
says so and what to do.`,
		Example: `  stacklab stats
  stacklab stats --function Scorer --since 1h --by version
  stacklab stats --compare-versions --since 30m
  stacklab stats --output json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if function != "" {
				q.Set("function", function)
			}
			if compare {
				return compareVersions(cmd, &rf, q, since, until, by, out)
			}
			if err := windowQuery(q, since, until); err != nil {
				return err
			}
			switch by {
			case "", "function":
			case "version":
				q.Set("by", "version")
			default:
				return usagef("--by %q: give --by version, or leave it out for one line per function", by)
			}
			var stats []store.FunctionStats
			if err := getTelemetry(cmd, &rf, "/v1/stats", q, &stats); err != nil {
				return err
			}
			defer warnTelemetry(cmd, &rf)
			if out == "json" {
				if stats == nil {
					stats = []store.FunctionStats{}
				}
				return writeJSON(cmd.OutOrStdout(), stats)
			}
			if len(stats) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no invocations in the window: invoke a function or widen --since")
				return nil
			}
			return render.Stats(cmd.OutOrStdout(), stats)
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	fl := cmd.Flags()
	fl.StringVar(&function, "function", "", "only `FUNCTION` (logical id or name)")
	fl.StringVar(&since, "since", "", "start of the window, `T`: a duration before now (default 15m) or an RFC 3339 time; with --compare-versions, the window after each deployment went live")
	fl.StringVar(&until, "until", "", "end of the window, `T` (default now)")
	fl.StringVar(&by, "by", "", "split by `version` (deployment version)")
	fl.BoolVar(&compare, "compare-versions", false, "compare each deployment version with the one before it")
	return cmd
}

// compareVersions prints each deployment against the one before it.
func compareVersions(cmd *cobra.Command, rf *remoteFlags, q url.Values, since, until, by string, out outputFlag) error {
	if until != "" || by != "" {
		return usagef("--compare-versions takes no --until or --by: each deployment is measured over --since after it went live")
	}
	if since != "" {
		if d, err := time.ParseDuration(since); err != nil || d <= 0 {
			return usagef("--since %q: with --compare-versions give the window after each deployment went live as a duration (15m, 1h)", since)
		}
		q.Set("since", since)
	}
	var cmp server.VersionComparison
	if err := getTelemetry(cmd, rf, "/v1/stats/compare", q, &cmp); err != nil {
		return err
	}
	defer warnTelemetry(cmd, rf)
	if out == "json" {
		return writeJSON(cmd.OutOrStdout(), cmp)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "each deployment against the one before, both over the same time after they went live (OVER: %s, or less when one was live for less)\n", cmp.Window)
	for _, v := range cmp.Versions {
		fmt.Fprintf(w, "  version %d  live %s  until %s\n", v.Version, v.Live.UTC().Format(time.RFC3339), v.Until.UTC().Format(time.RFC3339))
	}
	fmt.Fprintln(w)
	if len(cmp.Changes) == 0 {
		fmt.Fprintln(w, "nothing to compare: a function needs invocations under two deployment versions")
		return nil
	}
	return render.VersionChanges(w, cmp.Changes)
}
