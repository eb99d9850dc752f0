package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/template"
	"go.yaml.in/yaml/v3"
)

// templateFlags are the flags of every command that reads a template.
type templateFlags struct {
	params     []string
	values     []string
	valuesFile string
	opts       template.Options
}

func (f *templateFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.params, "param", "p", nil, "parameter value `Name=Value` (repeatable)")
	fl.StringArrayVar(&f.values, "value", nil, "value of an import or dynamic reference `Name=Value` (repeatable)")
	fl.StringVar(&f.valuesFile, "values", "", "YAML or JSON `file` of import and dynamic reference values")
	fl.StringVar(&f.opts.Region, "region", "us-east-1", "AWS::Region")
	fl.StringVar(&f.opts.AccountID, "account-id", "123456789012", "AWS::AccountId")
	fl.StringVar(&f.opts.StackName, "stack-name", "stacklab", "AWS::StackName")
	fl.StringVar(&f.opts.Partition, "partition", "aws", "AWS::Partition")
	fl.StringVar(&f.opts.URLSuffix, "url-suffix", "amazonaws.com", "AWS::URLSuffix")
}

func splitPairs(flag string, pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usagef("--%s %q: write Name=Value", flag, p)
		}
		out[k] = v
	}
	return out, nil
}

// options turns the flags into template options.
func (f *templateFlags) options() (template.Options, error) {
	o := f.opts
	var err error
	if o.Params, err = splitPairs("param", f.params); err != nil {
		return o, err
	}
	o.Values = map[string]string{}
	if f.valuesFile != "" {
		src, err := os.ReadFile(f.valuesFile)
		if err != nil {
			return o, usagef("--values: %v", err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(src, &m); err != nil {
			return o, usagef("--values %s: not a map of names to values: %v", f.valuesFile, err)
		}
		for k, v := range m {
			o.Values[k] = fmt.Sprint(v)
		}
	}
	vals, err := splitPairs("value", f.values)
	if err != nil {
		return o, err
	}
	for k, v := range vals {
		o.Values[k] = v
	}
	return o, nil
}

// loaded is a template read, resolved and modelled, with every finding.
type loaded struct {
	file  string
	tmpl  *template.Template
	stack *stack.Stack
	diags diag.List
}

// load reads a template file and builds its model. A missing or unreadable
// file is a usage error; problems in the template are diagnostics.
func load(file string, opts template.Options) (*loaded, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, usagef("cannot read template: %v", err)
	}
	l := &loaded{file: file}
	l.tmpl, l.diags = template.Load(file, src, opts)
	if l.tmpl != nil {
		var more diag.List
		l.stack, more = stack.Build(l.tmpl)
		l.diags = append(l.diags, more...)
		l.diags.Sort()
	}
	return l, nil
}

// loadValid reads a template with the flags' options and refuses it, with
// its errors on stderr, when it is invalid.
func (f *templateFlags) loadValid(cmd *cobra.Command, file string) (*loaded, error) {
	opts, err := f.options()
	if err != nil {
		return nil, err
	}
	l, err := load(file, opts)
	if err != nil {
		return nil, err
	}
	if l.diags.HasErrors() || l.stack == nil {
		printErrors(cmd, l)
		return nil, errInvalid
	}
	return l, nil
}

// printErrors prints a template's errors to stderr with a summary.
func printErrors(cmd *cobra.Command, l *loaded) {
	n := 0
	for _, d := range l.diags {
		if d.Severity == diag.Error {
			fmt.Fprintln(cmd.ErrOrStderr(), d.String())
			n++
		}
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s: invalid (%s); run 'stacklab validate %s' for details\n", l.file, plural(n, "error"), l.file)
}
