package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/experiment"
	"github.com/stacklab/stacklab/internal/experiment/report"
	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/telemetry/metrics"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
	"github.com/stacklab/stacklab/internal/template"
)

func newExperiment() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "experiment",
		Short: "Test a hypothesis about an architecture: variants side by side, the same workload, statistics",
		Long: `experiment deploys the variants of a stack that an experiment file describes
side by side (each its own copy: buckets, queues, tables, routes), drives the
same open-loop workload at each in randomised rounds, reads what every request
caused from the traces, and decides each hypothesis clause: supported,
rejected or inconclusive, with bootstrap intervals over rounds and
Mann-Whitney U. The file's format is in docs/experiments.md.`,
		Example: `  stacklab experiment check examples/genome-search/experiment.yaml
  stacklab experiment run examples/genome-search/experiment.yaml
  stacklab experiment power examples/genome-search/experiment.yaml --change -30%`,
	}
	cmd.AddCommand(newExperimentRun(), newExperimentCheck(), newExperimentPower(), newExperimentLs())
	return cmd
}

// experimentFlags are what run and power share.
type experimentFlags struct {
	state, out, logLevel string
	noSandbox, keep      bool
	rounds               int
}

func (f *experimentFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.state, "state", ".stacklab", "state `DIR` whose build cache is used; runs are kept under DIR/experiments")
	fl.StringVar(&f.out, "out", "", "`DIR` for the report (default STATE/experiments/NAME-TIME)")
	fl.StringVar(&f.logLevel, "log-level", "error", "platform log level: debug, info, warn, error")
	fl.BoolVar(&f.noSandbox, "no-sandbox", false, "run functions without bubblewrap")
	fl.BoolVar(&f.keep, "keep", false, "keep the experiment platform's state (JetStream store, spans, logs) instead of removing it")
	fl.IntVar(&f.rounds, "rounds", 0, "override the design's number of rounds")
}

// runDir is where a run's report goes: --out, or a new folder under the
// state's experiments named after the run and the time.
func (f *experimentFlags) runDir(name string) string {
	if f.out != "" {
		return f.out
	}
	return filepath.Join(f.state, "experiments", name+"-"+time.Now().UTC().Format("20060102-150405"))
}

func newExperimentRun() *cobra.Command {
	var f experimentFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run an experiment and write its report (HTML, Markdown, JSON)",
		Long: `run starts a platform of its own on this machine (random ports, state under the
run's folder), deploys every variant, warms each up, runs the rounds, and
writes report.html, report.md and report.json. Progress goes to stderr; the
verdicts to stdout. Every variant stack is removed at the end, also on Ctrl-C.`,
		Example: `  stacklab experiment run examples/genome-search/experiment.yaml
  stacklab experiment run exp.yaml --rounds 20 --out results/
  stacklab experiment run exp.yaml --output json`,
		Args: exactlyOneFile,
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, err := loadPlan(cmd, args[0], f.rounds)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			dir := f.runDir(plan.Spec.Name)
			rep, err := runExperiment(ctx, cmd.ErrOrStderr(), plan, dir, f, func(ctx context.Context, p experiment.Platform) (any, error) {
				return experiment.Run(ctx, plan, p, experiment.Options{Progress: cmd.ErrOrStderr()})
			})
			if err != nil {
				return err
			}
			r := rep.(*report.Report)
			files, err := writeReports(dir, r)
			if err != nil {
				return err
			}
			if out == "json" {
				return report.JSON(cmd.OutOrStdout(), r)
			}
			printVerdicts(cmd.OutOrStdout(), r, files)
			return nil
		},
	}
	f.add(cmd)
	addOutput(cmd, &out)
	return cmd
}

func newExperimentCheck() *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "check FILE",
		Short: "Check an experiment file and its variants without running anything",
		Long: `check reads the experiment file, every variant's template and the merged
stack, and finds the workload's target in each variant: every problem that can
be found before anything runs, with the place to fix it.`,
		Example: `  stacklab experiment check examples/genome-search/experiment.yaml`,
		Args:    exactlyOneFile,
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, err := loadPlan(cmd, args[0], 0)
			if err != nil {
				return err
			}
			type variant struct {
				Name, Description, Target string
				Functions                 []string
			}
			var vs []variant
			for i, v := range plan.Merged.Variants {
				tg := plan.Targets[i]
				var fns []string
				for name := range tg.Functions {
					fns = append(fns, name)
				}
				vs = append(vs, variant{Name: v.Name, Description: v.Description, Target: tg.Kind + " " + firstNonEmptyString(tg.Name, tg.Method+" "+tg.Path), Functions: slices.Sorted(slices.Values(fns))})
			}
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"name": plan.Spec.Name, "baseline": plan.Spec.Baseline, "variants": vs, "clauses": len(plan.Spec.Hypothesis)})
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s: %d variants, baseline %s, %d hypothesis clauses, %d rounds\n", plan.Spec.Name, len(vs), plan.Spec.Baseline, len(plan.Spec.Hypothesis), plan.Spec.Design.Rounds)
			for _, v := range vs {
				fmt.Fprintf(w, "  %-12s %s\n  %-12s workload -> %s; functions %s\n", v.Name, v.Description, "", v.Target, strings.Join(v.Functions, ", "))
			}
			return nil
		},
	}
	addOutput(cmd, &out)
	return cmd
}

func newExperimentPower() *cobra.Command {
	var f experimentFlags
	var out outputFlag
	var change string
	var pilot int
	var power float64
	cmd := &cobra.Command{
		Use:   "power FILE",
		Short: "Estimate the rounds an experiment needs, from a short pilot on this machine",
		Long: `power runs a short pilot of the experiment (--pilot rounds), measures how much each
clause's per-round statistic varies between rounds of the baseline on this
machine, and estimates by simulation how many rounds detect a change of
--change (e.g. -20% for 20% lower) with the Mann-Whitney test at the design's
confidence and the given --power.`,
		Example: `  stacklab experiment power examples/genome-search/experiment.yaml --change -30%
  stacklab experiment power exp.yaml --change +10% --pilot 4 --power 0.9`,
		Args: exactlyOneFile,
		RunE: func(cmd *cobra.Command, args []string) error {
			ratio, err := changeRatio(change)
			if err != nil {
				return err
			}
			if pilot < 3 {
				return usagef("--pilot %d: a pilot needs at least 3 rounds", pilot)
			}
			if power <= 0 || power >= 1 {
				return usagef("--power %v: give a probability such as 0.8", power)
			}
			plan, err := loadPlan(cmd, args[0], pilot)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			dir := f.runDir(plan.Spec.Name + "-power")
			res, err := runExperiment(ctx, cmd.ErrOrStderr(), plan, dir, f, func(ctx context.Context, p experiment.Platform) (any, error) {
				return experiment.Power(ctx, plan, p, experiment.Options{Progress: cmd.ErrOrStderr()}, ratio, power)
			})
			if err != nil {
				return err
			}
			rows := res.([]experiment.PowerRow)
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			w := cmd.OutOrStdout()
			for _, r := range rows {
				fmt.Fprintf(w, "%s\n  pilot: %d rounds, %d requests a round, per-round %s varies by %.1f%%\n", r.Clause, r.PilotRounds, r.RequestsPerRound, r.Stat, r.CV*100)
				if r.Error != "" {
					fmt.Fprintf(w, "  cannot estimate: %s\n", r.Error)
					continue
				}
				reached := ""
				if r.Power < power {
					reached = fmt.Sprintf(" (only %.0f%% power even at %d rounds)", r.Power*100, r.Rounds)
				}
				fmt.Fprintf(w, "  to detect a change of %s with %.0f%% power: %d rounds (%d requests per variant)%s\n", change, power*100, r.Rounds, r.Rounds*r.RequestsPerRound, reached)
			}
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&change, "change", "-20%", "the change to detect, as -20% (lower) or +10% (higher)")
	cmd.Flags().IntVar(&pilot, "pilot", 3, "rounds of the pilot")
	cmd.Flags().Float64Var(&power, "power", 0.8, "probability of detecting the change")
	addOutput(cmd, &out)
	return cmd
}

func newExperimentLs() *cobra.Command {
	var state string
	var out outputFlag
	cmd := &cobra.Command{
		Use:     "ls",
		Short:   "List the experiment runs kept under the state folder",
		Example: `  stacklab experiment ls`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			runs, err := experimentRuns(filepath.Join(state, "experiments"))
			if err != nil {
				return err
			}
			if out == "json" {
				if runs == nil {
					runs = []experimentRun{}
				}
				return writeJSON(cmd.OutOrStdout(), runs)
			}
			w := cmd.OutOrStdout()
			if len(runs) == 0 {
				fmt.Fprintln(w, "no experiment runs yet; start one with: stacklab experiment run FILE")
			}
			for _, r := range runs {
				fmt.Fprintf(w, "%-40s %s  %s\n", r.Dir, r.Started.Format(time.DateTime), strings.Join(r.Verdicts, "; "))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&state, "state", ".stacklab", "state `DIR`")
	addOutput(cmd, &out)
	return cmd
}

func exactlyOneFile(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("%s takes one experiment FILE, got %d arguments", cmd.Name(), len(args))
	}
	return nil
}

func loadPlan(cmd *cobra.Command, file string, rounds int) (*experiment.Plan, error) {
	spec, err := experiment.Load(file)
	if err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), err)
		return nil, errInvalid
	}
	if rounds > 0 {
		spec.Design.Rounds = rounds
	}
	plan, err := experiment.Prepare(spec, template.Options{})
	if err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), err)
		return nil, errInvalid
	}
	return plan, nil
}

// runExperiment starts a platform of the experiment's own under dir, runs
// fn on it, and removes the platform's state afterwards (unless --keep),
// also when ctx ends.
func runExperiment(ctx context.Context, stderr io.Writer, plan *experiment.Plan, dir string, f experimentFlags, fn func(context.Context, experiment.Platform) (any, error)) (any, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, usagef("--log-level: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	build, err := filepath.Abs(filepath.Join(f.state, "build"))
	if err != nil {
		return nil, err
	}
	state := filepath.Join(dir, "platform")
	opts := platform.Options{StateDir: state, BuildDir: build, Sandbox: !f.noSandbox, Logger: logger, IdleTimeout: 10 * time.Minute, QueueWait: 10 * time.Second, NodeConcurrency: 64}
	p, err := platform.New(opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		p.Close()
		if !f.keep {
			os.RemoveAll(state)
			fmt.Fprintln(stderr, "variant stacks removed")
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.SetGateway(ln.Addr().String())
	live := newLiveGateway(p, logger, opts)
	srv := &http.Server{Handler: live.handler(metrics.New()), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	res, err := fn(ctx, &experimentPlatform{p: p, live: live, url: "http://" + ln.Addr().String()})
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "interrupted")
	}
	return res, err
}

// experimentPlatform is a platform.Platform as an experiment sees it.
type experimentPlatform struct {
	p    *platform.Platform
	live *liveGateway
	url  string
}

var _ experiment.Platform = (*experimentPlatform)(nil)

func (e *experimentPlatform) Deploy(ctx context.Context, file string, src []byte) error {
	if _, _, err := e.p.DeploySource(ctx, file, src, nil); err != nil {
		return err
	}
	return e.live.Err()
}

func (e *experimentPlatform) Gateway() string { return e.url }

func (e *experimentPlatform) Busy(ctx context.Context) int { return e.p.Busy(ctx) }

func (e *experimentPlatform) store(ctx context.Context) (*store.Store, error) {
	tel := e.p.Telemetry()
	if tel == nil || tel.Store() == nil {
		return nil, errors.New("telemetry is off: an experiment measures from the span store")
	}
	st := tel.Store()
	if err := st.Flush(ctx); err != nil {
		return nil, fmt.Errorf("flushing the span store: %w", err)
	}
	return st, nil
}

func (e *experimentPlatform) Spans(ctx context.Context, since, until time.Time) ([][]model.Span, error) {
	st, err := e.store(ctx)
	if err != nil {
		return nil, err
	}
	return st.Spans(ctx, store.TraceFilter{Since: since, Until: until, Limit: 1 << 30})
}

func (e *experimentPlatform) Invocations(ctx context.Context, since, until time.Time) ([]model.Invocation, error) {
	st, err := e.store(ctx)
	if err != nil {
		return nil, err
	}
	return st.Invocations(ctx, store.InvocationFilter{Since: since, Until: until, Limit: 1 << 30})
}

func writeReports(dir string, r *report.Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the report folder: %w", err)
	}
	var files []string
	for _, f := range []struct {
		name  string
		write func(io.Writer, *report.Report) error
	}{{"report.html", report.HTML}, {"report.md", report.Markdown}, {"report.json", report.JSON}} {
		path := filepath.Join(dir, f.name)
		fh, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		werr := f.write(fh, r)
		if cerr := fh.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, fmt.Errorf("writing %s: %w", path, werr)
		}
		files = append(files, path)
	}
	return files, nil
}

func printVerdicts(w io.Writer, r *report.Report, files []string) {
	fmt.Fprintf(w, "experiment %s: %d rounds, %s\n", r.Name, r.Design.Rounds, r.Workload)
	for _, v := range r.Variants {
		fmt.Fprintf(w, "  %-12s %5d requests %4d errors  p50 %8.1f ms  p95 %8.1f ms  $%.3g/request\n", v.Name, v.Requests, v.Errors, v.Latency.P50, v.Latency.P95, v.CostPerRequest)
	}
	for _, c := range r.Clauses {
		fmt.Fprintf(w, "%s: %s\n  ratio %.3f [%.3f, %.3f] (%.1f%% CI), p=%.3g; %s\n", strings.ToUpper(c.Verdict), c.Text, c.Ratio.Estimate, c.Ratio.Lo, c.Ratio.Hi, c.Ratio.Level*100, c.PAdjusted, c.Reason)
		if c.RoundsNeeded > 0 {
			fmt.Fprintf(w, "  about %d rounds would decide it\n", c.RoundsNeeded)
		}
	}
	for _, s := range r.Source {
		fmt.Fprintf(w, "where %s differs: %s (%.0f%% of the change in function time, %+.1f ms per request)\n", s.Variant, s.Function, s.Share*100, s.DeltaMs)
	}
	if r.Best != nil {
		fmt.Fprintf(w, "best by %s: %s\n", r.Best.Strategy, r.Best.Reason)
	}
	for _, x := range r.Warnings {
		fmt.Fprintln(w, "warning: "+x)
	}
	for _, x := range r.Failures {
		fmt.Fprintln(w, "failed: "+x)
	}
	fmt.Fprintf(w, "report: %s\n", strings.Join(files, ", "))
}

// changeRatio reads --change: -20% is a ratio of 0.8, +10% of 1.1.
func changeRatio(s string) (float64, error) {
	t := strings.TrimSpace(s)
	sign := 1.0
	switch {
	case strings.HasPrefix(t, "-"):
		sign, t = -1, t[1:]
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	default:
		return 0, usagef("--change %q: give a signed percentage, -20%% for lower or +10%% for higher", s)
	}
	f, err := experiment.ParsePercent(t)
	if err != nil || sign < 0 && f >= 1 {
		return 0, usagef("--change %q: give a signed percentage, -20%% for lower or +10%% for higher", s)
	}
	return 1 + sign*f, nil
}

// experimentRun is one kept run.
type experimentRun struct {
	Dir      string    `json:"dir"`
	Name     string    `json:"name"`
	Started  time.Time `json:"started"`
	Verdicts []string  `json:"verdicts"`
}

func experimentRuns(dir string) ([]experimentRun, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []experimentRun
	for _, e := range ents {
		r, err := readReport(filepath.Join(dir, e.Name(), "report.json"))
		if err != nil {
			continue
		}
		run := experimentRun{Dir: filepath.Join(dir, e.Name()), Name: r.Name, Started: r.Started}
		for _, c := range r.Clauses {
			run.Verdicts = append(run.Verdicts, c.Verdict+": "+c.Text)
		}
		out = append(out, run)
	}
	return out, nil
}

func readReport(path string) (*report.Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
