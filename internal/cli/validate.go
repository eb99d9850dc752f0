package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/platform"
)

type validateResult struct {
	File        string            `json:"file"`
	Valid       bool              `json:"valid"`
	Errors      int               `json:"errors"`
	Warnings    int               `json:"warnings"`
	Resources   int               `json:"resources"`
	Diagnostics []diag.Diagnostic `json:"diagnostics"`
}

func newValidate() *cobra.Command {
	var tf templateFlags
	var out outputFlag
	var quiet bool
	cmd := &cobra.Command{
		Use:   "validate TEMPLATE",
		Short: "Check a SAM / CloudFormation template and report every problem with its place",
		Long: `validate reads a YAML or JSON template, resolves parameters, conditions, mappings,
globals and intrinsic functions, and checks every resource stacklab runs.
Each finding names file:line:col, the resource and property, and the fix.
Resources stacklab does not run are accepted with a warning.

Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error.`,
		Example: `  stacklab validate template.yaml
  stacklab validate template.yaml --param Stage=prod --output json
  stacklab validate template.yaml --value SharedVpcId=vpc-123 --quiet`,
		Args: exactArgs(1, "TEMPLATE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := tf.options()
			if err != nil {
				return err
			}
			l, err := load(args[0], opts)
			if err != nil {
				return err
			}
			if l.stack != nil && !l.diags.HasErrors() {
				// What a deploy would refuse beyond the template itself.
				l.diags = append(l.diags, platform.Check(l.file, l.stack)...)
			}
			errs, warns := l.diags.Count()
			res := validateResult{File: l.file, Valid: errs == 0, Errors: errs, Warnings: warns, Diagnostics: l.diags}
			if res.Diagnostics == nil {
				res.Diagnostics = []diag.Diagnostic{}
			}
			if l.stack != nil {
				res.Resources = len(l.stack.Resources)
			}
			if out == "json" {
				if err := writeJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			} else {
				for _, d := range l.diags {
					if quiet && d.Severity != diag.Error {
						continue
					}
					fmt.Fprintln(cmd.ErrOrStderr(), d.String())
				}
				status := "valid"
				if errs > 0 {
					status = "invalid"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s (%d resources, %s, %s)\n", l.file, status, res.Resources, plural(errs, "error"), plural(warns, "warning"))
			}
			if errs > 0 {
				return errInvalid
			}
			return nil
		},
	}
	tf.add(cmd)
	addOutput(cmd, &out)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print errors only, not warnings")
	return cmd
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// exactArgs is cobra.ExactArgs with a message that names the arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s needs %s, got %d argument(s)", cmd.Name(), names, len(args))
		}
		return nil
	}
}
