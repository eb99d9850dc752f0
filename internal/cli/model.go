package cli

import (
	"github.com/spf13/cobra"
)

func newModel() *cobra.Command {
	var tf templateFlags
	cmd := &cobra.Command{
		Use:   "model TEMPLATE",
		Short: "Print the typed model stacklab builds from a template, as JSON",
		Long: `model prints what stacklab understood of a template: every resource with its resolved
properties, the typed functions, buckets, queues, topics, tables, APIs with their
routes, rules, state machines, and the graph. References to other resources stay
symbolic ({"Ref": "Id"}); they are resolved when the stack is deployed.`,
		Example: `  stacklab model template.yaml
  stacklab model template.yaml --param Stage=prod | jq '.functions[].events'`,
		Args: exactArgs(1, "TEMPLATE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := tf.loadValid(cmd, args[0])
			if err != nil {
				return err
			}
			return writeJSON(cmd.OutOrStdout(), l.stack)
		},
	}
	tf.add(cmd)
	return cmd
}
