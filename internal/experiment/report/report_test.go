package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// sample returns a report like one `stacklab experiment run` writes: a
// baseline, a faster variant, a variant that failed to deploy, three
// clauses with the three verdicts, warnings and a power-tuning pick.
func sample() *Report {
	start := time.Date(2026, 11, 20, 14, 3, 0, 0, time.UTC)
	var baseSamples, fastSamples []float64
	for i := range 200 {
		u := float64((i*37)%200) / 200 // evenly spread, shuffled
		baseSamples = append(baseSamples, 380+900*u*u)
		fastSamples = append(fastSamples, 70+160*u)
	}
	baseSamples[17] = 4200 // a cold start
	r := &Report{
		Name:     "scorer-cache",
		File:     "experiments/scorer_cache.yaml",
		Started:  start,
		Finished: start.Add(7*time.Minute + 42*time.Second),
		Baseline: "base",
		Variants: []Variant{
			{Name: "base", Description: "the template as it is", MemoryMB: 512, Requests: 1200, Errors: 3, Cold: 6,
				Latency: Summary{N: 1197, Mean: 702.4, P50: 612.3, P95: 1231.7, P99: 2105.2}, CostPerRequest: 0.0000213, Throughput: 48.2, Samples: baseSamples},
			{Name: "fast", Description: "Scorer caches its model", MemoryMB: 512, Requests: 1200, Cold: 5,
				Latency: Summary{N: 1200, Mean: 151.9, P50: 148.2, P95: 221.4, P99: 240.8}, CostPerRequest: 0.0000071, Throughput: 51.7, Samples: fastSamples},
			{Name: "tiny", Description: "all functions at 128 MB", MemoryMB: 128, Failed: "deploy: Scorer: out of memory during init"},
		},
		Design:   Design{Rounds: 6, Order: "random", Confidence: 0.95, ColdStarts: "mixed", Seed: 42, Correction: "holm", Resamples: 10000},
		Workload: "100 requests a variant a round from 4 clients to POST /score, 2 s warm-up",
		Clauses: []Clause{
			{Text: "p95 of latency of fast is at least 50% lower than baseline", Metric: "latency", Stat: "p95", Variant: "fast", Unit: "ms",
				Baseline: 1231.7, Value: 221.4, Ratio: Interval{Estimate: 0.18, Lo: 0.15, Hi: 0.22, Level: 0.983}, Bound: 0.5,
				P: 0.0011, PAdjusted: 0.0033, Effect: -1, Verdict: Supported, Reason: "the whole interval is below 0.5"},
			{Text: "cost of fast is lower than baseline by at least 80%", Metric: "cost", Stat: "mean", Variant: "fast", Unit: "usd",
				Baseline: 0.0000213, Value: 0.0000071, Ratio: Interval{Estimate: 0.33, Lo: 0.31, Hi: 0.36, Level: 0.983}, Bound: 0.2,
				P: 0.0011, PAdjusted: 0.0033, Effect: -1, Verdict: Rejected, Reason: "the whole interval is above 0.2"},
			{Text: "errors of fast are lower than baseline", Metric: "errors", Stat: "rate", Variant: "fast", Unit: "",
				Baseline: 0.0025, Value: 0, Ratio: Interval{Estimate: 0, Lo: 0, Hi: 1.4, Level: 0.975}, Bound: 1,
				P: 0.21, PAdjusted: 0.21, Effect: -0.33, Verdict: Inconclusive, Reason: "the interval spans 1.", RoundsNeeded: 40},
		},
		Source: []Source{
			{Variant: "fast", Function: "Scorer", Share: 0.91, DeltaMs: -812.4},
			{Variant: "tiny", Function: ""},
		},
		Best:     &Best{Strategy: "balanced", Variant: "fast", Reason: "fastest and cheapest of those that finished"},
		Warnings: []string{"base: 3 errors (0.25%), left out of the latency statistics", "rounds 2 and 5 ran while the host load was above 4"},
		Failures: []string{"tiny: deploy: Scorer: out of memory during init"},
	}
	for _, f := range []struct {
		name       string
		base, fast float64
	}{{"Api", 12.1, 11.8}, {"Scorer", 901.3, 89.2}, {"Store", 31.4, 30.9}} {
		r.Functions = append(r.Functions,
			FunctionRow{Function: f.name, Variant: "base", Invocations: 1200, P50: f.base * 0.9, P95: f.base * 1.8, PerRequest: f.base, CostPerRequest: f.base * 2e-8, ColdRate: 0.005, MemoryMB: 512},
			FunctionRow{Function: f.name, Variant: "fast", Invocations: 1200, P50: f.fast * 0.9, P95: f.fast * 1.8, PerRequest: f.fast, CostPerRequest: f.fast * 2e-8, ColdRate: 0.004, MemoryMB: 512})
	}
	for round := 1; round <= 6; round++ {
		order := []string{"base", "fast"}
		if round%2 == 0 {
			order = []string{"fast", "base"}
		}
		for slot, v := range order {
			med := 600 + 10*float64(round)
			if v == "fast" {
				med = 150 - float64(round)
			}
			r.Rounds = append(r.Rounds, RoundRow{Round: round, Slot: slot, Variant: v, Requests: 200, Median: med, P95: med * 1.9})
		}
	}
	return r
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		file   string
		render func(io.Writer, *Report) error
	}{
		{"report.md", Markdown},
		{"report.html", HTML},
		{"report.json", JSON},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.render(&b, sample()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from the golden file; got:\n%s", tc.file, b.String())
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for name, r := range map[string]*Report{"sample": sample(), "empty": {}} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := JSON(&b, r); err != nil {
				t.Fatal(err)
			}
			var got Report
			if err := json.Unmarshal(b.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&got, r) {
				t.Errorf("round trip: got %+v, want %+v", got, *r)
			}
		})
	}
}

func TestJSONRefusesNaN(t *testing.T) {
	r := sample()
	r.Clauses[1].Ratio.Hi = math.NaN()
	var b bytes.Buffer
	err := JSON(&b, r)
	if err == nil {
		t.Fatal("got no error, want one for a NaN")
	}
	if want := "report.Clauses[1].Ratio.Hi"; !strings.Contains(err.Error(), want) {
		t.Errorf("got error %q, want it to name %s", err, want)
	}
	if b.Len() != 0 {
		t.Errorf("got %d bytes written, want none", b.Len())
	}
}

func TestNilReport(t *testing.T) {
	for name, render := range map[string]func(io.Writer, *Report) error{"json": JSON, "markdown": Markdown, "html": HTML} {
		if err := render(io.Discard, nil); err == nil {
			t.Errorf("%s: got no error for a nil report", name)
		}
	}
}

// odd returns reports that have little or broken data.
func odd() map[string]*Report {
	single := sample()
	single.Variants = single.Variants[:1]
	single.Clauses, single.Source, single.Best = nil, nil, nil
	var rounds []RoundRow
	for _, x := range single.Rounds {
		if x.Variant == "base" {
			rounds = append(rounds, x)
		}
	}
	single.Rounds = rounds[:1]

	nan := sample()
	n := math.NaN()
	nan.Variants[0].Samples = []float64{n, math.Inf(1), 5, 5, 5}
	nan.Variants[1].Samples = nil
	nan.Variants[0].Latency = Summary{N: 3, Mean: n, P50: n, P95: math.Inf(1), P99: n}
	nan.Variants[1].CostPerRequest = n
	nan.Variants[1].Throughput = math.Inf(-1)
	nan.Clauses[0].Ratio = Interval{Estimate: n, Lo: n, Hi: n, Level: n}
	nan.Clauses[0].Baseline, nan.Clauses[0].PAdjusted, nan.Clauses[0].Effect = n, n, n
	nan.Design.Confidence = n
	for i := range nan.Functions {
		nan.Functions[i].PerRequest = n
	}
	for i := range nan.Rounds {
		nan.Rounds[i].Median = n
	}
	nan.Source[0].Share, nan.Source[0].DeltaMs = n, n

	failed := &Report{Name: "all failed", Baseline: "a", Variants: []Variant{{Name: "a", Failed: "deploy"}, {Name: "b", Failed: "deploy"}},
		Failures: []string{"a: deploy", "b: deploy"}}

	flat := sample()
	for i := range flat.Variants {
		flat.Variants[i].Samples = []float64{0, 0, 0}
	}
	for i := range flat.Rounds {
		flat.Rounds[i].Round, flat.Rounds[i].Median = 1, 0
	}
	for i := range flat.Functions {
		flat.Functions[i].PerRequest = 0
	}

	return map[string]*Report{"empty": {}, "sample": sample(), "single": single, "nan": nan, "failed": failed, "flat": flat}
}

// xmlnsSVG is the one URL an HTML report may hold.
const xmlnsSVG = `xmlns="http://www.w3.org/2000/svg"`

func TestHTMLSelfContained(t *testing.T) {
	for name, r := range odd() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := HTML(&b, r); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			if strings.Contains(strings.ToLower(page), "<script") {
				t.Error("page has a <script")
			}
			rest := strings.ReplaceAll(page, xmlnsSVG, "")
			for _, u := range []string{"http://", "https://", "url(", "@import"} {
				if strings.Contains(rest, u) {
					t.Errorf("page refers to %q outside the SVG xmlns", u)
				}
			}
			if strings.Contains(page, "NaN") || strings.Contains(page, "Inf") {
				t.Error("page shows NaN or Inf")
			}
			checkSVG(t, page)
			if err := Markdown(io.Discard, r); err != nil {
				t.Errorf("markdown: %v", err)
			}
		})
	}
}

// numberAttrs are the SVG attributes that hold one number.
var numberAttrs = map[string]bool{"x": true, "y": true, "x1": true, "y1": true, "x2": true, "y2": true,
	"cx": true, "cy": true, "r": true, "width": true, "height": true, "stroke-width": true, "stroke-opacity": true}

var numberRE = regexp.MustCompile(`[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[A-Za-z]+`)

// checkSVG checks that the page has balanced <svg> elements, each
// well-formed XML whose coordinates are all finite numbers.
func checkSVG(t *testing.T, page string) {
	t.Helper()
	opens, closes := strings.Count(page, "<svg "), strings.Count(page, "</svg>")
	if opens != closes || opens != 4 {
		t.Fatalf("got %d <svg and %d </svg>, want 4 of each", opens, closes)
	}
	for rest := page; ; {
		i := strings.Index(rest, "<svg ")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i:], "</svg>") + i + len("</svg>")
		svg := rest[i:j]
		rest = rest[j:]
		d := xml.NewDecoder(strings.NewReader(svg))
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg)
			}
			el, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			for _, a := range el.Attr {
				var nums []string
				switch {
				case numberAttrs[a.Name.Local]:
					nums = []string{a.Value}
				case a.Name.Local == "viewBox" || a.Name.Local == "points" || a.Name.Local == "d" || a.Name.Local == "transform":
					for _, m := range numberRE.FindAllString(a.Value, -1) {
						if m[0] >= '0' && m[0] <= '9' || m[0] == '-' || m[0] == '+' || m[0] == '.' {
							nums = append(nums, m)
						} else if strings.Contains(strings.ToLower(m), "nan") || strings.Contains(strings.ToLower(m), "inf") {
							nums = append(nums, m)
						}
					}
				}
				for _, s := range nums {
					v, err := strconv.ParseFloat(s, 64)
					if err != nil || !finite(v) {
						t.Errorf("<%s %s=%q>: %q is not a finite number", el.Name.Local, a.Name.Local, a.Value, s)
					}
				}
			}
		}
	}
}

func TestEscaping(t *testing.T) {
	const evil = `<script>alert(1)</script>`
	r := sample()
	r.Name, r.File, r.Workload, r.Baseline = evil, evil, evil, evil
	r.Variants[1].Name, r.Variants[1].Description, r.Variants[2].Failed = evil, evil, evil
	for i := range r.Functions {
		if r.Functions[i].Variant == "fast" {
			r.Functions[i].Variant = evil
		}
	}
	r.Functions[0].Function = evil
	for i := range r.Rounds {
		if r.Rounds[i].Variant == "fast" {
			r.Rounds[i].Variant = evil
		}
	}
	r.Clauses[0].Text, r.Clauses[0].Reason, r.Clauses[0].Verdict = evil, evil, evil
	r.Source[0].Variant, r.Source[0].Function = evil, evil
	r.Best = &Best{Strategy: evil, Variant: evil, Reason: evil}
	r.Warnings = append(r.Warnings, evil)
	r.Failures = append(r.Failures, evil)

	var h bytes.Buffer
	if err := HTML(&h, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(h.String()), "<script") {
		t.Errorf("HTML has an unescaped <script")
	}
	if !strings.Contains(h.String(), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("HTML does not show the escaped name")
	}
	checkSVG(t, h.String())

	var m bytes.Buffer
	if err := Markdown(&m, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.String(), "<script") {
		t.Errorf("Markdown has an unescaped <script")
	}
}

func TestMarkdownTableCells(t *testing.T) {
	r := sample()
	r.Variants[0].Description = "a | b\nc"
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	if want := `a \| b c`; !strings.Contains(b.String(), want) {
		t.Errorf("got no %q in the variants table:\n%s", want, b.String())
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtRatio(Interval{Estimate: 0.421, Lo: 0.38, Hi: 0.474, Level: 0.98333}), "0.42 [0.38, 0.47] (98.3% CI)"},
		{fmtRatio(Interval{Estimate: 0.5, Lo: math.NaN(), Hi: 1}), "0.50"},
		{fmtCost(0.0000021), "$2.10"},
		{fmtCost(0.000000213), "$0.213"},
		{fmtCost(0.01), "$10000"},
		{fmtCost(0), "$0"},
		{fmtMs(812.4), "812"},
		{fmtMs(42.16), "42.2"},
		{fmtMs(0.5), "0.50"},
		{fmtMs(math.NaN()), "–"},
		{fmtDeltaMs(-812.4), "−812 ms"},
		{fmtP(0.0004), "<0.001"},
		{fmtLevel(0.95), "95%"},
		{fmtLevel(95), "95%"},
		{fmtShare(0.905), "91%"},
		{num(math.NaN()), "0"},
		{num(-0.01), "0"},
		{tickLabel(0.30000000000000004, 0.1), "0.3"},
		{fmt.Sprint(niceStep(730, 5)), "200"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
