package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/plan"
	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/server"
)

func newDeploy() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var params []string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "deploy TEMPLATE",
		Short: "Deploy a template to the running platform as a new version",
		Long: `deploy shows the change set between the running stack and TEMPLATE, then applies it.
Every deploy is a numbered version with its template, parameters, time and outcome
('stacklab deployments'); 'stacklab rollback' goes back. A template with errors, or
whose functions fail to build, changes nothing and is recorded as failed.`,
		Example: `  stacklab deploy template.yaml
  stacklab deploy template.yaml --dry-run
  stacklab deploy template.yaml --param Stage=dev --output json`,
		Args: exactArgs(1, "TEMPLATE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			abs, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			ps, err := splitPairs("param", params)
			if err != nil {
				return err
			}
			c, err := rf.client()
			if err != nil {
				return err
			}
			body, _ := json.Marshal(platform.DeployRequest{Template: abs, Params: ps, DryRun: dryRun})
			return deployCall(cmd, c, "/v1/deployments", nil, body, out)
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	cmd.Flags().StringArrayVarP(&params, "param", "p", nil, "parameter value `Name=Value` (repeatable)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show the change set only")
	return cmd
}

func newRollback() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "rollback [VERSION]",
		Short: "Deploy an earlier version again (default: the one before the current)",
		Example: `  stacklab rollback
  stacklab rollback 3`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("rollback takes at most one VERSION")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			version := 0
			if len(args) == 1 {
				v, err := strconv.Atoi(args[0])
				if err != nil || v < 1 {
					return usagef("VERSION must be a deployment number, see 'stacklab deployments'")
				}
				version = v
			}
			c, err := rf.client()
			if err != nil {
				return err
			}
			return deployCall(cmd, c, "/v1/rollback", url.Values{"version": {strconv.Itoa(version)}}, nil, out)
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	return cmd
}

// deployCall posts a deploy or rollback and prints the change set and the
// new version.
func deployCall(cmd *cobra.Command, c *server.Client, path string, q url.Values, body []byte, out outputFlag) error {
	resp, err := c.Do(cmd.Context(), http.MethodPost, path, q, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var res platform.DeployResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if out == "json" {
		var buf bytes.Buffer
		json.Indent(&buf, raw, "", "  ")
		fmt.Fprintln(cmd.OutOrStdout(), buf.String())
	} else {
		// A refusal before any planning (a rollback to a version that does
		// not exist) has no change set to show: only its reason, below.
		if res.Deployment != nil || res.Error == "" || !res.Changes.Empty() {
			plan.WriteTable(cmd.OutOrStdout(), res.Changes)
		}
		for _, d := range res.Diagnostics {
			fmt.Fprintln(cmd.ErrOrStderr(), d.String())
		}
		if d := res.Deployment; d != nil {
			what := "deployed"
			if d.Rollback > 0 {
				what = fmt.Sprintf("rolled back to version %d", d.Rollback)
			}
			if d.Outcome == "deployed" {
				fmt.Fprintf(cmd.ErrOrStderr(), "version %d: %s\n", d.Version, what)
			} else {
				fmt.Fprintf(cmd.ErrOrStderr(), "version %d: %s\n", d.Version, d.Outcome)
			}
		}
	}
	if res.Error != "" {
		if out != "json" {
			fmt.Fprintln(cmd.ErrOrStderr(), res.Error)
		}
		return errInvalid
	}
	return nil
}

func newDeployments() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "deployments",
		Short: "List the deployed versions of the running platform",
		Example: `  stacklab deployments
  stacklab deployments --output json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			var list []platform.Deployment
			if err := c.GetJSON(cmd.Context(), "/v1/deployments", &list); err != nil {
				return err
			}
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), list)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tTIME\tOUTCOME\tCHANGES\tTEMPLATE")
			for _, d := range list {
				outcome := d.Outcome
				if d.Rollback > 0 && outcome == "deployed" {
					outcome = fmt.Sprintf("deployed (rollback to %d)", d.Rollback)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", d.Version, d.Time.Local().Format("2006-01-02 15:04:05"), outcome, d.Summary, d.Template)
			}
			return tw.Flush()
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	return cmd
}
