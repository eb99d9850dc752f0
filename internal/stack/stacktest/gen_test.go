package stacktest_test

import (
	"fmt"
	"testing"

	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/stack/stacktest"
	"github.com/stacklab/stacklab/internal/template"
)

// TestGenerateIsValid checks that generated templates of several sizes,
// whole groups and partial ones, load and build without errors and have
// exactly the resources asked for.
func TestGenerateIsValid(t *testing.T) {
	for _, n := range []int{1, stacktest.GroupSize - 1, stacktest.GroupSize, 2*stacktest.GroupSize + 3, 2000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			src := stacktest.Generate(n)
			tmpl, diags := template.Load("generated.yaml", src, template.Options{})
			if tmpl == nil {
				t.Fatalf("Load returned no template: %v", diags)
			}
			s, more := stack.Build(tmpl)
			diags = append(diags, more...)
			for _, d := range diags {
				if d.Severity == diag.Error {
					t.Errorf("%s", d)
				}
			}
			if got := len(tmpl.Resources); got != n {
				t.Errorf("got %d resources in the template, want %d", got, n)
			}
			if got := len(s.Resources); got != n {
				t.Errorf("got %d resources in the stack, want %d", got, n)
			}
		})
	}
}

// TestGenerateUsesEverything checks that a whole group exercises what the
// benchmark is meant to measure: every kind of resource, events, policies
// and edges between them.
func TestGenerateUsesEverything(t *testing.T) {
	tmpl, _ := template.Load("generated.yaml", stacktest.Generate(stacktest.GroupSize), template.Options{})
	s, _ := stack.Build(tmpl)
	counts := map[string]int{
		"functions": len(s.Functions), "buckets": len(s.Buckets), "queues": len(s.Queues),
		"topics": len(s.Topics), "tables": len(s.Tables), "rules": len(s.Rules), "apis": len(s.APIs),
	}
	for what, n := range counts {
		if n == 0 {
			t.Errorf("got no %s, want some", what)
		}
	}
	events := map[stack.EventType]bool{}
	for _, f := range s.Functions {
		for _, e := range f.Events {
			events[e.Type] = true
		}
	}
	for _, want := range []stack.EventType{stack.EventS3, stack.EventSQS, stack.EventAPI, stack.EventSchedule} {
		if !events[want] {
			t.Errorf("got no %s event, want one", want)
		}
	}
	kinds := map[stack.EdgeKind]int{}
	for _, e := range s.Graph.Edges {
		kinds[e.Kind]++
	}
	for _, want := range []stack.EdgeKind{stack.EdgeTrigger, stack.EdgeData} {
		if kinds[want] == 0 {
			t.Errorf("got no %s edges, want some (edges: %v)", want, kinds)
		}
	}
}
