package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/dashboard"
	"github.com/stacklab/stacklab/internal/diagram"
)

// htmlFormat is the dashboard's architecture view as one offline page. It
// is not one of diagram's formats: the page is the dashboard's, which
// itself draws from diagram's layout.
const htmlFormat = "html"

func newGraph() *cobra.Command {
	var tf templateFlags
	var format, outFile string
	cmd := &cobra.Command{
		Use:   "graph TEMPLATE",
		Short: "Draw what a template does: resources, triggers and data access",
		Long: `graph draws the stack a template describes: resources as typed nodes grouped by kind,
edges labelled with the event or access (s3:ObjectCreated:*, read/write, GET /items).
Formats: mermaid, dot, svg (drawn by stacklab itself), json (stable ids, the logical ids)
and html (the dashboard's architecture view in one file that works offline; the SVG
in a page when the dashboard is not built into this binary).
Without --format, the format follows the extension of -o, else mermaid.`,
		Example: `  stacklab graph template.yaml                 # mermaid on stdout
  stacklab graph template.yaml -o stack.svg
  stacklab graph template.yaml --format html -o graph.html
  stacklab graph template.yaml --format dot | dot -Tpng > stack.png
  stacklab graph template.yaml --format json -o graph.json`,
		Args: exactArgs(1, "TEMPLATE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format == "" {
				format = string(diagram.Mermaid)
				if f, ok := diagram.ForFile(outFile); ok {
					format = string(f)
				} else if ext := strings.ToLower(filepath.Ext(outFile)); ext == ".html" || ext == ".htm" {
					format = htmlFormat
				} else if outFile != "" && outFile != "-" {
					return usagef("cannot tell the format from %q: name the file .svg, .mmd, .dot, .json or .html, or give --format", outFile)
				}
			}
			var f diagram.Format
			html := strings.EqualFold(strings.TrimSpace(format), htmlFormat)
			if !html {
				var err error
				if f, err = diagram.ParseFormat(format); err != nil {
					return usageError{fmt.Errorf("%w (or html)", err)}
				}
			}
			l, err := tf.loadValid(cmd, args[0])
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			what := string(f)
			if html {
				what, err = graphPage(&buf, l)
			} else {
				err = diagram.Render(&buf, l.stack.Graph, f)
			}
			if err != nil {
				return err
			}
			if outFile == "" || outFile == "-" {
				_, err := cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(outFile, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%s, %d nodes, %d edges)\n", outFile, what, len(l.stack.Graph.Nodes), len(l.stack.Graph.Edges))
			return nil
		},
	}
	tf.add(cmd)
	cmd.Flags().StringVarP(&format, "format", "f", "", "mermaid, dot, svg, json or html (default: from -o, else mermaid)")
	cmd.Flags().StringVarP(&outFile, "out", "o", "", "write to `FILE` instead of stdout")
	return cmd
}

// graphPage writes the html format: the dashboard's page with the graph in
// it, or the SVG in a page when the dashboard is not built. It says which.
func graphPage(buf *bytes.Buffer, l *loaded) (string, error) {
	g, err := dashboard.FromStack(l.stack, 0)
	if err != nil {
		return "", err
	}
	ok, err := dashboard.Standalone(buf, g)
	if err != nil {
		return "", err
	}
	if ok {
		return "html, the dashboard's architecture view", nil
	}
	var svg bytes.Buffer
	if err := diagram.Render(&svg, l.stack.Graph, diagram.SVG); err != nil {
		return "", err
	}
	if err := dashboard.StandaloneSVG(buf, "stack "+filepath.Base(l.file), svg.Bytes(), g); err != nil {
		return "", err
	}
	return "html with the SVG; the dashboard is not built into this binary (make ui)", nil
}
