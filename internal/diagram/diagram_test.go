package diagram

import (
	"bytes"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update to accept):\n%s", name, firstDiff(string(got), string(want)))
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return ""
}

var extensions = map[Format]string{SVG: "svg", Mermaid: "mmd", DOT: "dot", JSON: "json"}

func TestGolden(t *testing.T) {
	for _, gg := range goldenGraphs {
		for _, f := range Formats() {
			name := gg.name + "." + extensions[f]
			t.Run(name, func(t *testing.T) {
				var b bytes.Buffer
				if err := Render(&b, gg.g(), f); err != nil {
					t.Fatalf("Render: %v", err)
				}
				golden(t, name, b.Bytes())
			})
		}
	}
}

// TestOrderDoesNotMatter renders each graph with its nodes and edges
// shuffled and expects the same bytes.
func TestOrderDoesNotMatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	graphs := []stack.Graph{generated(120, 3)}
	for _, gg := range goldenGraphs {
		graphs = append(graphs, gg.g())
	}
	for gi, g := range graphs {
		for _, f := range Formats() {
			var want bytes.Buffer
			if err := Render(&want, g, f); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				s := stack.Graph{Nodes: slices.Clone(g.Nodes), Edges: slices.Clone(g.Edges)}
				rng.Shuffle(len(s.Nodes), func(i, j int) { s.Nodes[i], s.Nodes[j] = s.Nodes[j], s.Nodes[i] })
				rng.Shuffle(len(s.Edges), func(i, j int) { s.Edges[i], s.Edges[j] = s.Edges[j], s.Edges[i] })
				if len(s.Edges) > 0 {
					s.Edges = append(s.Edges, s.Edges[0]) // an exact duplicate changes nothing
				}
				var got bytes.Buffer
				if err := Render(&got, s, f); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("graph %d, %s: output depends on the order of nodes and edges:\n%s", gi, f, firstDiff(got.String(), want.String()))
				}
			}
		}
	}
}

func TestEmptyGraph(t *testing.T) {
	for _, f := range Formats() {
		var b bytes.Buffer
		if err := Render(&b, stack.Graph{}, f); err != nil {
			t.Errorf("%s: Render(empty) = %v, want nil", f, err)
		}
		if b.Len() == 0 {
			t.Errorf("%s: Render(empty) wrote nothing", f)
		}
	}
	var b bytes.Buffer
	_ = Render(&b, stack.Graph{}, JSON)
	if got, want := b.String(), "{\n  \"nodes\": [],\n  \"edges\": []\n}\n"; got != want {
		t.Errorf("empty JSON = %q, want %q", got, want)
	}
}

func TestRenderInvalid(t *testing.T) {
	fn := node("Fn", stack.KindFunction, "AWS::Serverless::Function")
	tests := []struct {
		name string
		g    stack.Graph
		f    Format
		want error
		text string
	}{
		{"dangling edge", stack.Graph{Nodes: []stack.Node{fn}, Edges: []stack.Edge{edge("Fn", "Nope", stack.EdgeData, "")}}, SVG, ErrInvalidGraph, `no node "Nope"`},
		{"duplicate id", stack.Graph{Nodes: []stack.Node{fn, fn}}, Mermaid, ErrInvalidGraph, `two nodes with id "Fn"`},
		{"empty id", stack.Graph{Nodes: []stack.Node{{Type: "AWS::SNS::Topic"}}}, DOT, ErrInvalidGraph, "has no id"},
		{"unknown format", stack.Graph{Nodes: []stack.Node{fn}}, "png", ErrUnknownFormat, `"png"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Render(&b, tt.g, tt.f)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Render = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not say %q", err, tt.text)
			}
			if b.Len() != 0 {
				t.Errorf("Render wrote %d bytes on error, want none", b.Len())
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderWriteError(t *testing.T) {
	err := Render(failingWriter{}, s3GetObject(), JSON)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Render to a failing writer = %v, want the write error", err)
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		ok   bool
	}{
		{"svg", SVG, true},
		{"mermaid", Mermaid, true},
		{"dot", DOT, true},
		{"json", JSON, true},
		{"SVG", SVG, true},
		{" Mermaid\n", Mermaid, true},
		{"", "", false},
		{"png", "", false},
		{"mmd", "", false},
		{"graphviz", "", false},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil {
			if !errors.Is(err, ErrUnknownFormat) {
				t.Errorf("ParseFormat(%q) error %v does not wrap ErrUnknownFormat", tt.in, err)
			}
			if msg := err.Error(); !strings.Contains(msg, "svg, mermaid, dot or json") {
				t.Errorf("ParseFormat(%q) error %q does not name the valid formats", tt.in, msg)
			}
		}
	}
}

func TestFormats(t *testing.T) {
	got := Formats()
	want := []Format{SVG, Mermaid, DOT, JSON}
	if !slices.Equal(got, want) {
		t.Errorf("Formats() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if Formats()[0] != SVG {
		t.Error("Formats() returns shared state")
	}
}

func TestForFile(t *testing.T) {
	tests := []struct {
		name string
		want Format
		ok   bool
	}{
		{"a.svg", SVG, true},
		{"out/stack.SVG", SVG, true},
		{"a.mmd", Mermaid, true},
		{"a.mermaid", Mermaid, true},
		{"a.dot", DOT, true},
		{"a.gv", DOT, true},
		{"graph.json", JSON, true},
		{"a.png", "", false},
		{"svg", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ForFile(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ForFile(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"tab\there", "tab here"},
		{"line\nbreak\r", "line break "},
		{"λ ok", "λ ok"},
		{"bad\xffbyte", "bad\uFFFDbyte"},
		{"zero\u200bwidth", "zero width"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
