package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/server"
)

func newInvoke() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var payload, payloadFile string
	var async, tail bool
	cmd := &cobra.Command{
		Use:   "invoke FUNCTION",
		Short: "Invoke a function of the running stack and print its result",
		Long: `invoke sends an event to a function of the stack that 'stacklab up' runs and prints
the result on stdout, and on stderr the request id, duration, billed duration, init
duration and whether the start was cold. Exit status 1 when the function fails.`,
		Example: `  stacklab invoke HelloPython --payload '{"name": "Ada"}'
  stacklab invoke Scorer --payload-file event.json --tail
  stacklab invoke Splitter --async --payload '{}'
  stacklab invoke HelloGo --output json`,
		Args: exactArgs(1, "FUNCTION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := []byte(payload)
			if payloadFile != "" {
				if payload != "" {
					return usagef("give --payload or --payload-file, not both")
				}
				var err error
				if payloadFile == "-" {
					body, err = io.ReadAll(os.Stdin)
				} else {
					body, err = os.ReadFile(payloadFile)
				}
				if err != nil {
					return usagef("--payload-file: %v", err)
				}
			}
			if len(body) == 0 {
				body = []byte("{}")
			}
			if !json.Valid(body) {
				return usagef("the payload is not valid JSON: %.80s", body)
			}
			c, err := rf.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			if async {
				q.Set("type", "Event")
			}
			if tail {
				q.Set("tail", "1")
			}
			resp, err := c.Do(cmd.Context(), http.MethodPost, "/v1/functions/"+url.PathEscape(args[0])+"/invoke", q, body)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var res server.InvokeResult
			if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
				return fmt.Errorf("reading the result: %w", err)
			}
			if out == "json" {
				if err := writeJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			} else {
				printInvoke(cmd, res, async, tail)
			}
			if res.FunctionError != "" {
				return errInvalid
			}
			return nil
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	fl := cmd.Flags()
	fl.StringVar(&payload, "payload", "", "the event, as JSON")
	fl.StringVar(&payloadFile, "payload-file", "", "read the event from `FILE` (- for stdin)")
	fl.BoolVar(&async, "async", false, "invoke asynchronously (InvocationType Event): return once accepted")
	fl.BoolVar(&tail, "tail", false, "print the invocation's log")
	return cmd
}

func printInvoke(cmd *cobra.Command, res server.InvokeResult, async, tail bool) {
	stderr := cmd.ErrOrStderr()
	if async {
		fmt.Fprintf(stderr, "accepted: RequestId %s (runs in the background; see 'stacklab logs')\n", res.RequestID)
		if res.TraceID != "" {
			fmt.Fprintf(stderr, "trace %s (stacklab trace %s)\n", res.TraceID, res.TraceID)
		}
		return
	}
	if tail && res.Log != "" {
		fmt.Fprint(stderr, res.Log)
	}
	if len(res.Payload) > 0 {
		fmt.Fprintln(cmd.OutOrStdout(), string(res.Payload))
	}
	start := "warm"
	if res.Cold {
		start = fmt.Sprintf("cold, init %.2f ms", res.InitDurationMS)
	}
	status := "ok"
	if res.FunctionError != "" {
		status = "function error (" + res.FunctionError + ")"
	}
	fmt.Fprintf(stderr, "RequestId %s: %s, duration %.2f ms, billed %d ms, %s, memory %d/%d MB\n",
		res.RequestID, status, res.DurationMS, res.BilledDurationMS, start, res.MaxMemoryUsedMB, res.MemorySizeMB)
	if res.TraceID != "" {
		fmt.Fprintf(stderr, "trace %s (stacklab trace %s)\n", res.TraceID, res.TraceID)
	}
}
