package diagram

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
)

// parseSVG decodes the whole document and returns the root element.
func parseSVG(t *testing.T, doc []byte) xml.StartElement {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var root *xml.StartElement
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == nil {
			c := se.Copy()
			root = &c
		}
	}
	if root == nil {
		t.Fatal("SVG has no root element")
	}
	return *root
}

func TestSVGIsXML(t *testing.T) {
	graphs := []stack.Graph{{}, generated(60, 5)}
	for _, gg := range goldenGraphs {
		graphs = append(graphs, gg.g())
	}
	for _, g := range graphs {
		var b bytes.Buffer
		if err := Render(&b, g, SVG); err != nil {
			t.Fatal(err)
		}
		root := parseSVG(t, b.Bytes())
		if root.Name.Space != "http://www.w3.org/2000/svg" || root.Name.Local != "svg" {
			t.Errorf("root element is %v, want svg in the SVG namespace", root.Name)
		}
		attrs := map[string]string{}
		for _, a := range root.Attr {
			attrs[a.Name.Local] = a.Value
		}
		for _, name := range []string{"width", "height", "viewBox"} {
			if attrs[name] == "" {
				t.Errorf("root element has no %s", name)
			}
		}
	}
}

func TestSVGEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, awkward(), SVG); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	parseSVG(t, b.Bytes())
	for _, want := range []string{
		`x&lt;y &amp; &#34;z&#34; | #1`,           // an edge label
		`Say &#34;hi&#34; &lt;b&gt;&amp;amp;&lt;`, // a node label
		`data-id="end"`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG does not contain %s", want)
		}
	}
	for _, bad := range []string{`<b>`, `"hi"`, "\t", "x<y"} {
		if strings.Contains(svg, bad) {
			t.Errorf("SVG contains unescaped %q", bad)
		}
	}
}

func TestSVGNotRun(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, s3GetObject(), SVG); err != nil {
		t.Fatal(err)
	}
	var role string
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.Contains(line, `data-id="S3GetObjectFunctionRole"`) {
			role = line
		}
	}
	for _, want := range []string{`class="node kind-other notrun"`, "accepted, not run</title>", `fill="` + notRun.fill + `"`, "stroke-dasharray"} {
		if !strings.Contains(role, want) {
			t.Errorf("the role's node %q does not contain %q", role, want)
		}
	}
}

func TestMermaidIdent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"MyFunction", "MyFunction"},
		{"end", "n_end"},
		{"End", "n_End"},
		{"Stream-1", "Stream_1"},
		{"1st", "n_1st"},
		{"", "n_"},
		{"a b.c", "a_b_c"},
		{"λx", "n__x"},
	}
	for _, tt := range tests {
		if got := mermaidIdent(tt.in); got != tt.want {
			t.Errorf("mermaidIdent(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMermaidText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"s3:ObjectCreated:*", "s3:ObjectCreated:*"},
		{`say "hi"`, "say #quot;hi#quot;"},
		{"<b>&</b>", "#lt;b#gt;#amp;#lt;/b#gt;"},
		{"a|b #1 `x`", "a#124;b #35;1 #96;x#96;"},
	}
	for _, tt := range tests {
		if got := mermaidText(tt.in); got != tt.want {
			t.Errorf("mermaidText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMermaidUniqueIDs(t *testing.T) {
	g := stack.Graph{Nodes: []stack.Node{
		{ID: "a-b", Kind: stack.KindFunction, Runs: true},
		{ID: "a.b", Kind: stack.KindFunction, Runs: true},
		{ID: "group_function", Kind: stack.KindFunction, Runs: true},
	}}
	ids, groups := mermaidIDs(g, groupByKind(g))
	want := []string{"a_b", "a_b_2", "group_function_2"}
	for i := range want {
		if ids[i] != want[i] {
			t.Errorf("ids = %v, want %v", ids, want)
			break
		}
	}
	if len(groups) != 1 || groups[0] != "group_function" {
		t.Errorf("group ids = %v, want [group_function]", groups)
	}
}

func BenchmarkRenderSVG2000(b *testing.B) {
	g := generated(2000, 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := Render(io.Discard, g, SVG); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderMermaid2000(b *testing.B) {
	g := generated(2000, 1)
	for b.Loop() {
		if err := Render(io.Discard, g, Mermaid); err != nil {
			b.Fatal(err)
		}
	}
}
