package experiment

import (
	"errors"
	"math"
	"strings"
	"testing"
)

const validSpec = `name: demo
template: template.yaml
variants:
  - name: slow
  - name: fast
    parameters: {Mode: fast}
hypothesis:
  - metric: latency
    direction: lower
    atLeast: 30%
  - metric: errors
    direction: different
workload:
  function: Fn
  rate: 5/s
  requests: 10
`

func TestParseDefaults(t *testing.T) {
	s, err := Parse("/x/demo.yaml", []byte(validSpec))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if s.Baseline != "slow" {
		t.Errorf("baseline %q, want the first variant, slow", s.Baseline)
	}
	d := s.Design
	if d.Rounds != 10 || d.Order != "random" || d.Confidence != 0.95 || d.ColdStarts != "mixed" || d.Resamples != 2000 {
		t.Errorf("design %+v, want rounds 10, order random, confidence 0.95, coldStarts mixed, resamples 2000", d)
	}
	if got := s.Hypothesis[0].Stat; got != "p50" {
		t.Errorf("latency stat %q, want p50", got)
	}
	if got := s.Hypothesis[1].Stat; got != "mean" {
		t.Errorf("errors stat %q, want mean", got)
	}
	if s.File != "/x/demo.yaml" || s.path("template.yaml") != "/x/template.yaml" {
		t.Errorf("file %q, template path %q", s.File, s.path("template.yaml"))
	}
	if v := s.Variant("fast"); v == nil || v.Parameters["Mode"] != "fast" {
		t.Errorf("Variant(fast) = %+v", v)
	}
	if s.Variant("none") != nil {
		t.Errorf("Variant(none) is not nil")
	}
}

func TestParseNameDefault(t *testing.T) {
	s, err := Parse("/x/my-exp.yaml", []byte(strings.Replace(validSpec, "name: demo\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "my-exp" {
		t.Errorf("name %q, want my-exp (from the file name)", s.Name)
	}
}

func TestParseMedian(t *testing.T) {
	s, err := Parse("e.yaml", []byte(strings.Replace(validSpec, "metric: latency\n", "metric: latency\n    stat: median\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if s.Hypothesis[0].Stat != "p50" {
		t.Errorf("median gives stat %q, want p50", s.Hypothesis[0].Stat)
	}
}

// errorsOf returns the problems an error from Parse carries.
func errorsOf(t *testing.T, err error) []*Error {
	t.Helper()
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	t.Fatalf("error %T %v is neither *Error nor Errors", err, err)
	return nil
}

func TestParseErrors(t *testing.T) {
	// Each case is a whole file; the line marked "# <" is where the problem
	// must be reported.
	tests := []struct {
		name, src, want string
	}{
		{"unknown metric", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - metric: latncy # <
    direction: lower
workload: {function: Fn, rate: 1/s, requests: 1}
`, `unknown metric "latncy"`},
		{"did you mean", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - metric: latncy # <
    direction: lower
workload: {function: Fn, rate: 1/s, requests: 1}
`, `did you mean "latency"`},
		{"unknown stat", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - metric: latency
    stat: p42 # <
    direction: lower
workload: {function: Fn, rate: 1/s, requests: 1}
`, `unknown statistic "p42"`},
		{"duration without function", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - metric: duration # <
    direction: lower
workload: {function: Fn, rate: 1/s, requests: 1}
`, "needs a function"},
		{"one variant", `template: t.yaml
variants: # <
  - name: a
hypothesis:
  - {metric: latency, direction: lower}
workload: {function: Fn, rate: 1/s, requests: 1}
`, "at least two variants, it has 1"},
		{"duplicate variant", `template: t.yaml
variants:
  - name: a
  - name: a # <
hypothesis:
  - {metric: latency, direction: lower}
workload: {function: Fn, rate: 1/s, requests: 1}
`, `variant "a" is given twice`},
		{"invalid variant name", `template: t.yaml
variants:
  - name: a
  - name: Fast_1 # <
hypothesis:
  - {metric: latency, direction: lower}
workload: {function: Fn, rate: 1/s, requests: 1}
`, `name "Fast_1" is not valid`},
		{"baseline not a variant", `template: t.yaml
baseline: c # <
variants: [{name: a}, {name: b}]
hypothesis:
  - {metric: latency, direction: lower}
workload: {function: Fn, rate: 1/s, requests: 1}
`, `baseline "c" is not a variant`},
		{"clause variant unknown", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - metric: latency
    variant: c # <
    direction: lower
workload: {function: Fn, rate: 1/s, requests: 1}
`, `variant "c" is not in variants`},
		{"direction down", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - metric: latency
    direction: down # <
workload: {function: Fn, rate: 1/s, requests: 1}
`, `direction "down"`},
		{"atLeast and atMost", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - metric: latency
    direction: lower
    atLeast: 10% # <
    atMost: 20%
workload: {function: Fn, rate: 1/s, requests: 1}
`, "both atLeast and atMost"},
		{"bad percentage", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - metric: latency
    direction: lower
    atLeast: lots # <
workload: {function: Fn, rate: 1/s, requests: 1}
`, `"lots" is not a percentage`},
		{"two targets", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - {metric: latency, direction: lower}
workload: # <
  function: Fn
  queue: Q
  rate: 1/s
  requests: 1
`, "2 targets"},
		{"no rate", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - {metric: latency, direction: lower}
workload: # <
  function: Fn
  requests: 1
`, "give one of rate and ramp"},
		{"bad rate", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - {metric: latency, direction: lower}
workload:
  function: Fn
  rate: 5/x # <
  requests: 1
`, "the unit is s, m or h"},
		{"duration and requests", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - {metric: latency, direction: lower}
workload:
  function: Fn
  rate: 1/s
  duration: 10s # <
  requests: 1
`, "give one of duration and requests"},
		{"unknown field", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis:
  - {metric: latency, direction: lower}
workload: {function: Fn, rate: 1/s, requests: 1}
rounds: 10 # <
`, "field rounds not found"},
		{"invalid yaml", `template: t.yaml
variants: [{name: a}, {name: b}]
hypothesis: a: b # <
`, "not valid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := 0
			for i, l := range strings.Split(tt.src, "\n") {
				if strings.HasSuffix(l, "# <") {
					want = i + 1
				}
			}
			s, err := Parse("bad.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse gave %+v and no error, want %q", s, tt.want)
			}
			var found *Error
			for _, e := range errorsOf(t, err) {
				if strings.Contains(e.Error(), tt.want) {
					found = e
					break
				}
			}
			if found == nil {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
			if found.Pos.Line != want {
				t.Errorf("%q is at line %d, want %d", found.Error(), found.Pos.Line, want)
			}
			if found.Pos.File != "bad.yaml" {
				t.Errorf("%q names file %q, want bad.yaml", found.Error(), found.Pos.File)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, src := range []string{"", "# nothing\n"} {
		if _, err := Parse("e.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf("Parse(%q) = %v, want an empty-file error", src, err)
		}
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"5/s", 5, true},
		{"5", 5, true},
		{" 30/m ", 0.5, true},
		{"2/h", 2.0 / 3600, true},
		{"0.5/s", 0.5, true},
		{"5 / s", 5, true},
		{"5/x", 0, false},
		{"0/s", 0, false},
		{"-1/s", 0, false},
		{"x/s", 0, false},
		{"", 0, false},
		{"NaN", 0, false},
		{"inf/s", 0, false},
		{"1e400/s", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if (err == nil) != tt.ok || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("ParseRate(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParsePercent(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"30%", 0.3, true},
		{"0.3", 0.3, true},
		{" 5% ", 0.05, true},
		{"150%", 1.5, true},
		{"0%", 0, false},
		{"-10%", 0, false},
		{"1000%", 0, false},
		{"lots", 0, false},
		{"%", 0, false},
		{"", 0, false},
		{"NaN%", 0, false},
		{"inf", 0, false},
	}
	for _, tt := range tests {
		got, err := ParsePercent(tt.in)
		if (err == nil) != tt.ok || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("ParsePercent(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512", 512, true},
		{"512B", 512, true},
		{"100KB", 100 << 10, true},
		{"2MB", 2 << 20, true},
		{"1gb", 1 << 30, true},
		{" 3 KB ", 3 << 10, true},
		{"1024GB", 1 << 40, true},
		{"1025GB", 0, false},
		{"0", 0, false},
		{"-1KB", 0, false},
		{"1.5MB", 0, false},
		{"KB", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(validSpec))
	f.Add([]byte(""))
	f.Add([]byte("variants: [{name: a}, {name: b}\n"))
	f.Add([]byte("hypothesis: [{metric: latncy, direction: down, atLeast: x, atMost: '%'}]\nworkload: {ramp: {from: 1/s, to: 5/x}, route: GET}\n"))
	f.Add([]byte("design: {rounds: -1, confidence: 2, order: zz}\nvariants: 3\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("variants:\n  - name: a\n    patch: {Foo.Bar: 1, Resources.X.Properties.M: [1, {a: b}]}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Parse("fuzz.yaml", src)
		if err == nil && (s == nil || len(s.Variants) < 2) {
			t.Fatalf("Parse accepted %q with %+v", src, s)
		}
		if err != nil {
			_ = err.Error()
		}
	})
}
