// Package stacktest builds stacks from template text for tests of the
// packages that run them.
package stacktest

import (
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/template"
)

// Build loads src as a template and builds its stack, failing t on any
// error of either.
func Build(t testing.TB, src string) *stack.Stack {
	t.Helper()
	tmpl, diags := template.Load("template.yaml", []byte(src), template.Options{})
	if tmpl == nil || diags.HasErrors() {
		t.Fatalf("template: %v", diags)
	}
	st, diags := stack.Build(tmpl)
	if diags.HasErrors() {
		t.Fatalf("stack: %v", diags)
	}
	return st
}
