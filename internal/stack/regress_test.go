package stack_test

import (
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/template"
)

// TestBuildFuzzFindings holds templates that FuzzBuild found mishandled
// (their inputs are also in testdata/fuzz/FuzzBuild). Each must build into
// a graph whose nodes have ids and whose edges join nodes, with the finding
// that says what is wrong.
func TestBuildFuzzFindings(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // in the message of an error from Load or Build
	}{
		{
			// An empty collection item made a resource with the logical
			// id "", drawn as a node without an id.
			name: "Fn::ForEach makes an empty logical id",
			src: `Transform: AWS::LanguageExtensions
Parameters:
  Tenants: {Type: CommaDelimitedList, Default: "a,"}
Resources:
  Fn::ForEach::Tenant:
    - Name
    - !Ref Tenants
    - ${Name}:
        Type: AWS::SNS::Topic
`,
			want: `logical id "" is not alphanumeric`,
		},
		{
			name: "empty logical id",
			src:  "Resources:\n  '': {Type: AWS::SQS::Queue}\n  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: !Ref ''}}\n",
			want: `logical id "" is not alphanumeric`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, diags := template.Load("fuzz.yaml", []byte(tt.src), template.Options{})
			if tmpl == nil {
				t.Fatalf("Load returned no template: %v", diags)
			}
			s, more := stack.Build(tmpl)
			diags = append(diags, more...)
			found := false
			for _, d := range diags {
				found = found || strings.Contains(d.Message, tt.want)
			}
			if !found {
				t.Errorf("got findings %v, want one with %q", diags, tt.want)
			}
			nodes := map[string]bool{}
			for _, n := range s.Graph.Nodes {
				if n.ID == "" {
					t.Errorf("got a graph node without an id: %+v", n)
				}
				nodes[n.ID] = true
			}
			for _, e := range s.Graph.Edges {
				if !nodes[e.From] || !nodes[e.To] {
					t.Errorf("got edge %s -> %s, want both ends to be nodes", e.From, e.To)
				}
			}
		})
	}
}
