package template

import (
	"fmt"
	"strings"
	"testing"
)

// TestLimits holds small templates that used to make Load run for minutes
// or allocate gigabytes, found while fuzzing. Each must now end with one
// finding that says what limit it reached.
func TestLimits(t *testing.T) {
	longList := strings.TrimSuffix(strings.Repeat("a,", 50_000), ",")
	tests := []struct {
		name string
		src  string
		want string // in the message of an error
	}{
		{
			// 256 × 256 × 256 resources: 3.5 minutes and 32 GB.
			name: "nested Fn::ForEach loops multiply",
			src: `Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::A:
    - X
    - !Cidr ["10.0.0.0/8", 256, 8]
    - Fn::ForEach::B&{X}:
        - Y
        - !Cidr ["10.0.0.0/8", 256, 8]
        - Fn::ForEach::C&{X}&{Y}:
            - Z
            - !Cidr ["10.0.0.0/8", 256, 8]
            - "R&{X}&{Y}&{Z}": {Type: AWS::SNS::Topic}
`,
			want: "expands to more than 1000000 values",
		},
		{
			// 2,000 copies of a 50,000-item list: 46 seconds and 11 GB.
			name: "Ref to a long list parameter, repeated",
			src: "Parameters:\n  P: {Type: CommaDelimitedList, Default: \"" + longList + "\"}\n" +
				"Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      L: [" + strings.Repeat("!Ref P, ", 2000) + "]\n",
			want: "expands to more than 1000000 values",
		},
		{
			name: "Fn::Split of a long string, repeated",
			src: "Parameters:\n  P: {Type: String, Default: \"" + longList + "\"}\n" +
				"Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      L: [" + strings.Repeat("!Split [',', !Ref P], ", 100) + "]\n",
			want: "expands to more than 1000000 values",
		},
		{
			// 10,001 copies of a 10 kB delimiter.
			name: "Fn::Join of many items with a long delimiter",
			src: "Parameters:\n  P: {Type: String, Default: \"" + strings.Repeat(",", 10_000) + "\"}\n" +
				"Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      J: !Join [" + strings.Repeat("x", 10_000) + ", !Split [',', !Ref P]]\n",
			want: "16 MB of text",
		},
		{
			// 10,000 copies of a 10 kB parameter in one string.
			name: "Fn::Sub of a long parameter, repeated",
			src: "Parameters:\n  P: {Type: String, Default: " + strings.Repeat("x", 10_000) + "}\n" +
				"Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      S: !Sub '" + strings.Repeat("${P}", 10_000) + "'\n",
			want: "16 MB of text",
		},
		{
			// Fn::ForEach replaces the identifier in the body with the item:
			// 1,000 uses of a 10 kB item, for each of 10 items.
			name: "Fn::ForEach of long items used many times",
			src: "Transform: AWS::LanguageExtensions\nParameters:\n  P: {Type: CommaDelimitedList, Default: \"" +
				strings.TrimSuffix(strings.Repeat(strings.Repeat("x", 10_000)+",", 10), ",") + "\"}\n" +
				"Resources:\n  Fn::ForEach::A:\n    - X\n    - !Ref P\n    - \"R${X}\":\n        Type: AWS::SNS::Topic\n        Properties: {S: \"" + strings.Repeat("${X}", 1000) + "\"}\n",
			want: "16 MB of text",
		},
		{
			name: "Globals copied into many functions",
			src:  "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Environment:\n      Variables:\n" + manyLines("        V%d: x\n", 2000) + "Resources:\n" + manyLines("  F%d: {Type: AWS::Serverless::Function, Properties: {InlineCode: x, Handler: h, Runtime: python3.12}}\n", 1000),
			want: "expands to more than 1000000 values",
		},
		{
			// Paths of ever deeper values: 19 seconds and 14 GB.
			name: "JSON nested 100,000 deep",
			src:  `{"Resources":` + "\t" + `{"A": {"Type": "X::Y::Z", "Properties": {"P": ` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "}}}}",
			want: "nested more than 1000 deep",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, diags := Load("limits.yaml", []byte(tt.src), Options{})
			found := false
			for _, d := range diags {
				found = found || strings.Contains(d.Message, tt.want)
			}
			if !found {
				t.Errorf("got findings %v, want an error with %q", diags, tt.want)
			}
			if tmpl != nil && len(tmpl.Resources) > maxResolved {
				t.Errorf("got %d resources, want at most %d", len(tmpl.Resources), maxResolved)
			}
		})
	}
}

func manyLines(format string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// TestJSONPositionsOfALongDocument checks positions in a JSON template that
// YAML refuses (an escaped slash), which used to be found by counting from
// the start of the document for every value: 10 seconds for 3,000
// resources.
func TestJSONPositionsOfALongDocument(t *testing.T) {
	var b strings.Builder
	b.WriteString("{\n\t\"Resources\": {\n")
	const n = 5000
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "\t\t\"R%d\": {\"Type\": \"AWS::SNS::Topic\", \"Properties\": {\"TopicName\": \"a\\/b\"}}", i)
	}
	b.WriteString("\n\t}\n}\n")
	tmpl, diags := Load("long.json", []byte(b.String()), Options{})
	if tmpl == nil || diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	if got := len(tmpl.Resources); got != n {
		t.Fatalf("got %d resources, want %d", got, n)
	}
	for _, i := range []int{0, 1, n / 2, n - 1} {
		r := tmpl.Resources[i]
		if r.Pos.Line != i+3 || r.Pos.Col != 3 {
			t.Errorf("%s is at %d:%d, want %d:3", r.ID, r.Pos.Line, r.Pos.Col, i+3)
		}
		if name, _ := r.Properties.Get("TopicName").Str(); name != "a/b" {
			t.Errorf("%s: got TopicName %q, want a/b", r.ID, name)
		}
	}
}

// TestFindingsPlacedInManyResources checks that findings made while parsing
// name their resource in a long template; every finding was compared with
// every resource, which took minutes for a few tens of thousands.
func TestFindingsPlacedInManyResources(t *testing.T) {
	const n = 10_000
	src := "Resources:\n" + manyLines("  R%d:\n    Type: AWS::SNS::Topic\n    Properties: {TopicName: a, TopicName: b}\n", n)
	_, diags := Load("many.yaml", []byte(src), Options{})
	if len(diags) != n {
		t.Fatalf("got %d findings, want %d", len(diags), n)
	}
	for i, d := range diags {
		if want := fmt.Sprintf("R%d", i); d.Resource != want || d.Line != 3*i+4 {
			t.Fatalf("finding %d: got %q at line %d, want %q at line %d", i, d.Resource, d.Line, want, 3*i+4)
		}
	}
}
