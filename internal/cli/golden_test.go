package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// run calls Main in-process with args and returns what it wrote and its
// exit code.
func run(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// transcript writes one run of the command line as a txtar-like text: the
// command, its exit status, then what it wrote to each stream.
func transcript(args []string, stdout, stderr string, code int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ stacklab %s\nexit %d\n", strings.Join(args, " "), code)
	for _, s := range []struct{ name, text string }{{"stdout", stdout}, {"stderr", stderr}} {
		fmt.Fprintf(&b, "-- %s --\n%s", s.name, s.text)
		if s.text != "" && !strings.HasSuffix(s.text, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run TestGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (go test ./internal/cli -run TestGolden -update rewrites it; check the diff before committing)\n%s", file, lineDiff(string(want), got))
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(wl), len(gl)) && shown < 10; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			fmt.Fprintf(&b, "line %d:\n  want: %q\n  got:  %q\n", i+1, w, g)
			shown++
		}
	}
	return b.String()
}

// TestGolden runs every template under testdata/golden/<case>/ through the
// commands and compares their output with the golden files beside it:
//
//	template.yaml      the input
//	args               optional: more arguments for every command, e.g. --param Stage=prod
//	validate.txt       stacklab validate (exit status, stdout, stderr)
//	model.json         stacklab model
//	graph.mmd          stacklab graph --format mermaid
//	graph.dot          stacklab graph --format dot
//	graph.json         stacklab graph --format json
//	template.v2.yaml   optional: a changed version of the template
//	plan.txt           stacklab plan template.yaml template.v2.yaml
//	plan.json          the same with --output json
//
// Paths are relative to this package, so file names in the output do not
// depend on where the repository is checked out.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/golden/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden cases under testdata/golden")
	}
	for _, dir := range dirs {
		dir := filepath.ToSlash(dir)
		t.Run(path.Base(dir), func(t *testing.T) {
			t.Parallel()
			tmpl := path.Join(dir, "template.yaml")
			var extra []string
			if b, err := os.ReadFile(path.Join(dir, "args")); err == nil {
				extra = strings.Fields(string(b))
			}

			args := append([]string{"validate", tmpl}, extra...)
			stdout, stderr, code := run(args...)
			if code != exitOK {
				t.Errorf("validate %s: exit %d, want 0\n%s", tmpl, code, stderr)
			}
			checkGolden(t, path.Join(dir, "validate.txt"), transcript(args, stdout, stderr, code))

			// The data commands must succeed and write nothing to stderr.
			data := func(golden string, args ...string) {
				t.Helper()
				args = append(args, extra...)
				stdout, stderr, code := run(args...)
				if code != exitOK || stderr != "" {
					t.Fatalf("stacklab %s: exit %d, stderr %q; want exit 0 and no stderr", strings.Join(args, " "), code, stderr)
				}
				checkGolden(t, path.Join(dir, golden), stdout)
			}
			data("model.json", "model", tmpl)
			data("graph.mmd", "graph", tmpl, "--format", "mermaid")
			data("graph.dot", "graph", tmpl, "--format", "dot")
			data("graph.json", "graph", tmpl, "--format", "json")

			// No golden file for SVG (internal/diagram has those); it must
			// be well-formed, and the DOT source must be read by Graphviz
			// where it is installed.
			svg, stderr, code := run(append([]string{"graph", tmpl, "--format", "svg"}, extra...)...)
			if code != exitOK {
				t.Fatalf("graph --format svg: exit %d\n%s", code, stderr)
			}
			checkSVG(t, []byte(svg))
			if dot, err := exec.LookPath("dot"); err == nil && !testing.Short() {
				cmd := exec.Command(dot, "-Tsvg", "-o", os.DevNull, path.Join(dir, "graph.dot"))
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("graphviz does not read graph.dot: %v\n%s", err, out)
				}
			}

			v2 := path.Join(dir, "template.v2.yaml")
			if _, err := os.Stat(v2); err != nil {
				return
			}
			data("plan.txt", "plan", tmpl, v2)
			data("plan.json", "plan", tmpl, v2, "--output", "json")
		})
	}
}

// goldenEdges are the edges each golden case must draw, written out by hand
// from the templates, so that a wrong graph cannot be blessed with -update
// unnoticed: "From -kind-> To: label".
var goldenEdges = map[string][]string{
	"s3-get-object": {
		"GetObjectFunction -data-> UploadBucket: read/write",
		"UploadBucket -trigger-> GetObjectFunction: s3:ObjectCreated:*",
	},
	"queue-pipeline": {
		"JobQueue -trigger-> DeadLetterQueue: dead letters after 3 receives",
		"JobQueue -trigger-> Worker: sqs batch",
		"Producer -data-> JobQueue: send",
		"Worker -trigger-> DeadLetterQueue: on failure",
	},
	"apis": {
		"AdminApi -trigger-> Admin: POST /reindex",
		"ItemsApi -trigger-> ListItems: GET /items, GET /items/{id}",
		"ItemsApi -trigger-> PutItem: POST /items, GET /health",
		"ServerlessHttpApi -trigger-> Hello: ANY $default",
		"ServerlessRestApi -trigger-> Hello: ANY /hello/{proxy+}",
	},
	"topics": {
		"AuditSubscription -trigger-> Audit: lambda (filtered)",
		"OrderTopic -trigger-> AuditSubscription: subscription",
		"OrderTopic -trigger-> Notify: lambda",
		"OrderTopic -trigger-> OrderQueue: sqs",
		"OrderTopic -trigger-> Refund: sns (filtered)",
		"Publish -data-> OrderTopic: publish",
	},
	"table-stream": {
		"Orders -trigger-> Projector: stream records",
		"Projector -data-> Orders: read stream",
		"Projector -data-> Summaries: read/write",
		"Reader -data-> Orders: read",
	},
	"events": {
		"AppBus -trigger-> HandlerOrderPlaced: events",
		"AppBus -trigger-> ShippedRule: events",
		"CleanupPermission -dependency-> Cleanup: ",
		"CleanupPermission -dependency-> HourlyRule: ",
		"Emitter -data-> AppBus: put events",
		"EmitterEvery5Minutes -trigger-> Emitter: scheduled event",
		"EmitterNightly -trigger-> Emitter: scheduled event",
		"HandlerOrderPlaced -trigger-> Handler: event pattern",
		"HourlyRule -trigger-> Cleanup: rate(1 hour)",
		"ShippedRule -trigger-> Handler: event pattern",
	},
	"state-machine": {
		"ReportFlow -trigger-> Fetch: task",
		"ReportFlow -trigger-> Score: task",
		"ReportFlowNightly -trigger-> ReportFlow: scheduled event",
	},
	"kinesis-lambda": {
		"ClickMapping -trigger-> Consumer: batch",
		"ClickStream -trigger-> ClickMapping: records",
		"Consumer -dependency-> ConsumerRole: ",
	},
	"globals-conditions": {},
	"globals-conditions-prod": {
		"Api -data-> Cache: env CACHE_TABLE",
	},
	"foreach": {
		"Router -data-> acmeQueue: send",
		"Router -data-> globexQueue: send",
		"Router -data-> initechQueue: send",
		"acmeQueue -trigger-> acmeWorker: sqs batch",
		"globexQueue -trigger-> globexWorker: sqs batch",
		"initechQueue -trigger-> initechWorker: sqs batch",
	},
}

// TestGoldenEdges checks the graph of every golden case against the edges
// written out in goldenEdges.
func TestGoldenEdges(t *testing.T) {
	dirs, err := filepath.Glob("testdata/golden/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			want, ok := goldenEdges[name]
			if !ok {
				t.Fatalf("goldenEdges has no entry for %s: write down the edges its graph must have", name)
			}
			args := []string{"graph", path.Join(filepath.ToSlash(dir), "template.yaml"), "--format", "json"}
			if b, err := os.ReadFile(filepath.Join(dir, "args")); err == nil {
				args = append(args, strings.Fields(string(b))...)
			}
			stdout, stderr, code := run(args...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			var g struct {
				Edges []struct{ From, To, Kind, Label string }
			}
			if err := json.Unmarshal([]byte(stdout), &g); err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(g.Edges))
			for i, e := range g.Edges {
				got[i] = fmt.Sprintf("%s -%s-> %s: %s", e.From, e.Kind, e.To, e.Label)
			}
			slices.Sort(got)
			want = slices.Sorted(slices.Values(want))
			if !slices.Equal(got, want) {
				t.Errorf("edges:\n  got  %s\n  want %s", strings.Join(got, "\n       "), strings.Join(want, "\n       "))
			}
		})
	}
}
