package cli

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/telemetry/render"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

func newTraces() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var function, since, until string
	var slow time.Duration
	var errorsOnly bool
	var limit int
	cmd := &cobra.Command{
		Use:   "traces",
		Short: "List the traces of the running stack, newest first",
		Long: `traces lists the traces the running platform recorded, newest first: when each
started, its trace id, the span it started with (and its resource), how long it
took end to end, how many spans it has, and whether a span failed.

Every invocation, gateway request and service hop is traced with no code in the
functions. Draw one trace with 'stacklab trace ID'.

--function must name a deployed function (by name or logical id), or one
that has traces in the window; a deployed function with no traces yet lists
none. When the span store is dropping records (a full disk), or dropped some
since the platform started, a warning on stderr says so and what to do.`,
		Example: `  stacklab traces
  stacklab traces --function Scorer --since 15m --slow 100ms
  stacklab traces --errors --limit 5 --output json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if err := windowQuery(q, since, until); err != nil {
				return err
			}
			if slow < 0 {
				return usagef("--slow %v: give a positive duration such as 100ms", slow)
			}
			if limit < 1 {
				return usagef("--limit %d: give a number of traces of 1 or more", limit)
			}
			if function != "" {
				q.Set("function", function)
			}
			if slow > 0 {
				q.Set("slow", slow.String())
			}
			if errorsOnly {
				q.Set("errors", "1")
			}
			q.Set("limit", strconv.Itoa(limit))
			var list []store.TraceSummary
			if err := getTelemetry(cmd, &rf, "/v1/traces", q, &list); err != nil {
				return err
			}
			defer warnTelemetry(cmd, &rf)
			if out == "json" {
				if list == nil {
					list = []store.TraceSummary{}
				}
				return writeJSON(cmd.OutOrStdout(), list)
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no traces match: invoke a function or widen --since")
				return nil
			}
			return render.Traces(cmd.OutOrStdout(), list)
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	fl := cmd.Flags()
	fl.StringVar(&function, "function", "", "only traces in which `FUNCTION` ran (logical id or name)")
	fl.StringVar(&since, "since", "", "only traces that started after `T`: a duration before now (15m, 2h) or an RFC 3339 time")
	fl.StringVar(&until, "until", "", "only traces that started before `T` (a duration before now or an RFC 3339 time)")
	fl.DurationVar(&slow, "slow", 0, "only traces at least this long end to end (100ms, 2s)")
	fl.BoolVar(&errorsOnly, "errors", false, "only traces with a failed span")
	fl.IntVar(&limit, "limit", 20, "most traces listed")
	return cmd
}

// noArgs refuses positional arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.Name(), args)
	}
	return nil
}

// windowQuery checks --since and --until as the control API reads them and
// sets them on q.
func windowQuery(q url.Values, since, until string) error {
	for _, f := range []struct{ name, value string }{{"since", since}, {"until", until}} {
		if f.value == "" {
			continue
		}
		if _, err := server.ParseSince(f.name, f.value, time.Now()); err != nil {
			return usagef("--%s %q: give a duration before now (15m, 2h) or an RFC 3339 time (2026-11-22T10:00:00Z)", f.name, f.value)
		}
		q.Set(f.name, f.value)
	}
	return nil
}

// getTelemetry reads a telemetry endpoint of the running platform.
func getTelemetry(cmd *cobra.Command, rf *remoteFlags, path string, q url.Values, v any) error {
	c, err := rf.client()
	if err != nil {
		return err
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return c.GetJSON(cmd.Context(), path, v)
}
