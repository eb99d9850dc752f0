package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// initTimeout bounds a cold start, as Lambda's init phase (10 s).
const initTimeout = 10 * time.Second

// maxLogLine is the longest line kept from a function's output (as
// CloudWatch Logs' largest event); longer lines are cut.
const maxLogLine = 256 * 1024

// invocation is one event handed to an instance.
type invocation struct {
	id            string
	payload       []byte
	deadline      time.Time
	traceID       string
	clientContext string
	started       time.Time // when the runtime took it from next
	done          chan outcome
	tail          *tailBuffer // the invocation's log lines, for X-Amz-Log-Result
}

// outcome is how an invocation ended: a response, or an error document with
// its type ("Unhandled", "Runtime.ExitError", "Sandbox.Timedout", ...).
type outcome struct {
	payload []byte
	errType string
	// fatal means the instance cannot be used again.
	fatal bool
}

// instance is one process speaking the Runtime API to its own listener.
type instance struct {
	spec   *Spec
	rt     *Runtime
	id     string // log stream name
	log    *slog.Logger
	cmd    *exec.Cmd
	ln     net.Listener // the Runtime API's
	arn    string       // Lambda-Runtime-Invoked-Function-Arn
	born   time.Time
	closed chan struct{} // closed by stop
	ready  chan struct{} // closed at the first GET next
	exited chan struct{} // closed when the process has exited
	initCh chan outcome  // an init error

	readyOnce sync.Once
	stopOnce  sync.Once
	mu        sync.Mutex
	current   *invocation
	last      *invocation // the invocation that output belongs to between invocations
	pending   *invocation // handed over before the runtime asked for it
	waiters   []*apiConn  // connections whose GET next waits for an event
	conns     map[*apiConn]struct{}
	stopping  bool
	wg        sync.WaitGroup // the Runtime API's goroutines

	out      *os.File // read end of the process's stdout and stderr
	outRead  atomic.Int64
	outDone  atomic.Int64
	outEOF   atomic.Bool
	outMu    sync.Mutex
	outCond  *sync.Cond
	exitErr  error
	oom      atomic.Bool
	maxRSS   atomic.Int64 // bytes
	warm     bool         // served at least one invocation; guarded by the pool
	lastUsed time.Time    // guarded by the pool
	initDur  time.Duration
}

var instanceSeq atomic.Int64

// startInstance starts a process for spec with its own Runtime API listener.
func (rt *Runtime) startInstance(spec *Spec) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the runtime API of %s: %w", spec.Name, err)
	}
	seq := instanceSeq.Add(1)
	in := &instance{
		spec:   spec,
		rt:     rt,
		id:     time.Now().UTC().Format("2006/01/02") + "/[" + spec.version() + "]" + strconv.FormatInt(seq, 10),
		ln:     ln,
		arn:    spec.arn(rt.opts.Region, rt.opts.AccountID),
		closed: make(chan struct{}),
		conns:  map[*apiConn]struct{}{},
		ready:  make(chan struct{}),
		exited: make(chan struct{}),
		initCh: make(chan outcome, 1),
	}
	in.outCond = sync.NewCond(&in.outMu)
	in.log = rt.log.With("function", spec.Name, "instance", seq)

	cmd, err := rt.command(spec, ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, err
	}
	out, w, err := os.Pipe()
	if err != nil {
		ln.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	in.out = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	in.cmd = cmd
	in.born = time.Now()
	err = cmd.Start()
	w.Close() // the child has its copy
	if err != nil {
		ln.Close()
		out.Close()
		return nil, fmt.Errorf("starting %s (%s): %w", spec.Name, cmd.Path, err)
	}
	// The listener queues the runtime's first connection until it serves.
	in.wg.Add(1)
	go in.serveAPI()
	go in.readOutput(out)
	go in.watchMemory()
	go func() {
		err := cmd.Wait()
		in.mu.Lock()
		in.exitErr = err
		in.mu.Unlock()
		close(in.exited)
	}()
	return in, nil
}

// command builds the process of an instance: the spec's command with the
// environment Lambda sets, inside the sandbox when there is one.
func (rt *Runtime) command(spec *Spec, api string) (*exec.Cmd, error) {
	if len(spec.Command) == 0 {
		return nil, fmt.Errorf("function %s has no command to run", spec.Name)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"LANG=C.UTF-8",
		"GOMAXPROCS=" + strconv.Itoa(vcpus(spec.MemoryMB)),
		"TZ=:UTC",
		"HOME=/tmp",
		"AWS_LAMBDA_RUNTIME_API=" + api,
		"AWS_LAMBDA_FUNCTION_NAME=" + spec.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=" + spec.version(),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(spec.MemoryMB),
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(int(spec.Timeout/time.Second)),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + spec.Name,
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_EXECUTION_ENV=AWS_Lambda_" + spec.Runtime,
		"AWS_REGION=" + rt.opts.Region,
		"AWS_DEFAULT_REGION=" + rt.opts.Region,
		"_HANDLER=" + spec.Handler,
		"LAMBDA_TASK_ROOT=" + spec.Dir,
		"LAMBDA_RUNTIME_DIR=" + spec.Dir,
	}
	for k, v := range spec.Env {
		env = append(env, k+"="+v)
	}
	argv := spec.Command
	if rt.sandbox != nil {
		argv = rt.sandbox.wrap(spec, argv)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = spec.Dir
	cmd.Env = env
	return cmd, nil
}

// readOutput sends every line the process writes to the log of the
// invocation in progress (or of the init phase, or the last invocation).
// Bytes of a line not yet ended count as handled, so that drainOutput never
// waits for a newline a function may not print; the line is logged when it
// ends (or when the process exits).
func (in *instance) readOutput(f *os.File) {
	defer f.Close()
	buf := make([]byte, 64*1024)
	var partial []byte // the start of a line not yet ended, at most maxLogLine bytes
	for {
		n, err := f.Read(buf)
		in.outRead.Add(int64(n))
		data := buf[:n]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				partial = appendCapped(partial, data)
				break
			}
			line := data[:i]
			if len(partial) > 0 {
				partial = appendCapped(partial, line)
				line = partial
			}
			in.logLine(string(bytes.TrimRight(line, "\r")))
			partial = partial[:0]
			data = data[i+1:]
		}
		if n > 0 {
			in.outDone.Add(int64(n))
			in.wakeDrain()
		}
		if err != nil {
			if len(partial) > 0 {
				in.logLine(string(partial))
			}
			in.outEOF.Store(true)
			in.wakeDrain()
			return
		}
	}
}

// logLine logs one line of the process's output.
func (in *instance) logLine(line string) {
	reqID := ""
	var tail *tailBuffer
	if inv := in.logTarget(); inv != nil {
		reqID, tail = inv.id, inv.tail
	}
	in.rt.logs.add(in.spec.Name, reqID, in.id, line, tail)
}

// appendCapped appends b to line, keeping at most maxLogLine bytes.
func appendCapped(line, b []byte) []byte {
	if room := maxLogLine - len(line); len(b) > room {
		b = b[:max(room, 0)]
	}
	return append(line, b...)
}

// drainBound bounds drainOutput's wait. The wait is only for the reader
// goroutine to log lines already read or in the pipe (a partial line does
// not hold it up), so it is short unless the machine is starved; the bound
// is generous so that a loaded machine still logs a function's output
// before its END line.
const drainBound = 500 * time.Millisecond

// drainOutput waits until every line the process wrote before now has been
// logged, so that what a function prints during an invocation is logged
// under it, before its END line.
func (in *instance) drainOutput() {
	target := in.outRead.Load() + int64(pendingBytes(in.out))
	if in.outDone.Load() >= target {
		return
	}
	deadline := time.Now().Add(drainBound)
	in.outMu.Lock()
	defer in.outMu.Unlock()
	for in.outDone.Load() < target && !in.outEOF.Load() && time.Now().Before(deadline) {
		waitCond(in.outCond, time.Until(deadline))
	}
}

// wakeDrain wakes drainOutput. It takes the lock so that the wake-up
// cannot fall between drainOutput's check and its wait (which would cost
// the invocation drainOutput's whole bound).
func (in *instance) wakeDrain() {
	in.outMu.Lock()
	in.outCond.Broadcast()
	in.outMu.Unlock()
}

// waitCond waits on c (whose lock is held) for at most d.
func waitCond(c *sync.Cond, d time.Duration) {
	t := time.AfterFunc(d, c.Broadcast)
	c.Wait()
	t.Stop()
}

// pendingBytes returns how many bytes wait to be read in a pipe.
func pendingBytes(f *os.File) int {
	var n int
	raw, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	raw.Control(func(fd uintptr) {
		var v int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&v))); e == 0 {
			n = int(v)
		}
	})
	return n
}

// watchMemory samples the resident memory of the process, records its peak
// and stops an instance that goes past its MemorySize.
func (in *instance) watchMemory() {
	limit := int64(in.spec.MemoryMB) << 20
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	s := newRSSSampler(in.cmd.Process.Pid)
	defer s.close()
	for {
		select {
		case <-in.exited:
			return
		case <-t.C:
		}
		rss := s.sample()
		if rss > in.maxRSS.Load() {
			in.maxRSS.Store(rss)
		}
		if limit > 0 && rss > limit && !in.oom.Load() {
			in.oom.Store(true)
			in.log.Warn("out of memory", "rss_mb", rss>>20, "memory_size_mb", in.spec.MemoryMB)
			in.kill()
		}
	}
}

// processRSS returns the resident memory of pid and its children, in bytes.
func processRSS(pid int) int64 {
	total := rssOf(pid)
	children, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children")
	if err == nil {
		for _, f := range splitFields(string(children)) {
			if c, err := strconv.Atoi(f); err == nil {
				total += processRSS(c)
			}
		}
	}
	return total
}

func rssOf(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0
	}
	f := splitFields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func splitFields(s string) []string {
	var out []string
	start := -1
	for i, c := range s {
		if c == ' ' || c == '\n' || c == '\t' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

func (in *instance) markReady() {
	in.readyOnce.Do(func() {
		in.initDur = time.Since(in.born)
		close(in.ready)
	})
}

func (in *instance) initFailed(o outcome) {
	o.fatal = true
	select {
	case in.initCh <- o:
	default:
	}
}

// logTarget is the invocation that output read now belongs to.
func (in *instance) logTarget() *invocation {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.current != nil {
		return in.current
	}
	return in.last
}

func (in *instance) currentInvocation() *invocation {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.current
}

// finish delivers the outcome of the invocation in progress.
func (in *instance) finish(inv *invocation, o outcome) {
	in.mu.Lock()
	if in.current == inv {
		in.current = nil
	}
	in.mu.Unlock()
	select {
	case inv.done <- o:
	default:
	}
}

// awaitReady waits for a starting instance to ask for its first event. ok
// is true once it has; otherwise the init failed (o says how, for inv) or
// ctx ended (err).
func (in *instance) awaitReady(ctx context.Context, inv *invocation) (o outcome, ok bool, err error) {
	select {
	case <-in.ready:
		return outcome{}, true, nil
	default:
	}
	timer := time.NewTimer(in.rt.opts.InitTimeout)
	defer timer.Stop()
	select {
	case <-in.ready:
		return outcome{}, true, nil
	case o := <-in.initCh:
		in.kill()
		return o, false, nil
	case <-in.exited:
		return in.exitOutcome(inv, "before it was ready"), false, nil
	case <-timer.C:
		in.kill()
		return outcome{fatal: true, errType: "Runtime.InitTimeout", payload: errorDoc("Runtime.InitTimeout", fmt.Sprintf("RequestId: %s Error: the runtime did not ask for an event within %s of starting (it never called invocation/next)", inv.id, in.rt.opts.InitTimeout))}, false, nil
	case <-ctx.Done():
		return outcome{}, false, ctx.Err()
	}
}

// errInstanceGone means the instance stopped before it took the invocation.
var errInstanceGone = errors.New("instance stopped")

// invoke runs one invocation on the instance and waits for its outcome,
// the timeout, the instance's death, or ctx.
func (in *instance) invoke(ctx context.Context, inv *invocation) (outcome, error) {
	if o, ok, err := in.awaitReady(ctx, inv); !ok {
		return o, err
	}
	// The timeout runs from here: a slow cold start does not eat into it
	// (the init phase has its own limit), as on Lambda.
	inv.deadline = time.Now().Add(in.spec.Timeout)
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	in.deliver(inv)
	cancelled := ctx.Done()
	for {
		select {
		case o := <-inv.done:
			return o, nil
		case o := <-in.initCh:
			in.kill()
			return o, nil
		case <-in.exited:
			if in.retract(inv) {
				return outcome{}, errInstanceGone
			}
			// The response may have raced the exit.
			select {
			case o := <-inv.done:
				return o, nil
			default:
			}
			return in.exitOutcome(inv, ""), nil
		case <-timer.C:
			in.kill()
			return in.timeoutOutcome(inv), nil
		case <-cancelled:
			if in.retract(inv) {
				return outcome{}, ctx.Err()
			}
			// The runtime has the event: the invocation runs to its end.
			cancelled = nil
		}
	}
}

func (in *instance) timeoutOutcome(inv *invocation) outcome {
	secs := float64(in.spec.Timeout) / float64(time.Second)
	msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, secs)
	in.rt.logs.add(in.spec.Name, inv.id, in.id, time.Now().UTC().Format(time.RFC3339Nano)+" "+msg, inv.tail)
	return outcome{fatal: true, errType: "Sandbox.Timedout", payload: errorDoc("Sandbox.Timedout", msg)}
}

// exitOutcome describes an instance that exited during an invocation.
func (in *instance) exitOutcome(inv *invocation, when string) outcome {
	in.mu.Lock()
	err := in.exitErr
	in.mu.Unlock()
	reason := "exit status 0"
	if err != nil {
		reason = err.Error()
	}
	if in.oom.Load() {
		msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: signal: killed (memory used went past MemorySize %d MB)", inv.id, in.spec.MemoryMB)
		return outcome{fatal: true, errType: "Runtime.OutOfMemory", payload: errorDoc("Runtime.OutOfMemory", msg)}
	}
	msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", inv.id, reason)
	if when != "" {
		msg = fmt.Sprintf("RequestId: %s Error: Runtime exited %s with error: %s", inv.id, when, reason)
	}
	return outcome{fatal: true, errType: "Runtime.ExitError", payload: errorDoc("Runtime.ExitError", msg)}
}

// kill stops the process group at once.
func (in *instance) kill() {
	if p := in.cmd.Process; p != nil {
		syscall.Kill(-p.Pid, syscall.SIGKILL)
	}
}

// stop kills the process, closes the listener and the runtime's
// connections, and waits for the exit and for the Runtime API's goroutines.
func (in *instance) stop() {
	in.stopOnce.Do(func() {
		close(in.closed)
		in.kill()
		<-in.exited
		in.ln.Close()
		in.mu.Lock()
		in.stopping = true
		conns := make([]*apiConn, 0, len(in.conns))
		for c := range in.conns {
			conns = append(conns, c)
		}
		in.mu.Unlock()
		for _, c := range conns {
			c.c.Close()
		}
		in.wg.Wait()
	})
}

func (in *instance) alive() bool {
	select {
	case <-in.exited:
		return false
	default:
		return true
	}
}

// vcpus is the CPU share Lambda gives a function of this memory size: one
// vCPU per 1,769 MB, at least one, at most six. Go functions get it as
// GOMAXPROCS, so that a small function does not run as many threads as the
// machine has cores.
func vcpus(memoryMB int) int {
	return min(6, max(1, (memoryMB+1768)/1769))
}
