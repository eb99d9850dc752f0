package cli

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/diagram"
)

func newGraph() *cobra.Command {
	var tf templateFlags
	var format, outFile string
	cmd := &cobra.Command{
		Use:   "graph TEMPLATE",
		Short: "Draw what a template does: resources, triggers and data access",
		Long: `graph draws the stack a template describes: resources as typed nodes grouped by kind,
edges labelled with the event or access (s3:ObjectCreated:*, read/write, GET /items).
Formats: mermaid, dot, svg (drawn by stacklab itself) and json (stable ids, the logical ids).
Without --format, the format follows the extension of -o, else mermaid.`,
		Example: `  stacklab graph template.yaml                 # mermaid on stdout
  stacklab graph template.yaml -o stack.svg
  stacklab graph template.yaml --format dot | dot -Tpng > stack.png
  stacklab graph template.yaml --format json -o graph.json`,
		Args: exactArgs(1, "TEMPLATE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format == "" {
				format = string(diagram.Mermaid)
				if f, ok := diagram.ForFile(outFile); ok {
					format = string(f)
				} else if outFile != "" && outFile != "-" {
					return usagef("cannot tell the format from %q: name the file .svg, .mmd, .dot or .json, or give --format", outFile)
				}
			}
			f, err := diagram.ParseFormat(format)
			if err != nil {
				return usageError{err}
			}
			l, err := tf.loadValid(cmd, args[0])
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := diagram.Render(&buf, l.stack.Graph, f); err != nil {
				return err
			}
			if outFile == "" || outFile == "-" {
				_, err := cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(outFile, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%s, %d nodes, %d edges)\n", outFile, f, len(l.stack.Graph.Nodes), len(l.stack.Graph.Edges))
			return nil
		},
	}
	tf.add(cmd)
	cmd.Flags().StringVarP(&format, "format", "f", "", "mermaid, dot, svg or json (default: from -o, else mermaid)")
	cmd.Flags().StringVarP(&outFile, "out", "o", "", "write to `FILE` instead of stdout")
	return cmd
}
