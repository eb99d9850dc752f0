package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

// usageError marks a wrongly used command (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errInvalid means the findings were printed already; exit 1 with nothing more.
var errInvalid = errors.New("invalid")

// Main runs the stacklab command line with args and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	return mainWithInput(args, nil, stdout, stderr)
}

// mainWithInput is Main reading standard input from stdin (os.Stdin when
// nil).
func mainWithInput(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	if stdin != nil {
		root.SetIn(stdin)
	}
	root.SetArgs(args)
	err := root.Execute()
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errInvalid):
		return exitInvalid
	}
	fmt.Fprintf(stderr, "stacklab: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintln(stderr, "Run 'stacklab --help' for usage.")
		return exitUsage
	}
	return exitInvalid
}

// isCobraUsage recognises the errors cobra returns for bad flags and
// arguments.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "stacklab",
		Short: "Run, trace and test serverless stacks written as AWS SAM / CloudFormation templates",
		Long: `stacklab reads a serverless stack written as an AWS SAM / CloudFormation template,
tells what is wrong with it, draws it, and says what changes between two versions.`,
		Example: `  stacklab validate template.yaml
  stacklab graph template.yaml -o stack.svg
  stacklab plan old.yaml new.yaml`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newValidate(), newGraph(), newPlan(), newModel(), newUp(), newDeploy(), newDeployments(), newRollback(), newInvoke(), newLogs(), newQueue(), newBucket(), newTopic(), newTable(), newEvents(), newLs(), newTraces(), newTrace(), newMap(), newStats(), newExperiment(), newVersion())
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "completion":
			c.Example = "  stacklab completion bash > /etc/bash_completion.d/stacklab\n  source <(stacklab completion zsh)"
		case "help":
			c.Example = "  stacklab help validate"
		}
	}
	return root
}

// outputFlag is the --output flag shared by commands that print data.
type outputFlag string

func (o *outputFlag) String() string { return string(*o) }
func (o *outputFlag) Type() string   { return "text|json" }
func (o *outputFlag) Set(s string) error {
	switch s {
	case "text", "json":
		*o = outputFlag(s)
		return nil
	}
	return fmt.Errorf("must be text or json, not %q", s)
}

func addOutput(cmd *cobra.Command, o *outputFlag) {
	*o = "text"
	cmd.Flags().VarP(o, "output", "O", "output format: text or json")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
