// Command genome-search measures the two scorer variants of
// examples/genome-search end to end, the example's first experiment: the
// template is deployed twice side by side by `stacklab up` (one with
// ScorerVariant=naive, one with fast), and the same genome is uploaded to
// each in alternating rounds, one job running at a time, so that drift of
// the machine falls on both alike. A job's time is the splitter's start to
// the aggregator's write of the ranked targets, as the jobs record them;
// the wall time from the upload to the API answering "done" is shown too.
// Each platform runs the pipeline once before measuring, so no cold start
// is counted, and a job starts once the last one's clean-up is over.
//
//	go run ./bench/genome-search [-bases 1000000] [-rounds 5] [-sandbox]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var (
	bases   = flag.Int("bases", 1_000_000, "bases of the genome uploaded (gensample -bases)")
	rounds  = flag.Int("rounds", 5, "jobs per variant")
	sandbox = flag.Bool("sandbox", false, "run the functions under bubblewrap")
)

// variant is one deployment of the template.
type variant struct {
	name    string
	state   string
	gateway string
	cmd     *exec.Cmd
	job     []time.Duration // started → finished, per round
	wall    []time.Duration // put → API says done
}

func main() {
	flag.Parse()
	log.SetFlags(0)
	root, err := moduleRoot()
	if err != nil {
		log.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "genome-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "stacklab")
	genome := filepath.Join(tmp, "genome.fa")
	for _, args := range [][]string{
		{"build", "-o", bin, "./cmd/stacklab"},
		{"run", "./examples/genome-search/gensample", "-bases", strconv.Itoa(*bases), "-o", genome},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("go %v: %v", args, err)
		}
	}
	template := filepath.Join(root, "examples/genome-search/template.yaml")
	sample := filepath.Join(root, "examples/genome-search/sample/genome.fa")
	vs := []*variant{{name: "naive"}, {name: "fast"}}
	for _, v := range vs {
		v.state = filepath.Join(tmp, v.name)
		if err := v.up(bin, template); err != nil {
			stop(vs)
			log.Fatal(err)
		}
	}
	defer stop(vs)
	fail := func(format string, args ...any) {
		stop(vs) // log.Fatalf skips the deferred stop
		log.Fatalf(format, args...)
	}
	for _, v := range vs { // warm: every function started once
		if _, _, err := v.run(bin, sample, "warm"); err != nil {
			fail("%s: warming up: %v", v.name, err)
		}
	}
	fmt.Printf("genome-search: %d bases, chunks of 20000, %d rounds per variant, alternating\n", *bases, *rounds)
	for r := range *rounds {
		for _, v := range vs {
			job, wall, err := v.run(bin, genome, "round"+strconv.Itoa(r))
			if err != nil {
				fail("%s: round %d: %v", v.name, r, err)
			}
			v.job, v.wall = append(v.job, job), append(v.wall, wall)
		}
	}
	fmt.Printf("%-8s %14s %14s\n", "variant", "job (median)", "wall (median)")
	for _, v := range vs {
		fmt.Printf("%-8s %14s %14s\n", v.name, median(v.job).Round(time.Millisecond), median(v.wall).Round(time.Millisecond))
	}
	fmt.Printf("naive/fast: job %.2fx, wall %.2fx\n", ratio(vs[0].job, vs[1].job), ratio(vs[0].wall, vs[1].wall))
}

// up starts `stacklab up` for the variant on free ports and waits until it
// serves.
func (v *variant) up(bin, template string) error {
	args := []string{"up", template, "-p", "ScorerVariant=" + v.name, "--state", v.state, "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0"}
	if !*sandbox {
		args = append(args, "--no-sandbox")
	}
	v.cmd = exec.Command(bin, args...)
	v.cmd.Stderr = os.Stderr
	if err := v.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		var ep struct{ Gateway string }
		if b, err := os.ReadFile(filepath.Join(v.state, "endpoints.json")); err == nil && json.Unmarshal(b, &ep) == nil && ep.Gateway != "" {
			v.gateway = ep.Gateway
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s: stacklab up did not serve within 3 minutes", v.name)
}

// run uploads a file as job id and waits for the job to be done.
func (v *variant) run(bin, file, id string) (job, wall time.Duration, err error) {
	start := time.Now()
	put := exec.Command(bin, "bucket", "put", "InputBucket", id+".fa", file, "--state", v.state)
	if out, err := put.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("bucket put: %v: %s", err, out)
	}
	deadline := start.Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		var j struct{ Status, Error, Started, Finished string }
		resp, err := http.Get(v.gateway + "/jobs/" + id + "?top=1")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&j)
			resp.Body.Close()
		}
		switch {
		case err != nil:
		case j.Status == "failed":
			return 0, 0, fmt.Errorf("job %s failed: %s", id, j.Error)
		case j.Status == "done":
			wall = time.Since(start)
			t0, err0 := time.Parse(time.RFC3339Nano, j.Started)
			t1, err1 := time.Parse(time.RFC3339Nano, j.Finished)
			if err0 != nil || err1 != nil {
				return 0, 0, fmt.Errorf("job %s: times %q, %q are not RFC 3339", id, j.Started, j.Finished)
			}
			return t1.Sub(t0), wall, v.settle(bin)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, 0, fmt.Errorf("job %s not done within 10 minutes", id)
}

// settle waits until the aggregator has removed the job's chunk results,
// so that the next job, of either variant, is measured on a quiet machine.
func (v *variant) settle(bin string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		out, err := exec.Command(bin, "table", "scan", "ChunksTable", "--state", v.state, "--output", "json").Output()
		if err == nil && strings.TrimSpace(string(out)) == "[]" {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s: the chunks table still has items a minute after the job", v.name)
}

// stop interrupts the platforms started and waits for them.
func stop(vs []*variant) {
	for _, v := range vs {
		if v.cmd != nil && v.cmd.Process != nil {
			_ = v.cmd.Process.Signal(syscall.SIGINT)
			_ = v.cmd.Wait()
			v.cmd = nil
		}
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ratio(a, b []time.Duration) float64 { return float64(median(a)) / float64(median(b)) }

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module: %w", err)
	}
	mod := string(out[:len(out)-1])
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run this from inside the stacklab module")
	}
	return filepath.Dir(mod), nil
}
