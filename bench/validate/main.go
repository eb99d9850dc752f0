// Command validate measures stacklab validate on a generated 2,000-resource
// SAM template (stacktest.Generate) against a baseline measured in the same
// run: decoding the same text into a yaml.Node, which is the least any
// command must do. It prints the medians, their ratio and whether the goal,
// validate in under a second, is met:
//
//	go run ./bench/validate
//	go run ./bench/validate -n 5000 -runs 10
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/stacklab/stacklab/internal/cli"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/stack/stacktest"
	"github.com/stacklab/stacklab/internal/template"
	"go.yaml.in/yaml/v3"
)

// goal is how long validate may take on the template.
const goal = time.Second

func main() {
	n := flag.Int("n", 2000, "resources in the generated template")
	runs := flag.Int("runs", 20, "timed runs of each measurement")
	flag.Parse()
	if err := run(*n, *runs, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "validate benchmark:", err)
		os.Exit(1)
	}
}

func run(n, runs int, w io.Writer) error {
	if n < 1 || runs < 1 {
		return fmt.Errorf("-n and -runs must be at least 1, got %d and %d", n, runs)
	}
	src := stacktest.Generate(n)
	dir, err := os.MkdirTemp("", "stacklab-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		return err
	}

	// The command as users run it: read the file, load, build, report.
	command := func() error {
		if code := cli.Main([]string{"validate", "--quiet", file}, io.Discard, io.Discard); code != 0 {
			return fmt.Errorf("stacklab validate %s: exit status %d, want 0", file, code)
		}
		return nil
	}
	// What validate spends its time on.
	loadBuild := func() error {
		tmpl, diags := template.Load(file, src, template.Options{})
		if tmpl == nil {
			return fmt.Errorf("Load: %v", diags)
		}
		s, more := stack.Build(tmpl)
		diags = append(diags, more...)
		diags.Sort()
		if diags.HasErrors() || len(s.Resources) != n {
			return fmt.Errorf("got %d resources and %v, want %d resources and no errors", len(s.Resources), diags, n)
		}
		return nil
	}
	// The baseline.
	decode := func() error {
		var doc yaml.Node
		return yaml.Unmarshal(src, &doc)
	}

	var cmdT, loadT, yamlT []time.Duration
	for i := -1; i < runs; i++ { // run -1 warms up and is not counted
		for _, m := range []struct {
			fn  func() error
			out *[]time.Duration
		}{{command, &cmdT}, {loadBuild, &loadT}, {decode, &yamlT}} {
			start := time.Now()
			if err := m.fn(); err != nil {
				return err
			}
			if i >= 0 {
				*m.out = append(*m.out, time.Since(start))
			}
		}
	}
	cmd, lb, base := median(cmdT), median(loadT), median(yamlT)
	verdict := "met"
	if cmd >= goal {
		verdict = "NOT met"
	}
	fmt.Fprintf(w, "validate %d resources: median %v (yaml decode alone %v, ratio %.1fx); goal < %v: %s\n",
		n, round(cmd), round(base), float64(cmd)/float64(base), goal, verdict)
	fmt.Fprintf(w, "  template: %d kB of YAML; %d runs each on %d CPUs\n", len(src)>>10, runs, numCPU())
	fmt.Fprintf(w, "  stacklab validate  median %-8v min %v\n", round(cmd), round(slices.Min(cmdT)))
	fmt.Fprintf(w, "  Load + Build       median %-8v min %v  (%.1fx yaml decode; %v per resource)\n",
		round(lb), round(slices.Min(loadT)), float64(lb)/float64(base), (lb / time.Duration(n)).Round(time.Microsecond/10))
	fmt.Fprintf(w, "  yaml decode        median %-8v min %v\n", round(base), round(slices.Min(yamlT)))
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }

func numCPU() int { return runtime.GOMAXPROCS(0) }
