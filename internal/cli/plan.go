package cli

import (
	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/plan"
)

func newPlan() *cobra.Command {
	var tf templateFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "plan OLD NEW",
		Short: "Show the change set between two versions of a template",
		Long: `plan compares two templates and prints, per resource, what a deploy would do:
add, modify (which properties), replace (when a change forces a new resource, such
as a bucket's name) or remove. Both templates are resolved with the same flags.`,
		Example: `  stacklab plan template.old.yaml template.yaml
  stacklab plan v1.yaml v2.yaml --param Stage=prod --output json`,
		Args: exactArgs(2, "OLD and NEW templates"),
		RunE: func(cmd *cobra.Command, args []string) error {
			old, err := tf.loadValid(cmd, args[0])
			if err != nil {
				return err
			}
			cur, err := tf.loadValid(cmd, args[1])
			if err != nil {
				return err
			}
			cs := plan.Diff(old.stack, cur.stack)
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), cs)
			}
			return plan.WriteTable(cmd.OutOrStdout(), cs)
		},
	}
	tf.add(cmd)
	addOutput(cmd, &out)
	return cmd
}
