// Command experiment checks that `stacklab experiment` neither cries wolf
// nor misses a known difference, on a real platform on this machine: it
// runs the A/A experiment (the same variant twice) and the A/B experiment
// (B's function sleeps 20% longer) -runs times each, and prints how often
// the verdict was "no difference" and "supported". The rates go into
// docs/experiments.md.
//
//	go run ./bench/experiment -runs 20
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/stacklab/stacklab/internal/experiment/report"
)

func main() {
	runs := flag.Int("runs", 20, "runs of each experiment")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "experiment bench:", err)
		os.Exit(1)
	}
}

func run(runs int) error {
	tmp, err := os.MkdirTemp("", "stacklab-bench-experiment-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "stacklab")
	build := exec.Command("go", "build", "-o", bin, "./cmd/stacklab")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building stacklab (run this from the repository root): %w", err)
	}
	for _, e := range []struct {
		file, want, what string
	}{
		{"bench/experiment/aa.yaml", report.NoDifference, "A/A, the same variant twice: \"no difference\""},
		{"bench/experiment/ab.yaml", report.Supported, "A/B, B's function 20% slower: difference \"supported\""},
	} {
		hits := 0
		var ratios []float64
		t0 := time.Now()
		for i := 0; i < runs; i++ {
			out := filepath.Join(tmp, fmt.Sprintf("%s-%d", filepath.Base(e.file), i))
			cmd := exec.Command(bin, "experiment", "run", e.file, "--out", out, "--state", filepath.Join(tmp, "state"), "--output", "json", "--no-sandbox")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s run %d: %v\n%s", e.file, i+1, err, stderr.String())
			}
			var r report.Report
			if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
				return fmt.Errorf("%s run %d: reading the report: %w", e.file, i+1, err)
			}
			c := r.Clauses[0]
			if c.Verdict == e.want {
				hits++
			}
			ratios = append(ratios, c.Ratio.Estimate)
			fmt.Fprintf(os.Stderr, "%s run %2d: %-13s ratio %.3f [%.3f, %.3f] p=%.3g\n", filepath.Base(e.file), i+1, c.Verdict, c.Ratio.Estimate, c.Ratio.Lo, c.Ratio.Hi, c.PAdjusted)
		}
		fmt.Printf("%s: %d of %d runs (%.0f%%), %s for all\n", e.what, hits, runs, 100*float64(hits)/float64(runs), time.Since(t0).Round(time.Second))
	}
	return nil
}
