package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	validTemplate   = "testdata/golden/s3-get-object/template.yaml"
	invalidTemplate = "testdata/invalid/memory-type.yaml"
	otherTemplate   = "testdata/golden/queue-pipeline/template.yaml"
)

// TestExitCodes checks the exit status of each command and which stream
// each kind of output goes to: data and the validate summary to stdout,
// findings and errors to stderr.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		// stdout and stderr must contain these; "" means the stream must
		// be empty.
		stdout, stderr string
	}{
		{"validate valid", []string{"validate", validTemplate}, exitOK, "valid (3 resources, 0 errors, 1 warning)", "warning: UploadLogs"},
		{"validate quiet hides warnings", []string{"validate", "--quiet", validTemplate}, exitOK, "valid (3 resources", ""},
		{"validate invalid", []string{"validate", invalidTemplate}, exitInvalid, "invalid (1 resources, 1 error, 0 warnings)", "error: Fn.MemorySize"},
		{"validate json invalid", []string{"validate", invalidTemplate, "--output", "json"}, exitInvalid, `"valid": false`, ""},
		{"model valid", []string{"model", validTemplate}, exitOK, `"functions"`, ""},
		{"model invalid", []string{"model", invalidTemplate}, exitInvalid, "", "invalid (1 error); run 'stacklab validate"},
		{"graph valid", []string{"graph", validTemplate}, exitOK, "flowchart LR", ""},
		{"graph invalid", []string{"graph", invalidTemplate}, exitInvalid, "", "error: Fn.MemorySize"},
		{"plan", []string{"plan", validTemplate, otherTemplate}, exitOK, "to add", ""},
		{"plan same", []string{"plan", validTemplate, validTemplate}, exitOK, "No changes (3 unchanged).", ""},
		{"plan invalid new", []string{"plan", validTemplate, invalidTemplate}, exitInvalid, "", "error: Fn.MemorySize"},
		{"version", []string{"version"}, exitOK, "stacklab ", ""},

		{"missing file", []string{"validate", "testdata/no-such.yaml"}, exitUsage, "", "cannot read template"},
		{"missing file graph", []string{"graph", "testdata/no-such.yaml"}, exitUsage, "", "cannot read template"},
		{"missing file plan", []string{"plan", validTemplate, "testdata/no-such.yaml"}, exitUsage, "", "cannot read template"},
		{"unknown flag", []string{"validate", "--bogus", validTemplate}, exitUsage, "", "unknown flag: --bogus"},
		{"unknown command", []string{"bogus"}, exitUsage, "", `unknown command "bogus"`},
		{"no template", []string{"validate"}, exitUsage, "", "validate needs TEMPLATE, got 0 argument(s)"},
		{"two templates", []string{"model", validTemplate, otherTemplate}, exitUsage, "", "model needs TEMPLATE, got 2 argument(s)"},
		{"plan one template", []string{"plan", validTemplate}, exitUsage, "", "plan needs OLD and NEW templates, got 1 argument(s)"},
		{"version with argument", []string{"version", "x"}, exitUsage, "", "version needs no arguments"},
		{"bad output", []string{"validate", validTemplate, "--output", "yaml"}, exitUsage, "", `must be text or json, not "yaml"`},
		{"bad output plan", []string{"plan", validTemplate, otherTemplate, "-O", "xml"}, exitUsage, "", `must be text or json, not "xml"`},
		{"bad format", []string{"graph", validTemplate, "--format", "png"}, exitUsage, "", `unknown diagram format "png"`},
		{"bad format with -o", []string{"graph", validTemplate, "--format", "png", "-o", filepath.Join(t.TempDir(), "x.svg")}, exitUsage, "", `unknown diagram format "png"`},
		{"unknown extension with -o", []string{"graph", validTemplate, "-o", filepath.Join(t.TempDir(), "x.png")}, exitUsage, "", `cannot tell the format from`},
		{"bad param", []string{"validate", validTemplate, "--param", "BucketNamePrefix"}, exitUsage, "", `--param "BucketNamePrefix": write Name=Value`},
		{"bad param empty name", []string{"model", validTemplate, "-p", "=x"}, exitUsage, "", `--param "=x": write Name=Value`},
		{"bad value", []string{"validate", validTemplate, "--value", "novalue"}, exitUsage, "", `--value "novalue": write Name=Value`},
		{"missing values file", []string{"validate", validTemplate, "--values", "testdata/no-such.yaml"}, exitUsage, "", "--values:"},
		{"flag needs argument", []string{"graph", validTemplate, "--format"}, exitUsage, "", "flag needs an argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := run(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			checkStream(t, "stdout", stdout, tt.stdout)
			checkStream(t, "stderr", stderr, tt.stderr)
			if code == exitUsage && !strings.Contains(stderr, "Run 'stacklab --help' for usage.") {
				t.Errorf("usage error without the pointer to --help:\n%s", stderr)
			}
		})
	}
}

func checkStream(t *testing.T, name, got, want string) {
	t.Helper()
	switch {
	case want == "" && got != "":
		t.Errorf("%s = %q, want nothing", name, got)
	case !strings.Contains(got, want):
		t.Errorf("%s = %q, want it to contain %q", name, got, want)
	}
}

// TestValidateJSON checks the shape of validate --output json: what scripts
// rely on.
func TestValidateJSON(t *testing.T) {
	stdout, stderr, code := run("validate", invalidTemplate, "--output", "json")
	if code != exitInvalid || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want exit 1 and nothing on stderr", code, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	want := map[string]any{"file": invalidTemplate, "valid": false, "errors": 1.0, "warnings": 0.0, "resources": 1.0}
	for k, v := range want {
		if res[k] != v {
			t.Errorf("%s = %v, want %v", k, res[k], v)
		}
	}
	diags, ok := res["diagnostics"].([]any)
	if !ok || len(diags) != 1 {
		t.Fatalf("diagnostics = %v, want a list of one", res["diagnostics"])
	}
	got, _ := diags[0].(map[string]any)
	wantDiag := map[string]any{
		"severity": "error", "file": invalidTemplate, "line": 9.0, "col": 19.0,
		"resource": "Fn", "property": "MemorySize",
		"message": `MemorySize should be an integer, not "abc"`,
		"fix":     "write a whole number from 128 to 10240",
	}
	for k, v := range wantDiag {
		if got[k] != v {
			t.Errorf("diagnostics[0].%s = %v, want %v", k, got[k], v)
		}
	}

	// A valid template has "diagnostics": [], not null.
	stdout, _, code = run("validate", "testdata/golden/queue-pipeline/template.yaml", "-O", "json")
	if code != exitOK {
		t.Fatalf("valid template: exit %d", code)
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res["valid"] != true {
		t.Errorf("valid = %v, want true", res["valid"])
	}
	if d, ok := res["diagnostics"].([]any); !ok || len(d) != 0 {
		t.Errorf("diagnostics = %#v, want []", res["diagnostics"])
	}
}

// TestInvalidTemplates checks the finding for each broken template under
// testdata/invalid: exactly one error, at the right place, naming the
// resource and property, with a fix.
//
// A case with knownBug documents a finding that is not right yet: it is
// skipped while the bug is there, and fails once it is fixed, so that the
// mark gets removed.
func TestInvalidTemplates(t *testing.T) {
	tests := []struct {
		file      string
		args      []string
		line, col int
		resource  string
		property  string
		message   string // the message contains this
		fix       string // the fix contains this
		knownBug  string
	}{
		{file: "unknown-ref.yaml", line: 11, col: 18, resource: "Fn", property: "Environment.Variables.TABLE",
			message: `Ref to unknown parameter or resource "OrdersTabel"`, fix: `did you mean "OrdersTable"?`},
		{file: "getatt-attribute.yaml", line: 13, col: 20, resource: "Fn", property: "Events.Jobs.Properties.Queue",
			message: `Jobs (AWS::SQS::Queue) has no attribute "Url"`, fix: "QueueUrl"},
		{file: "cycle.yaml", line: 2, col: 3, resource: "First",
			message: "cyclic dependency: First -> Second -> First", fix: "break the cycle"},
		{file: "memory-type.yaml", line: 9, col: 19, resource: "Fn", property: "MemorySize",
			message: `MemorySize should be an integer, not "abc"`, fix: "whole number from 128 to 10240"},
		{file: "s3-no-bucket.yaml", line: 13, col: 13, resource: "Fn", property: "Events.Upload.Properties.Bucket",
			message: "missing required property Bucket", fix: "add Bucket: !Ref"},
		{file: "unknown-event.yaml", line: 11, col: 17, resource: "Fn", property: "Events.Jobs.Type",
			message: `unknown event type "SQSS"`, fix: `did you mean "SQS"?`},
		{file: "allowed-values.yaml", args: []string{"--param", "Stage=test"}, line: 3, col: 3, property: "Parameters.Stage",
			message: `value "test" of parameter Stage is not in AllowedValues`, fix: "dev, prod"},
		{file: "duplicate-key.yaml", line: 10, col: 7, resource: "Fn", property: "Timeout",
			message: `duplicate key "Timeout" (first defined at line 9)`, fix: "remove one of the two"},
		// yaml.v3 gives the line of a syntax error, not the column.
		{file: "yaml-syntax.yaml", line: 7, col: 1,
			message: "invalid YAML: found unexpected end of stream", fix: "balanced quotes"},
		{file: "yaml-unclosed-bracket.yaml", line: 7, col: 1,
			message: "invalid YAML: did not find expected ',' or ']'", fix: "balanced quotes and brackets",
			knownBug: "yaml.v3 reports this parser error one line early (the 0-based line of the '[')"},
		{file: "top-level.yaml", line: 2, col: 1, property: "Resource",
			message: `unknown top-level section "Resource"`, fix: `did you mean "Resources"?`},
		{file: "sub-variable.yaml", line: 10, col: 19, resource: "Bucket", property: "BucketName",
			message: "Fn::Sub refers to unknown variable ${Prefx}", fix: `did you mean "Prefix"?`},
		{file: "policy-template.yaml", line: 10, col: 11, resource: "Fn", property: "Policies[0]",
			message: `unknown policy template "S3ReadPolicyy"`, fix: `did you mean "S3ReadPolicy"?`},
		{file: "select-range.yaml", line: 8, col: 25, resource: "Fn", property: "Runtime",
			message: "Fn::Select index 2 is out of range (the list has 2 items)", fix: "use an index from 0 to 1"},
		{file: "undeclared-param.yaml", args: []string{"--param", "Stage=prod"}, line: 1, col: 1, property: "Parameters",
			message: "--param Stage names a parameter the template does not declare", fix: "declare it under Parameters"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".yaml"), func(t *testing.T) {
			t.Parallel()
			file := "testdata/invalid/" + tt.file
			stdout, stderr, code := run(append([]string{"validate", file, "--output", "json"}, tt.args...)...)
			var res validateResult
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatalf("exit %d, stdout is not JSON: %v\nstdout: %s\nstderr: %s", code, err, stdout, stderr)
			}
			var problems []string
			if code != exitInvalid || res.Errors != 1 {
				problems = append(problems, fmt.Sprintf("exit %d with %d errors, want exit 1 with 1 error", code, res.Errors))
			}
			for _, d := range res.Diagnostics {
				if d.Severity != "error" {
					continue
				}
				check := func(what string, got, want any) {
					if got != want {
						problems = append(problems, fmt.Sprintf("%s = %v, want %v", what, got, want))
					}
				}
				check("file", d.File, file)
				check("line", d.Line, tt.line)
				check("col", d.Col, tt.col)
				check("resource", d.Resource, tt.resource)
				check("property", d.Property, tt.property)
				if !strings.Contains(d.Message, tt.message) {
					problems = append(problems, fmt.Sprintf("message = %q, want it to contain %q", d.Message, tt.message))
				}
				if !strings.Contains(d.Fix, tt.fix) {
					problems = append(problems, fmt.Sprintf("fix = %q, want it to contain %q", d.Fix, tt.fix))
				}
				// The text form says the same on stderr, with the place first.
				_, text, _ := run(append([]string{"validate", file}, tt.args...)...)
				if !strings.Contains(text, d.String()) {
					problems = append(problems, fmt.Sprintf("text output lacks %q:\n%s", d.String(), text))
				}
				if !strings.HasPrefix(d.String(), fmt.Sprintf("%s:%d:%d: error: ", file, d.Line, d.Col)) {
					problems = append(problems, fmt.Sprintf("finding %q does not start with file:line:col", d.String()))
				}
				break
			}
			switch {
			case tt.knownBug != "" && len(problems) == 0:
				t.Errorf("known bug %q is fixed: remove the knownBug mark", tt.knownBug)
			case tt.knownBug != "":
				t.Skipf("known bug: %s:\n%s", tt.knownBug, strings.Join(problems, "\n"))
			case len(problems) > 0:
				t.Errorf("%s:\n%s\nstdout: %s", file, strings.Join(problems, "\n"), stdout)
			}
		})
	}
}

// TestValidTemplatesAccepted lists valid templates that stacklab once
// rejected or still rejects.
func TestValidTemplatesAccepted(t *testing.T) {
	tests := []struct {
		file     string
		knownBug string
	}{
		{"testdata/valid/foreach-getatt-sub.yaml", ""},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			_, stderr, code := run("validate", tt.file)
			switch {
			case code == exitOK && tt.knownBug != "":
				t.Errorf("known bug %q is fixed: remove the knownBug mark", tt.knownBug)
			case code != exitOK && tt.knownBug != "":
				t.Skipf("known bug: %s:\n%s", tt.knownBug, stderr)
			case code != exitOK:
				t.Errorf("exit %d, want 0\n%s", code, stderr)
			}
		})
	}
}

// TestImportsAndDynamicReferences checks that values from outside the
// template are warnings until they are given, and are used once they are.
func TestImportsAndDynamicReferences(t *testing.T) {
	const file = "testdata/imports.yaml"
	unresolved := map[string]any{
		"VPC_ID":  map[string]any{"Fn::ImportValue": "SharedVpcId"},
		"API_KEY": "{{resolve:ssm:/app/api-key}}",
		"DB_URL":  "postgres://{{resolve:ssm:/app/db-host}}:5432/app",
	}
	resolved := map[string]any{"VPC_ID": "vpc-123", "API_KEY": "k3y", "DB_URL": "postgres://db.internal:5432/app"}

	valuesFile := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(valuesFile, []byte("SharedVpcId: vpc-123\n/app/api-key: k3y\n/app/db-host: db.internal\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		args     []string
		warnings []string
		env      map[string]any
	}{
		{"without values", nil, []string{
			`13:19: warning: Fn.Environment.Variables.VPC_ID: Fn::ImportValue "SharedVpcId" has no value here (fix: supply it with --value 'SharedVpcId=VALUE'`,
			`14:20: warning: Fn.Environment.Variables.API_KEY: dynamic reference {{resolve:ssm:/app/api-key}} has no value here (fix: supply it with --value '/app/api-key=VALUE'`,
			`15:19: warning: Fn.Environment.Variables.DB_URL: dynamic reference {{resolve:ssm:/app/db-host}} has no value here`,
		}, unresolved},
		// A dynamic reference's value can be given by its key or by the
		// whole reference.
		{"with --value", []string{"--value", "SharedVpcId=vpc-123", "--value", "/app/api-key=k3y", "--value", "{{resolve:ssm:/app/db-host}}=db.internal"}, nil, resolved},
		{"with --values", []string{"--values", valuesFile}, nil, resolved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := run(append([]string{"validate", file}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("validate: exit %d, want 0\n%s", code, stderr)
			}
			want := fmt.Sprintf("valid (1 resources, 0 errors, %d warning", len(tt.warnings))
			if !strings.Contains(stdout, want) {
				t.Errorf("validate stdout = %q, want %q", stdout, want)
			}
			for _, w := range tt.warnings {
				if !strings.Contains(stderr, file+":"+w) {
					t.Errorf("validate stderr lacks %q:\n%s", file+":"+w, stderr)
				}
			}
			if len(tt.warnings) == 0 && stderr != "" {
				t.Errorf("validate stderr = %q, want nothing", stderr)
			}

			stdout, stderr, code = run(append([]string{"model", file}, tt.args...)...)
			if code != exitOK || stderr != "" {
				t.Fatalf("model: exit %d, stderr %q", code, stderr)
			}
			var m struct {
				Functions []struct {
					Environment map[string]any `json:"environment"`
				} `json:"functions"`
			}
			if err := json.Unmarshal([]byte(stdout), &m); err != nil {
				t.Fatal(err)
			}
			if len(m.Functions) != 1 {
				t.Fatalf("got %d functions, want 1", len(m.Functions))
			}
			got, _ := json.Marshal(m.Functions[0].Environment)
			wantEnv, _ := json.Marshal(tt.env)
			if !bytes.Equal(got, wantEnv) {
				t.Errorf("environment = %s, want %s", got, wantEnv)
			}
		})
	}
}

// TestHelpHasExamples checks that every command's --help shows an example.
func TestHelpHasExamples(t *testing.T) {
	names := []string{""} // the root command
	for _, c := range newRoot(io.Discard, io.Discard).Commands() {
		names = append(names, c.Name())
	}
	if len(names) < 6 {
		t.Fatalf("commands = %v, want at least validate, graph, plan, model and version", names[1:])
	}
	for _, name := range names {
		t.Run("help "+name, func(t *testing.T) {
			t.Parallel()
			args := []string{"--help"}
			if name != "" {
				args = []string{name, "--help"}
			}
			stdout, stderr, code := run(args...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if !strings.Contains(stdout, "Examples:\n  stacklab ") {
				t.Errorf("stacklab %s --help has no example:\n%s", name, stdout)
			}
		})
	}
}

// checkSVG reports whether b is a well-formed SVG document.
func checkSVG(t *testing.T, b []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var root *xml.StartElement
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%.300s", err, b)
		}
		if se, ok := tok.(xml.StartElement); ok && root == nil {
			root = &se
		}
	}
	if root == nil || root.Name.Local != "svg" || root.Name.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root element = %v, want svg in the SVG namespace", root)
	}
}

// TestGraphToFile checks graph -o: the format follows the extension (else
// mermaid), --format wins over it, the file holds the picture, stdout stays
// empty and stderr says what was written.
func TestGraphToFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		file, flag, format, wantStart string
	}{
		{"stack.svg", "", "svg", "<?xml"},
		{"STACK.SVG", "", "svg", "<?xml"},
		{"stack.mmd", "", "mermaid", "flowchart LR"},
		{"stack.mermaid", "", "mermaid", "flowchart LR"},
		{"stack.dot", "", "dot", "digraph"},
		{"stack.gv", "", "dot", "digraph"},
		{"stack.json", "", "json", "{"},
		{"stack.txt", "mermaid", "mermaid", "flowchart LR"},
		{"dot.svg", "dot", "dot", "digraph"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out := filepath.Join(dir, tt.file)
			args := []string{"graph", validTemplate, "-o", out}
			if tt.flag != "" {
				args = append(args, "--format", tt.flag)
			}
			stdout, stderr, code := run(args...)
			if code != exitOK || stdout != "" {
				t.Fatalf("exit %d, stdout %q; want 0 and nothing on stdout\n%s", code, stdout, stderr)
			}
			if want := fmt.Sprintf("wrote %s (%s, 3 nodes, 2 edges)\n", out, tt.format); stderr != want {
				t.Errorf("stderr = %q, want %q", stderr, want)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte(tt.wantStart)) {
				t.Errorf("%s starts %.40q, want %q", tt.file, b, tt.wantStart)
			}
			if tt.format == "svg" {
				checkSVG(t, b)
			}
		})
	}

	// The same picture on stdout with --format svg.
	stdout, stderr, code := run("graph", validTemplate, "--format", "svg")
	if code != exitOK || stderr != "" {
		t.Fatalf("graph --format svg: exit %d, stderr %q", code, stderr)
	}
	checkSVG(t, []byte(stdout))
	if b, _ := os.ReadFile(filepath.Join(dir, "stack.svg")); string(b) != stdout {
		t.Errorf("graph -o stack.svg and graph --format svg differ")
	}
}

func TestVersion(t *testing.T) {
	stdout, stderr, code := run("version")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(stdout), "stacklab ")
	if !ok || v == "" || strings.ContainsAny(v, " \n") {
		t.Errorf("version printed %q, want \"stacklab VERSION\"", stdout)
	}
}

// TestBinary builds the real stacklab binary and runs it as a process, as a
// user would: exit statuses and output come from the operating system, not
// from Main.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "stacklab")
	build := exec.Command(goTool, "build", "-o", bin, "-ldflags", "-X github.com/stacklab/stacklab/internal/cli.Version=v0.0.0-test", "./cmd/stacklab")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	stacklab := func(args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = root
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			code = exit.ExitCode()
		case err != nil:
			t.Fatalf("run %v: %v", args, err)
		}
		return out.String(), errOut.String(), code
	}

	const example = "examples/s3-get-object/template.yaml"
	stdout, stderr, code := stacklab("validate", example)
	if code != 0 || stdout != example+": valid (2 resources, 0 errors, 0 warnings)\n" || stderr != "" {
		t.Errorf("validate: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}

	stdout, stderr, code = stacklab("graph", example, "--format", "svg")
	if code != 0 || stderr != "" {
		t.Fatalf("graph --format svg: exit %d\nstderr: %s", code, stderr)
	}
	checkSVG(t, []byte(stdout))
	for _, id := range []string{"s3getobject", "Bucket1"} {
		if !strings.Contains(stdout, id) {
			t.Errorf("the SVG does not show %s", id)
		}
	}

	svg := filepath.Join(t.TempDir(), "stack.svg")
	if _, stderr, code = stacklab("graph", example, "-o", svg); code != 0 {
		t.Fatalf("graph -o: exit %d\n%s", code, stderr)
	}
	if b, err := os.ReadFile(svg); err != nil || string(b) != stdout {
		t.Errorf("graph -o %s: err %v, or the file differs from --format svg", svg, err)
	}

	_, stderr, code = stacklab("validate", "internal/cli/"+invalidTemplate)
	if code != 1 || !strings.Contains(stderr, "internal/cli/testdata/invalid/memory-type.yaml:9:19: error: Fn.MemorySize") {
		t.Errorf("validate invalid: exit %d, want 1\nstderr: %s", code, stderr)
	}
	if _, _, code = stacklab("graph", example, "--format", "png"); code != 2 {
		t.Errorf("graph --format png: exit %d, want 2", code)
	}
	if stdout, _, code = stacklab("version"); code != 0 || stdout != "stacklab v0.0.0-test\n" {
		t.Errorf("version: exit %d, stdout %q, want \"stacklab v0.0.0-test\\n\"", code, stdout)
	}
	if stdout, _, code = stacklab("version", "--output", "json"); code != 0 || !strings.Contains(stdout, `"version": "v0.0.0-test"`) {
		t.Errorf("version --output json: exit %d, stdout %q, want the version v0.0.0-test", code, stdout)
	}
}
