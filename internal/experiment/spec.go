package experiment

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/diag"
	"go.yaml.in/yaml/v3"
)

// Spec is an experiment file: which variants of a stack to compare, the
// workload to drive at them, how to share the machine between them, and
// the hypothesis to test.
type Spec struct {
	// File is the experiment file's absolute path; paths in it are relative
	// to its folder.
	File string `yaml:"-"`
	Name string `yaml:"name"`
	// Template is the base template every variant starts from.
	Template string `yaml:"template"`
	// Parameters override the base template's parameters for every variant.
	Parameters map[string]string `yaml:"parameters"`
	// Baseline names the variant the others are compared with; default the
	// first.
	Baseline   string    `yaml:"baseline"`
	Variants   []Variant `yaml:"variants"`
	Hypothesis []Clause  `yaml:"hypothesis"`
	Workload   Workload  `yaml:"workload"`
	Design     Design    `yaml:"design"`
	// Strategy asks for the best variant by cost, speed or balanced (power
	// tuning); empty asks for none.
	Strategy string `yaml:"strategy"`

	root *yaml.Node
}

// Variant is the base template with changes.
type Variant struct {
	Name string `yaml:"name"`
	// Template replaces the base template.
	Template string `yaml:"template"`
	// Parameters override template parameters.
	Parameters map[string]string `yaml:"parameters"`
	// Patch sets template values by dotted path:
	// Resources.Scorer.Properties.MemorySize: 2048.
	Patch map[string]any `yaml:"patch"`
}

// Clause is one claim of the hypothesis: the metric's statistic in Variant
// compared with the baseline's.
type Clause struct {
	Metric string `yaml:"metric"`
	// Stat is p50 (or median), p90, p95, p99 or mean; rates and throughput
	// take mean.
	Stat string `yaml:"stat"`
	// Function is the function (logical id) for per-function metrics.
	Function string `yaml:"function"`
	// Span and Attribute name a numeric span attribute (metric attribute).
	Span      string `yaml:"span"`
	Attribute string `yaml:"attribute"`
	// Variant is compared with the baseline; default every other variant.
	Variant string `yaml:"variant"`
	// Direction is lower, higher or different.
	Direction string `yaml:"direction"`
	// AtLeast and AtMost give the size of the change ("30%").
	AtLeast string `yaml:"atLeast"`
	AtMost  string `yaml:"atMost"`
}

// Workload is what is sent at each variant in each round.
type Workload struct {
	// One target: an HTTP route ("GET /jobs/{id}"), a function (invoked
	// through the Invoke API), a queue (SQS SendMessage) or a bucket (a PUT
	// of an object).
	Route    string `yaml:"route"`
	Function string `yaml:"function"`
	Queue    string `yaml:"queue"`
	Bucket   string `yaml:"bucket"`
	// Params fill the route's {param}s (templates).
	Params map[string]string `yaml:"params"`
	// Payload is the request body, a Go text/template with .Seq, .Round,
	// .Variant and .ID; PayloadFile reads it from a file.
	Payload     string `yaml:"payload"`
	PayloadFile string `yaml:"payloadFile"`
	// Files uploads the files of a folder in turn (bucket workloads);
	// Generate makes objects instead.
	Files    string    `yaml:"files"`
	Generate *Generate `yaml:"generate"`
	// Key is the object key template; default "{{.Variant}}/{{.ID}}" plus
	// the file's extension.
	Key string `yaml:"key"`
	// Rate is the constant arrival rate ("5/s", "30/m"); Ramp goes from one
	// rate to another over each block.
	Rate string `yaml:"rate"`
	Ramp *Ramp  `yaml:"ramp"`
	// Duration or Requests end each block (one variant in one round).
	Duration string `yaml:"duration"`
	Requests int    `yaml:"requests"`
	// Warmup requests are sent to each variant before the first round and
	// discarded.
	Warmup int `yaml:"warmup"`
	// Timeout is how long a request may take end to end (its whole trace)
	// before it counts as an error; default 60s.
	Timeout string `yaml:"timeout"`
	// Quiet is how long nothing must happen before a block is over; default
	// 1s.
	Quiet string `yaml:"quiet"`
}

// Generate describes generated objects.
type Generate struct {
	// Size is each object's size ("100KB").
	Size string `yaml:"size"`
	// Alphabet is the characters the body is drawn from; default ACGT.
	Alphabet string `yaml:"alphabet"`
	// Header is a first line (a template), e.g. ">seq {{.ID}}".
	Header string `yaml:"header"`
	// LineWidth wraps the body; 0 leaves it one line.
	LineWidth int `yaml:"lineWidth"`
}

// Ramp is a rate changing linearly over a block.
type Ramp struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// Design is how the variants share the machine.
type Design struct {
	// Rounds each run every variant once; default 10.
	Rounds int `yaml:"rounds"`
	// Order within a round: random (a fresh permutation each round, the
	// default) or abba (alternating, then mirrored).
	Order string `yaml:"order"`
	// Confidence of the verdicts; default 0.95.
	Confidence float64 `yaml:"confidence"`
	// ColdStarts: mixed (default), warm (leave out requests that met a cold
	// start) or cold (only those).
	ColdStarts string `yaml:"coldStarts"`
	Seed       uint64 `yaml:"seed"`
	// Resamples of the bootstrap; default 2000.
	Resamples int `yaml:"resamples"`
}

// Metrics are the metrics a clause may name, and what each measures.
var Metrics = map[string]string{
	"latency":     "end-to-end latency of a request: from when it was due to be sent to the end of the last span it caused (ms)",
	"duration":    "a function's handler duration, per invocation (ms; needs function)",
	"init":        "a function's init duration on cold starts (ms; needs function)",
	"coldstarts":  "share of requests that met a cold start (or of a function's invocations)",
	"errors":      "share of requests that failed (an error status, an error span, a failed invocation, or no end in time)",
	"throughput":  "completed requests per second, per round",
	"cost":        "cost of the invocations a request caused (USD; of one function with function)",
	"attribute":   "a numeric span attribute (needs attribute, optionally span)",
	"invocations": "invocations per request (of one function with function)",
}

var statNames = []string{"p50", "median", "p90", "p95", "p99", "mean"}

var variantName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

// Error is a problem in an experiment file, at a place in it.
type Error struct {
	Pos     diag.Pos
	Message string
	Fix     string
}

func (e *Error) Error() string {
	s := e.Pos.String() + ": " + e.Message
	if e.Fix != "" {
		s += " (fix: " + e.Fix + ")"
	}
	return s
}

// Errors is every problem found in a file.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Load reads and checks an experiment file. Templates are not read yet:
// Prepare does that.
func Load(file string) (*Spec, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the experiment file: %w", err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	return Parse(abs, src)
}

// Parse decodes and checks an experiment file's text.
func Parse(file string, src []byte) (*Spec, error) {
	s := &Spec{File: file}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, &Error{Pos: yamlPos(file, err), Message: "not valid YAML: " + yamlMessage(err), Fix: "correct the YAML syntax"}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &Error{Pos: diag.Pos{File: file}, Message: "the experiment file is empty", Fix: "give template, variants, workload and hypothesis (see docs/experiments.md)"}
	}
	s.root = &root
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(s); err != nil {
		return nil, &Error{Pos: yamlPos(file, err), Message: yamlMessage(err), Fix: "use the fields described in docs/experiments.md"}
	}
	s.File = file
	s.defaults()
	if errs := s.check(); len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

func (s *Spec) defaults() {
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(s.File), filepath.Ext(s.File))
	}
	if s.Baseline == "" && len(s.Variants) > 0 {
		s.Baseline = s.Variants[0].Name
	}
	d := &s.Design
	if d.Rounds == 0 {
		d.Rounds = 10
	}
	if d.Order == "" {
		d.Order = "random"
	}
	if d.Confidence == 0 {
		d.Confidence = 0.95
	}
	if d.ColdStarts == "" {
		d.ColdStarts = "mixed"
	}
	if d.Resamples == 0 {
		d.Resamples = 2000
	}
	for i := range s.Hypothesis {
		c := &s.Hypothesis[i]
		if c.Stat == "" {
			switch c.Metric {
			case "coldstarts", "errors", "throughput", "cost", "invocations":
				c.Stat = "mean"
			default:
				c.Stat = "p50"
			}
		}
		if c.Stat == "median" {
			c.Stat = "p50"
		}
	}
}

// at is the position of the value at path (keys and list indexes) in the
// file, or of the deepest part of it that exists.
func (s *Spec) at(path ...any) diag.Pos {
	pos := diag.Pos{File: s.File}
	if s.root == nil || len(s.root.Content) == 0 {
		return pos
	}
	n := s.root.Content[0]
	pos.Line, pos.Col = n.Line, n.Column
	for _, p := range path {
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						next = n.Content[i+1]
						pos.Line, pos.Col = n.Content[i].Line, n.Content[i].Column
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
				pos.Line, pos.Col = next.Line, next.Column
			}
		}
		if next == nil {
			return pos
		}
		n = next
	}
	return pos
}

func (s *Spec) check() Errors {
	var errs Errors
	add := func(pos diag.Pos, fix, format string, args ...any) {
		errs = append(errs, &Error{Pos: pos, Message: fmt.Sprintf(format, args...), Fix: fix})
	}
	if s.Template == "" && !slices.ContainsFunc(s.Variants, func(v Variant) bool { return v.Template != "" }) {
		add(s.at(), "add template: path/to/template.yaml", "no template: give the base template, or one per variant")
	}
	if len(s.Variants) < 2 {
		add(s.at("variants"), "list at least two variants, the first being the baseline", "an experiment needs at least two variants, it has %d", len(s.Variants))
	}
	seen := map[string]bool{}
	for i, v := range s.Variants {
		switch {
		case !variantName.MatchString(v.Name):
			add(s.at("variants", i, "name"), "use lower-case letters, digits and dashes, starting with a letter (it names the variant's buckets and queues)", "variant %d: name %q is not valid", i+1, v.Name)
		case seen[v.Name]:
			add(s.at("variants", i, "name"), "give every variant its own name", "variant %q is given twice", v.Name)
		}
		seen[v.Name] = true
		for k := range v.Patch {
			if !strings.HasPrefix(k, "Resources.") && !strings.HasPrefix(k, "Globals.") && !strings.HasPrefix(k, "Parameters.") {
				add(s.at("variants", i, "patch", k), "patch a path under Resources, Globals or Parameters, e.g. Resources.Scorer.Properties.MemorySize", "variant %s: patch %q is outside the template's Resources", v.Name, k)
			}
		}
	}
	if s.Baseline != "" && !seen[s.Baseline] {
		add(s.at("baseline"), "name one of the variants: "+strings.Join(s.variantNames(), ", "), "baseline %q is not a variant", s.Baseline)
	}
	if len(s.Hypothesis) == 0 && s.Strategy == "" {
		add(s.at(), "add hypothesis: with at least one clause (metric, direction, atLeast/atMost)", "no hypothesis to test")
	}
	for i, c := range s.Hypothesis {
		where := func(k string) diag.Pos { return s.at("hypothesis", i, k) }
		if _, ok := Metrics[c.Metric]; !ok {
			known := slices.Sorted(maps.Keys(Metrics))
			add(where("metric"), "use one of "+strings.Join(known, ", ")+suggest(c.Metric, known), "clause %d: unknown metric %q", i+1, c.Metric)
		}
		if !slices.Contains(statNames, c.Stat) {
			add(where("stat"), "use one of "+strings.Join(statNames, ", "), "clause %d: unknown statistic %q", i+1, c.Stat)
		}
		if (c.Metric == "duration" || c.Metric == "init") && c.Function == "" {
			add(where("metric"), "add function: <logical id of the function>", "clause %d: metric %s needs a function", i+1, c.Metric)
		}
		if c.Metric == "attribute" && c.Attribute == "" {
			add(where("metric"), "add attribute: <span attribute name>", "clause %d: metric attribute needs attribute", i+1)
		}
		if c.Variant != "" && !seen[c.Variant] {
			add(where("variant"), "name one of the variants: "+strings.Join(s.variantNames(), ", "), "clause %d: variant %q is not in variants", i+1, c.Variant)
		}
		if c.Variant != "" && c.Variant == s.Baseline {
			add(where("variant"), "compare another variant with the baseline", "clause %d: variant %q is the baseline", i+1, c.Variant)
		}
		switch c.Direction {
		case "lower", "higher":
		case "different":
			if c.AtLeast != "" || c.AtMost != "" {
				add(where("direction"), "drop atLeast/atMost, or say lower or higher", "clause %d: a size needs a direction", i+1)
			}
		default:
			add(where("direction"), "use lower, higher or different", "clause %d: direction %q", i+1, c.Direction)
		}
		if c.AtLeast != "" && c.AtMost != "" {
			add(where("atLeast"), "give one of atLeast and atMost", "clause %d: both atLeast and atMost", i+1)
		}
		for _, k := range []struct{ key, v string }{{"atLeast", c.AtLeast}, {"atMost", c.AtMost}} {
			if k.v == "" {
				continue
			}
			f, err := ParsePercent(k.v)
			if err != nil {
				add(where(k.key), "write a percentage such as 30%", "clause %d: %s: %v", i+1, k.key, err)
			} else if c.Direction == "lower" && f >= 1 {
				add(where(k.key), "a value cannot fall by 100% or more: give a size below 100%", "clause %d: %s %s lower", i+1, k.key, k.v)
			}
		}
	}
	switch s.Strategy {
	case "", "cost", "speed", "balanced":
	default:
		add(s.at("strategy"), "use cost, speed or balanced", "strategy %q", s.Strategy)
	}
	errs = append(errs, s.checkWorkload()...)
	d := s.Design
	if d.Rounds < 2 {
		add(s.at("design", "rounds"), "run at least 2 rounds (10 or more to decide anything)", "design: %d rounds", d.Rounds)
	}
	if d.Order != "random" && d.Order != "abba" {
		add(s.at("design", "order"), "use random or abba", "design: order %q", d.Order)
	}
	if d.Confidence <= 0.5 || d.Confidence >= 1 {
		add(s.at("design", "confidence"), "give a level such as 0.95", "design: confidence %v is not between 0.5 and 1", d.Confidence)
	}
	if !slices.Contains([]string{"mixed", "warm", "cold"}, d.ColdStarts) {
		add(s.at("design", "coldStarts"), "use mixed, warm or cold", "design: coldStarts %q", d.ColdStarts)
	}
	if d.Resamples < 100 {
		add(s.at("design", "resamples"), "use 1000 or more", "design: %d resamples", d.Resamples)
	}
	return errs
}

func (s *Spec) checkWorkload() Errors {
	var errs Errors
	w := s.Workload
	add := func(key string, fix, format string, args ...any) {
		errs = append(errs, &Error{Pos: s.at("workload", key), Message: "workload: " + fmt.Sprintf(format, args...), Fix: fix})
	}
	targets := 0
	for _, t := range []string{w.Route, w.Function, w.Queue, w.Bucket} {
		if t != "" {
			targets++
		}
	}
	if targets != 1 {
		add("", "give exactly one of route, function, queue and bucket", "%d targets", targets)
	}
	if w.Route != "" {
		if _, _, err := splitRoute(w.Route); err != nil {
			add("route", `write it as "GET /items/{id}"`, "%v", err)
		}
	}
	if w.Payload != "" && w.PayloadFile != "" {
		add("payloadFile", "give payload or payloadFile", "both payload and payloadFile")
	}
	if w.Bucket != "" && w.Files == "" && w.Generate == nil && w.Payload == "" && w.PayloadFile == "" {
		add("bucket", "give files: <folder>, generate: {size: 100KB} or payload", "nothing to upload")
	}
	if w.Generate != nil {
		if _, err := ParseSize(w.Generate.Size); err != nil {
			add("generate", "write a size such as 100KB", "generate.size: %v", err)
		}
	}
	if (w.Rate == "") == (w.Ramp == nil) {
		add("rate", `give rate: "5/s", or ramp: {from: "1/s", to: "10/s"}`, "give one of rate and ramp")
	}
	for _, r := range s.rates() {
		if _, err := ParseRate(r); err != nil {
			add("rate", `write a rate such as "5/s" or "30/m"`, "%v", err)
		}
	}
	if (w.Duration == "") == (w.Requests == 0) {
		add("duration", "give duration (each block's length) or requests (each block's count)", "give one of duration and requests")
	}
	if w.Requests < 0 || w.Warmup < 0 {
		add("requests", "give a count of 1 or more", "negative count")
	}
	for _, k := range []struct{ key, v string }{{"duration", w.Duration}, {"timeout", w.Timeout}, {"quiet", w.Quiet}} {
		if k.v == "" {
			continue
		}
		if d, err := time.ParseDuration(k.v); err != nil || d <= 0 {
			add(k.key, "write a duration such as 10s", "%s %q is not a positive duration", k.key, k.v)
		}
	}
	return errs
}

func (s *Spec) rates() []string {
	if s.Workload.Ramp != nil {
		return []string{s.Workload.Ramp.From, s.Workload.Ramp.To}
	}
	if s.Workload.Rate != "" {
		return []string{s.Workload.Rate}
	}
	return nil
}

func (s *Spec) variantNames() []string {
	out := make([]string, len(s.Variants))
	for i, v := range s.Variants {
		out[i] = v.Name
	}
	return out
}

// Variant returns the named variant, or nil.
func (s *Spec) Variant(name string) *Variant {
	for i := range s.Variants {
		if s.Variants[i].Name == name {
			return &s.Variants[i]
		}
	}
	return nil
}

// path resolves a path given in the file against its folder.
func (s *Spec) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(s.File), p)
}

// ParseRate reads "5/s", "30/m", "2/h" or a bare number (per second) as
// requests per second.
func ParseRate(s string) (float64, error) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || !(n > 0 && n <= math.MaxFloat64) {
		return 0, fmt.Errorf("rate %q is not a positive number per unit", s)
	}
	switch strings.TrimSpace(unit) {
	case "", "s":
		return n, nil
	case "m":
		return n / 60, nil
	case "h":
		return n / 3600, nil
	}
	return 0, fmt.Errorf("rate %q: the unit is s, m or h", s)
}

// ParsePercent reads "30%" (or "0.3") as 0.3.
func ParsePercent(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a percentage", s)
	}
	if pct {
		f /= 100
	}
	if !(f > 0 && f < 10) {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return f, nil
}

// ParseSize reads "100KB", "1MB", "512" (bytes); KB is 1024 bytes.
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("size %q is not a positive size such as 100KB", s)
	}
	return n * mult, nil
}

func splitRoute(r string) (method, path string, err error) {
	method, path, ok := strings.Cut(strings.TrimSpace(r), " ")
	path = strings.TrimSpace(path)
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		return "", "", fmt.Errorf("route %q is not METHOD /path", r)
	}
	return strings.ToUpper(method), path, nil
}

func suggest(name string, names []string) string { return diag.Suggest(name, names) }

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlPos(file string, err error) diag.Pos {
	pos := diag.Pos{File: file}
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		pos.Col = 1
	}
	return pos
}

func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return strings.TrimPrefix(yamlLine.ReplaceAllString(te.Errors[0], ""), ": ")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}
