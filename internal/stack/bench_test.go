package stack_test

import (
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/stack/stacktest"
	"github.com/stacklab/stacklab/internal/template"
	"go.yaml.in/yaml/v3"
)

// BenchmarkValidate2000 measures what stacklab validate does with a
// 2,000-resource SAM template: template.Load and stack.Build. Compare it
// with BenchmarkYAMLDecode2000, the YAML decoding alone; bench/validate
// prints the ratio.
func BenchmarkValidate2000(b *testing.B) {
	const n = 2000
	src := stacktest.Generate(n)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		tmpl, diags := template.Load("generated.yaml", src, template.Options{})
		s, more := stack.Build(tmpl)
		diags = append(diags, more...)
		diags.Sort()
		if len(s.Resources) != n || diags.HasErrors() {
			b.Fatalf("got %d resources and errors %v, want %d resources and no errors", len(s.Resources), diags, n)
		}
	}
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(n, "resources/op")
	b.ReportMetric(perOp/n, "ns/resource")
}

// BenchmarkYAMLDecode2000 is the baseline of BenchmarkValidate2000: decoding
// the same text into a yaml.Node, which every command does first.
func BenchmarkYAMLDecode2000(b *testing.B) {
	const n = 2000
	src := stacktest.Generate(n)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		var doc yaml.Node
		if err := yaml.Unmarshal(src, &doc); err != nil {
			b.Fatal(err)
		}
	}
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(n, "resources/op")
	b.ReportMetric(perOp/n, "ns/resource")
}
