package cli

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/render"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

func newTrace() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var width int
	cmd := &cobra.Command{
		Use:   "trace ID",
		Short: "Draw one trace as a waterfall, its critical path marked",
		Long: `trace draws one trace in the terminal: a line per span under its parent, with
its offset from the trace's start, its duration and a bar on a common time axis.
Cold starts are marked "cold", failed spans "error"; spans on the critical path
(the chain of work the end-to-end time waited on) are marked '*' and drawn in
bold on a terminal (colour is off when stdout is not a terminal or NO_COLOR is
set). The header names the resource with the most critical-path time.

ID is the trace id as 'stacklab traces' lists it (32 hex digits) or as an
X-Ray root (1-5759e988-bd862e3fe1be46a994272793).

When the span store is dropping records (a full disk), or dropped some since
the platform started, a warning on stderr says so and what to do: a trace that
looks incomplete, or is not found, may have lost spans there.`,
		Example: `  stacklab trace 6740a1c2e13e4b1f9a8c2d3e4f506172
  stacklab trace 1-6740a1c2-e13e4b1f9a8c2d3e4f506172 --width 80
  stacklab trace 6740a1c2e13e4b1f9a8c2d3e4f506172 --output json`,
		Args: exactArgs(1, "a trace ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := store.NormalizeTraceID(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			if width < 10 {
				return usagef("--width %d: give at least 10 characters", width)
			}
			var view telemetry.TraceView
			if err := getTelemetry(cmd, &rf, "/v1/traces/"+url.PathEscape(id), nil, &view); err != nil {
				// A trace the store has no span of may be one it lost.
				var ae *server.APIError
				if errors.As(err, &ae) && ae.Type == "TraceNotFound" && warnTelemetry(cmd, &rf) {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: the spans of trace %s may be among the records the span store lost\n", id)
				}
				return err
			}
			defer func() {
				if warnTelemetry(cmd, &rf) {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: trace %s may be incomplete: a span missing from it (a hop, a parent) may be one the span store lost\n", id)
				}
			}()
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), view)
			}
			return render.Waterfall(cmd.OutOrStdout(), view.Spans, view.Path, render.WaterfallOptions{Width: width, Color: colorful(cmd.OutOrStdout())})
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	cmd.Flags().IntVar(&width, "width", 50, "width of the bars in characters")
	return cmd
}

// colorful reports whether w is a terminal that may get ANSI colours: not
// when NO_COLOR is set (https://no-color.org) or TERM is dumb.
func colorful(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
