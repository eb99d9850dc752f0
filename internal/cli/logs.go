package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/runtime"
)

func newLogs() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var follow bool
	var since, request string
	cmd := &cobra.Command{
		Use:   "logs [FUNCTION]",
		Short: "Print the logs of a function (or of all) of the running stack",
		Long: `logs prints what functions wrote, with the START, END and REPORT lines of each
invocation, oldest first. -f keeps printing new lines until Ctrl-C.`,
		Example: `  stacklab logs HelloPython
  stacklab logs HelloGo -f
  stacklab logs --since 10m
  stacklab logs Scorer --request 8f1c...  --output json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("logs takes at most one FUNCTION")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			if len(args) == 1 {
				q.Set("function", args[0])
			}
			if since != "" {
				if _, err := time.ParseDuration(since); err != nil {
					if _, err := time.Parse(time.RFC3339, since); err != nil {
						return usagef("--since %q: give a duration (10m) or an RFC 3339 time", since)
					}
				}
				q.Set("since", since)
			}
			if request != "" {
				q.Set("request", request)
			}
			if follow {
				q.Set("follow", "1")
			}
			resp, err := c.Do(cmd.Context(), http.MethodGet, "/v1/logs", q, nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			// A line keeps up to 256 KB of text, which JSON may make six
			// times longer (\u0001 for each control byte).
			sc.Buffer(make([]byte, 64*1024), 8<<20)
			w := cmd.OutOrStdout()
			for sc.Scan() {
				if out == "json" {
					fmt.Fprintln(w, sc.Text())
					continue
				}
				var l runtime.Line
				if json.Unmarshal(sc.Bytes(), &l) != nil {
					continue
				}
				fmt.Fprintf(w, "%s %s %s\n", l.Time.Local().Format("15:04:05.000"), l.Function, l.Text)
			}
			if cmd.Context().Err() != nil {
				return nil
			}
			return sc.Err()
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	fl := cmd.Flags()
	fl.BoolVarP(&follow, "follow", "f", false, "keep printing new lines")
	fl.StringVar(&since, "since", "", "only lines newer than this (10m, 1h, or an RFC 3339 time)")
	fl.StringVar(&request, "request", "", "only the lines of this request id")
	return cmd
}
