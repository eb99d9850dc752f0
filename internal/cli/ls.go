package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/runtime"
	"github.com/stacklab/stacklab/internal/server"
)

func newLs() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the functions and routes of the running stack",
		Example: `  stacklab ls
  stacklab ls --output json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var fns []runtime.Function
			var routes []server.RouteInfo
			if err := c.GetJSON(ctx, "/v1/functions", &fns); err != nil {
				return err
			}
			if err := c.GetJSON(ctx, "/v1/routes", &routes); err != nil {
				return err
			}
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"functions": fns, "routes": routes})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FUNCTION\tRUNTIME\tMEMORY\tTIMEOUT\tINSTANCES\tIDLE")
			for _, f := range fns {
				fmt.Fprintf(tw, "%s\t%s\t%d MB\t%ds\t%d\t%d\n", f.Name, f.Runtime, f.MemoryMB, f.TimeoutS, f.Instances, f.Idle)
			}
			if len(routes) > 0 {
				fmt.Fprintln(tw, "\nROUTE\tURL\tFUNCTION")
				for _, r := range routes {
					fmt.Fprintf(tw, "%s %s\t%s\t%s\n", r.Method, r.Path, r.URL, r.Function)
				}
			}
			return tw.Flush()
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	return cmd
}
