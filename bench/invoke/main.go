// Command invoke measures stacklab's invocation path against a plain Go
// net/http echo server (the floor), in the same run on the same machine:
// p50/p99 latency at 1 connection and throughput at 8 connections for a
// warm Go (aws-lambda-go) echo function, through the Lambda Invoke API and
// through an HTTP API route; cold start of a prebuilt Go function; and the
// platform's own memory per warm instance.
//
// The floor is a plain net/http echo server in its own process, since a
// function always runs in a process of its own; the same server inside the
// benchmark's process is shown too.
//
//	go run ./bench/invoke [-n 3000] [-d 3s] [-tracing on|off|both]
//
// With -tracing=both it measures only the warm latency and throughput, with
// tracing off and on in alternating rounds, and prints what tracing adds.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stacklab/stacklab/internal/gateway"
	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/runtime"
)

var (
	n       = flag.Int("n", 3000, "requests per latency measurement")
	dur     = flag.Duration("d", 3*time.Second, "duration of each throughput measurement")
	conns   = flag.Int("c", 8, "connections for the throughput measurement")
	colds   = flag.Int("cold", 20, "cold starts to measure")
	sandbox = flag.Bool("sandbox", false, "run the function under bubblewrap")
	profile = flag.String("cpuprofile", "", "write a CPU profile of the whole run to `FILE`")
	memprof = flag.String("memprofile", "", "write an allocation profile of the whole run to `FILE` when it ends")
	only    = flag.String("only", "", "run only these comma-separated parts: latency, throughput, cold")
	tracing = flag.String("tracing", "on", "on: the platform's default, every hop traced into the span store; off: Tracing.Off; both: compare on and off in alternating rounds (see -rounds)")
	payload = []byte(`{"hello":"world","n":42}`)
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	if *tracing != "on" && *tracing != "off" && *tracing != "both" {
		log.Fatalf("-tracing=%q: want on, off or both", *tracing)
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *memprof != "" {
		defer func() {
			f, err := os.Create(*memprof)
			if err != nil {
				log.Fatal(err)
			}
			defer f.Close()
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				log.Fatal(err)
			}
		}()
	}
	dir, _ := filepath.Abs("bench/invoke")
	if _, err := os.Stat(filepath.Join(dir, "template.yaml")); err != nil {
		log.Fatal("run from the repository root: go run ./bench/invoke")
	}
	state, err := os.MkdirTemp("", "stacklab-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(state)
	defer func() {
		if floorCmd != nil {
			floorCmd.Process.Kill()
			floorCmd.Wait()
		}
	}()

	if *tracing == "both" {
		tracingAB(state, dir)
		return
	}

	// The floors: a plain net/http echo server in its own process (as a
	// function is), and the same in this process (no process hop at all).
	floor := startFloor(state, dir)
	inproc := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))

	// stacklab: platform, gateway with the Invoke API and the route.
	st := startStack(filepath.Join(state, "platform"), dir, *tracing == "off")
	defer st.p.Close()
	p, invokeURL, routeURL := st.p, st.invokeURL, st.routeURL

	// Warm 8 instances.
	rssBefore := selfRSS()
	goruntime.GC()
	st.warm()

	fmt.Printf("stacklab invoke benchmark, %d cores, %s\n\n", goruntime.NumCPU(), goruntime.Version())
	var fl, il, rl []time.Duration
	if part("latency") {
		fmt.Printf("latency at 1 connection (%d requests, warm)\n", *n)
		fl = latency(floor)
		pl := latency(inproc)
		il = latency(invokeURL)
		rl = latency(routeURL)
		row := func(name string, l []time.Duration) {
			fmt.Printf("  %-22s p50 %8s  p99 %8s   p50 ratio to floor %.2fx\n", name, pct(l, 50), pct(l, 99), float64(pct(l, 50))/float64(pct(fl, 50)))
		}
		row("net/http echo (floor)", fl)
		row("net/http, in-process", pl)
		row("Invoke API", il)
		row("HTTP API route", rl)
	}

	var ft, it, rt float64
	if part("throughput") {
		fmt.Printf("\nthroughput at %d connections, %d warm instances, %s each; CPU per request in this process (client, gateway, runtime) and in the others (server, functions)\n", *conns, *conns, *dur)
		var fc, pc, ic, rc cpuUse
		ft, fc = throughput(floor, nil)
		pt, pc := throughput(inproc, nil)
		it, ic = throughput(invokeURL, nil)
		rt, rc = throughput(routeURL, nil)
		trow := func(name string, v float64, c cpuUse) {
			fmt.Printf("  %-22s %8.0f req/s   ratio to floor %.2f   CPU/req %5.1f µs here + %5.1f µs others; context switches/req %.1f here + %.1f others\n", name, v, v/ft, c.self, c.others, c.selfSwitches, c.switches)
		}
		trow("net/http echo (floor)", ft, fc)
		trow("net/http, in-process", pt, pc)
		trow("Invoke API", it, ic)
		trow("HTTP API route", rt, rc)
		// The functions' own CPU bounds what any platform can reach: a
		// platform that cost nothing would still need the client's and the
		// function's CPU for each request, against the floor's client and
		// server.
		floorCPU := fc.self + fc.others
		fmt.Printf("  ceiling with a platform that costs nothing (floor CPU / (client CPU + function CPU)): Invoke API %.0f%%, route %.0f%%\n",
			100*floorCPU/(fc.self+ic.others), 100*floorCPU/(fc.self+rc.others))
	}

	var inst []runtime.Function
	for _, f := range p.Functions() {
		inst = append(inst, f)
	}
	goruntime.GC()
	rssAfter := selfRSS()
	warm := 0
	for _, f := range inst {
		warm += f.Instances
	}
	fmt.Printf("\nmemory: %d warm instances; platform RSS grew %.1f MB (%.2f MB per instance, includes the benchmark's own clients)\n",
		warm, float64(rssAfter-rssBefore)/(1<<20), float64(rssAfter-rssBefore)/(1<<20)/float64(max(warm, 1)))

	if part("cold") {
		coldStart(state, dir)
	}

	if part("latency") && part("throughput") {
		fmt.Println("\ngoals: p50 within 3x the floor; throughput at least 30% of the floor; cold start p50 under 10 ms")
		fmt.Printf("  Invoke API p50 %.2fx, route p50 %.2fx, Invoke API throughput %.0f%%, route throughput %.0f%%\n",
			float64(pct(il, 50))/float64(pct(fl, 50)), float64(pct(rl, 50))/float64(pct(fl, 50)), 100*it/ft, 100*rt/ft)
	}
}

// part reports whether -only selects a part of the run.
func part(name string) bool {
	if *only == "" {
		return true
	}
	for p := range strings.SplitSeq(*only, ",") {
		if strings.TrimSpace(p) == name {
			return true
		}
	}
	return false
}

// stack is a deployed benchmark platform behind its own gateway.
type stack struct {
	p                   *platform.Platform
	invokeURL, routeURL string
}

// startStack starts a platform in state with the benchmark's template and
// serves its gateway (traced with the platform's telemetry, nil when off).
func startStack(state, dir string, tracingOff bool) stack {
	opts := platform.TracingOptions{Off: tracingOff}
	if *tracing == "both" {
		// The comparison runs retention itself, inside the traced side's
		// measurements (see tracingAB), not whenever its timer fires.
		opts.Store.RetentionInterval = 24 * time.Hour
	}
	p, err := platform.New(platform.Options{StateDir: state, NodeConcurrency: 64, Sandbox: *sandbox, Tracing: opts})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := p.Deploy(context.Background(), filepath.Join(dir, "template.yaml")); err != nil {
		log.Fatal(err)
	}
	gw, err := gateway.New(gateway.Config{Invoker: p, APIs: p.Stack().APIs, Telemetry: p.Telemetry()})
	if err != nil {
		log.Fatal(err)
	}
	gwURL := serve(gw)
	return stack{p: p, invokeURL: gwURL + "/2015-03-31/functions/Echo/invocations", routeURL: gwURL + "/echo"}
}

// warm starts -c instances of the function and sends requests through the
// gateway until the paths are warm.
func (s stack) warm() {
	var wg sync.WaitGroup
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.p.Invoke(context.Background(), invoke.Request{Function: "Echo", Payload: []byte(`{"warm":true}`)})
		}()
	}
	wg.Wait()
	for range 200 {
		post(http.DefaultClient, s.invokeURL)
	}
}

func serve(h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go (&http.Server{Handler: h}).Serve(ln)
	return "http://" + ln.Addr().String()
}

func client(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}}
}

func post(c *http.Client, url string) error {
	resp, err := c.Post(url, "application/json", bytes.NewReader(payload))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

func latency(url string) []time.Duration {
	c := client(1)
	for range 100 {
		post(c, url)
	}
	out := make([]time.Duration, 0, *n)
	for range *n {
		t := time.Now()
		if err := post(c, url); err != nil {
			log.Fatal(err)
		}
		out = append(out, time.Since(t))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := len(sorted) * p / 100
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i].Round(time.Microsecond)
}

// cpuUse is CPU time per request, in microseconds, spent in this process
// and in its child processes (the floor server, the function instances).
type cpuUse struct{ self, others, selfSwitches, switches float64 }

// throughput drives url at -c connections for -d and returns requests per
// second and the CPU used per request. settle, when not nil, runs after
// the last request and inside the measurement: work the requests left
// behind (a store's buffered writes) counts in their time and CPU.
func throughput(url string, settle func()) (float64, cpuUse) {
	c := client(*conns)
	var count, errs atomic.Int64
	stop := time.Now().Add(*dur)
	var wg sync.WaitGroup
	me := strconv.Itoa(os.Getpid())
	self0, others0, sw0 := selfCPU(), childCPU(), procSwitches(me)
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if err := post(c, url); err != nil {
					errs.Add(1)
					continue
				}
				count.Add(1)
			}
		}()
	}
	t := time.Now()
	wg.Wait()
	if settle != nil {
		settle()
	}
	elapsed := time.Since(t)
	self1, others1, sw1 := selfCPU(), childCPU(), procSwitches(me)
	if e := errs.Load(); e > 0 {
		log.Printf("  (%s: %d errors)", url, e)
	}
	reqs := float64(max(count.Load(), 1))
	var others time.Duration
	var switches int64
	for pid, u1 := range others1 {
		others += u1.cpu - others0[pid].cpu
		switches += u1.switches - others0[pid].switches
	}
	use := cpuUse{self: float64((self1 - self0).Microseconds()) / reqs, others: float64(others.Microseconds()) / reqs, selfSwitches: float64(sw1-sw0) / reqs, switches: float64(switches) / reqs}
	return float64(count.Load()) / elapsed.Seconds(), use
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procUse is what a process has used: CPU time and context switches.
type procUse struct {
	cpu      time.Duration
	switches int64
}

// childCPU is what each living descendant process has used, by pid.
func childCPU() map[int]procUse {
	out := map[int]procUse{}
	var walk func(pid string)
	walk = func(pid string) {
		tasks, _ := os.ReadDir("/proc/" + pid + "/task")
		for _, t := range tasks {
			b, _ := os.ReadFile("/proc/" + pid + "/task/" + t.Name() + "/children")
			for _, c := range strings.Fields(string(b)) {
				if id, err := strconv.Atoi(c); err == nil {
					out[id] = procUse{procCPU(c), procSwitches(c)}
					walk(c)
				}
			}
		}
	}
	walk(strconv.Itoa(os.Getpid()))
	return out
}

// procCPU is the user and system CPU time of a process, from /proc.
func procCPU(pid string) time.Duration {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	// After the command: state is field 3, utime 14 and stime 15 (1-based).
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}

// procSwitches is the context switches, voluntary or not, of all the
// threads of a process, from /proc.
func procSwitches(pid string) int64 {
	var n int64
	tasks, _ := os.ReadDir("/proc/" + pid + "/task")
	for _, t := range tasks {
		b, _ := os.ReadFile("/proc/" + pid + "/task/" + t.Name() + "/status")
		for line := range strings.SplitSeq(string(b), "\n") {
			if strings.HasSuffix(strings.SplitN(line, ":", 2)[0], "ctxt_switches") {
				v, _ := strconv.ParseInt(strings.TrimSpace(strings.SplitN(line, ":", 2)[1]), 10, 64)
				n += v
			}
		}
	}
	return n
}

// clockTicks is the unit of /proc/<pid>/stat times (USER_HZ, 100 on Linux).
const clockTicks = 100

// coldStart measures the first invocation of freshly deployed functions
// whose binary is already built.
func coldStart(state, dir string) {
	b := &runtime.Builder{Dir: filepath.Join(state, "build")}
	cmd, err := b.Prepare(context.Background(), runtime.Source{Name: "Echo", Runtime: "provided.al2023", CodeDir: filepath.Join(dir, "echo")})
	if err != nil {
		log.Fatal(err)
	}
	rt := runtime.New(runtime.Options{Sandbox: *sandbox})
	defer rt.Close()
	var specs []*runtime.Spec
	for i := range *colds {
		specs = append(specs, &runtime.Spec{Name: "cold" + strconv.Itoa(i), Runtime: "provided.al2023", Command: cmd, Dir: filepath.Join(dir, "echo"), MemoryMB: 128, Timeout: 3 * time.Second, Reserved: -1})
	}
	rt.Deploy(specs)
	var total, inits []time.Duration
	for _, s := range specs {
		t := time.Now()
		res, err := rt.Invoke(context.Background(), invoke.Request{Function: s.Name, Payload: payload})
		if err != nil || res.FunctionError != "" {
			log.Fatalf("cold start: %v %s", err, res.Payload)
		}
		total = append(total, time.Since(t))
		inits = append(inits, res.InitDuration)
	}
	sort.Slice(total, func(i, j int) bool { return total[i] < total[j] })
	sort.Slice(inits, func(i, j int) bool { return inits[i] < inits[j] })
	fmt.Printf("\ncold start of a prebuilt Go function (%d functions, first request each)\n", *colds)
	fmt.Printf("  first request p50 %s  p99 %s   (Init Duration p50 %s)\n", pct(total, 50), pct(total, 99), pct(inits, 50))
}

// selfRSS returns this process's resident memory in bytes.
func selfRSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// startFloor builds and starts the floor server in its own process.
func startFloor(state, dir string) string {
	bin := filepath.Join(state, "floor")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join(dir, "floor")
	if out, err := build.CombinedOutput(); err != nil {
		log.Fatalf("building the floor server: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	out, err := cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	floorCmd = cmd
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		log.Fatal(err)
	}
	return "http://" + strings.TrimSpace(addr)
}

var floorCmd *exec.Cmd
