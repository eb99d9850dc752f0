package bootstrap_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/runtime/bootstrap"
	"github.com/stacklab/stacklab/internal/syncbuf"
)

// patience bounds every wait for a runtime; it is a deadline, not a timing check.
const patience = 30 * time.Second

// runtimeAPI is the AWS Lambda Runtime API (2018-06-01) as the bootstraps see it:
// GET next hands out queued invocations, POST response/error/init-error record
// what the runtime answered. Request ids the API did not hand out are refused
// with 400, as AWS does.
type runtimeAPI struct {
	srv      *httptest.Server
	queue    chan invocation
	outcomes chan outcome
	closing  chan struct{}
	conns    atomic.Int32 // TCP connections the runtime opened

	mu      sync.Mutex
	pending map[string]bool // handed out, not yet answered
}

type invocation struct {
	id      string
	payload string
	header  http.Header // Lambda-Runtime-* headers beyond the request id
}

type outcome struct {
	kind        string // "response", "error", "init-error" or "bad-request-id"
	requestID   string
	errorType   string // the Lambda-Runtime-Function-Error-Type header
	contentType string
	body        []byte
}

func newRuntimeAPI(t testing.TB) *runtimeAPI {
	t.Helper()
	a := &runtimeAPI{
		queue:    make(chan invocation, 16),
		outcomes: make(chan outcome, 16),
		closing:  make(chan struct{}),
		pending:  map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", a.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", a.result("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", a.result("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		a.record(w, r, outcome{kind: "init-error"})
	})
	a.srv = httptest.NewUnstartedServer(mux)
	a.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			a.conns.Add(1)
		}
	}
	a.srv.Start()
	t.Cleanup(func() {
		close(a.closing) // lets a GET next that still waits return
		a.srv.Close()
	})
	return a
}

// address is the host:port for AWS_LAMBDA_RUNTIME_API.
func (a *runtimeAPI) address() string { return strings.TrimPrefix(a.srv.URL, "http://") }

func (a *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	select {
	case inv := <-a.queue:
		a.mu.Lock()
		a.pending[inv.id] = true
		a.mu.Unlock()
		for k, vs := range inv.header {
			w.Header()[k] = vs
		}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, inv.payload)
	case <-r.Context().Done():
	case <-a.closing:
		http.Error(w, "shutting down", http.StatusInternalServerError)
	}
}

func (a *runtimeAPI) result(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		a.mu.Lock()
		known := a.pending[id]
		delete(a.pending, id)
		a.mu.Unlock()
		if !known {
			a.outcomes <- outcome{kind: "bad-request-id", requestID: id}
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`)
			return
		}
		a.record(w, r, outcome{kind: kind, requestID: id})
	}
}

func (a *runtimeAPI) record(w http.ResponseWriter, r *http.Request, o outcome) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.body = body
	o.errorType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	o.contentType = r.Header.Get("Content-Type")
	a.outcomes <- o
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

// invoke queues an invocation and returns what the runtime answered.
func (a *runtimeAPI) invoke(t testing.TB, p *process, inv invocation) outcome {
	t.Helper()
	a.queue <- inv
	o := a.await(t, p)
	if o.kind != "init-error" && o.requestID != inv.id {
		t.Fatalf("answer for request %q (%s), want one for %q", o.requestID, o.kind, inv.id)
	}
	return o
}

func (a *runtimeAPI) await(t testing.TB, p *process) outcome {
	t.Helper()
	select {
	case o := <-a.outcomes:
		return o
	case <-p.exited:
		select {
		case o := <-a.outcomes: // posted just before the process ended
			return o
		default:
		}
		t.Fatalf("runtime exited (%v) without answering; output:\n%s", p.err, p.output())
	case <-time.After(patience):
		t.Fatalf("runtime did not answer within %v; output:\n%s", patience, p.output())
	}
	return outcome{}
}

// process is one runtime: `python3 bootstrap.py` or `node bootstrap.js`.
type process struct {
	root   string // LAMBDA_TASK_ROOT
	cmd    *exec.Cmd
	out    syncbuf.Buffer
	exited chan struct{}
	err    error // from Wait, once exited is closed
}

func (p *process) output() string { return p.out.String() }

// stop kills the runtime and waits for it, so that its output is complete.
func (p *process) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(patience):
		t.Fatalf("runtime %d did not end after kill", p.cmd.Process.Pid)
	}
}

// waitExit waits for the runtime to end by itself and returns its exit code.
func (p *process) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(patience):
		t.Fatalf("runtime did not exit within %v; output:\n%s", patience, p.output())
		return 0
	}
}

type language struct {
	name      string
	command   string // python3 or node
	file      string // the bootstrap's file name
	bootstrap []byte
}

var (
	python = language{"python", "python3", "bootstrap.py", bootstrap.Python}
	node   = language{"node", "node", "bootstrap.js", bootstrap.Node}
)

func (l language) require(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath(l.command)
	if err != nil {
		t.Skipf("%s is not on PATH: skipping the %s runtime tests", l.command, l.name)
	}
	return path
}

// start writes files into a fresh task root and runs the bootstrap on it with
// the handler, against api. The process is killed when the test ends.
func start(t testing.TB, l language, api *runtimeAPI, files map[string]string, handler string) *process {
	t.Helper()
	command := l.require(t)
	root := t.TempDir()
	for name, text := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rt := filepath.Join(t.TempDir(), l.file)
	if err := os.WriteFile(rt, l.bootstrap, 0o644); err != nil {
		t.Fatal(err)
	}

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "LAMBDA_") && !strings.HasPrefix(kv, "_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_LAMBDA_RUNTIME_API="+api.address(),
		"_HANDLER="+handler,
		"LAMBDA_TASK_ROOT="+root,
		"AWS_LAMBDA_FUNCTION_NAME=hello",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/hello",
		"AWS_LAMBDA_LOG_STREAM_NAME=2024/01/02/[$LATEST]0123456789abcdef",
		"PYTHONDONTWRITEBYTECODE=1",
	)

	p := &process{root: root, exited: make(chan struct{})}
	p.cmd = exec.Command(command, rt)
	p.cmd.Dir = t.TempDir() // the runtime must move to LAMBDA_TASK_ROOT itself
	p.cmd.Env = env
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", l.command, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

const functionARN = "arn:aws:lambda:us-east-1:123456789012:function:hello"

// fullHeaders are the optional Lambda-Runtime-* headers of one invocation.
func fullHeaders() http.Header {
	h := http.Header{}
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", functionARN)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	h.Set("Lambda-Runtime-Client-Context", `{"client":{"installation_id":"inst-1","app_title":"Demo","app_version_name":"1.0","app_version_code":"100","app_package_name":"com.example.demo"},"custom":{"k":"v"},"env":{"platform":"Android"}}`)
	h.Set("Lambda-Runtime-Cognito-Identity", `{"cognitoIdentityId":"us-east-1:id-1","cognitoIdentityPoolId":"us-east-1:pool-1"}`)
	return h
}

// plainHeaders are what an invocation without trace, client or identity carries.
func plainHeaders() http.Header {
	h := http.Header{}
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", functionARN)
	return h
}

func sameDir(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

func decode[T any](t *testing.T, o outcome) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(o.body, &v); err != nil {
		t.Fatalf("%s body %q is not the JSON expected: %v", o.kind, o.body, err)
	}
	return v
}

func wantKind(t testing.TB, o outcome, kind, errorType string) {
	t.Helper()
	if o.kind != kind {
		t.Fatalf("got a %s (%s) with body %s, want a %s", o.kind, o.errorType, o.body, kind)
	}
	if o.errorType != errorType {
		t.Errorf("got Lambda-Runtime-Function-Error-Type %q, want %q", o.errorType, errorType)
	}
}

func equalJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var gv, wv any
	json.Unmarshal(g, &gv)
	if err := json.Unmarshal([]byte(want), &wv); err != nil {
		t.Fatalf("bad want for %s: %v", what, err)
	}
	gs, _ := json.Marshal(gv)
	ws, _ := json.Marshal(wv)
	if !bytes.Equal(gs, ws) {
		t.Errorf("%s:\n got %s\nwant %s", what, gs, ws)
	}
}

// ---- Python ------------------------------------------------------------------------

const pythonApp = `
import logging
import os

calls = 0


class Unserializable:
    pass


def handler(event, context):
    global calls
    calls += 1
    if event.get("raise"):
        raise ValueError(event["raise"])
    if event.get("unserializable"):
        return {"value": Unserializable()}
    print("invocation", calls)
    logging.getLogger().warning("warned in %s", context.aws_request_id)
    cc = context.client_context
    return {
        "event": event,
        "calls": calls,
        "pid": os.getpid(),
        "cwd": os.getcwd(),
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "context": {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "identity": {
                "cognito_identity_id": context.identity.cognito_identity_id,
                "cognito_identity_pool_id": context.identity.cognito_identity_pool_id,
            },
            "client_context": None if cc is None else {
                "custom": cc.custom,
                "env": cc.env,
                "client": {
                    "installation_id": cc.client.installation_id,
                    "app_title": cc.client.app_title,
                    "app_version_name": cc.client.app_version_name,
                    "app_version_code": cc.client.app_version_code,
                    "app_package_name": cc.client.app_package_name,
                },
            },
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
    }
`

type pythonResult struct {
	Event   map[string]any `json:"event"`
	Calls   int            `json:"calls"`
	PID     int            `json:"pid"`
	Cwd     string         `json:"cwd"`
	Trace   *string        `json:"trace"`
	Context struct {
		AwsRequestID       string          `json:"aws_request_id"`
		FunctionName       string          `json:"function_name"`
		FunctionVersion    string          `json:"function_version"`
		InvokedFunctionArn string          `json:"invoked_function_arn"`
		MemoryLimitInMB    any             `json:"memory_limit_in_mb"`
		LogGroupName       string          `json:"log_group_name"`
		LogStreamName      string          `json:"log_stream_name"`
		Identity           map[string]any  `json:"identity"`
		ClientContext      json.RawMessage `json:"client_context"`
		RemainingMs        int64           `json:"remaining_ms"`
	} `json:"context"`
}

type pythonError struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	RequestID    *string  `json:"requestId"`
	StackTrace   []string `json:"stackTrace"`
}

// TestPythonInvocations runs one Python runtime through successes, errors and
// bad payloads, and checks that it stays the same process on one connection.
func TestPythonInvocations(t *testing.T) {
	api := newRuntimeAPI(t)
	p := start(t, python, api, map[string]string{"pkg/app.py": pythonApp}, "pkg/app.handler")

	// A success, with every optional header.
	o := api.invoke(t, p, invocation{id: "11111111-aaaa-4bbb-8ccc-000000000001", payload: `{"name":"Ada","n":[1,2]}`, header: fullHeaders()})
	wantKind(t, o, "response", "")
	first := decode[pythonResult](t, o)
	equalJSON(t, "event", first.Event, `{"name":"Ada","n":[1,2]}`)
	if first.Calls != 1 {
		t.Errorf("got calls %d, want 1", first.Calls)
	}
	if first.Trace == nil || *first.Trace != fullHeaders().Get("Lambda-Runtime-Trace-Id") {
		t.Errorf("got _X_AMZN_TRACE_ID %v, want the Lambda-Runtime-Trace-Id header", first.Trace)
	}
	if !sameDir(first.Cwd, p.root) {
		t.Errorf("got working directory %q, want LAMBDA_TASK_ROOT %q", first.Cwd, p.root)
	}
	if o.contentType != "application/json" {
		t.Errorf("got content type %q, want application/json", o.contentType)
	}
	c := first.Context
	for _, f := range []struct{ name, got, want string }{
		{"aws_request_id", c.AwsRequestID, "11111111-aaaa-4bbb-8ccc-000000000001"},
		{"function_name", c.FunctionName, "hello"},
		{"function_version", c.FunctionVersion, "$LATEST"},
		{"invoked_function_arn", c.InvokedFunctionArn, functionARN},
		{"log_group_name", c.LogGroupName, "/aws/lambda/hello"},
		{"log_stream_name", c.LogStreamName, "2024/01/02/[$LATEST]0123456789abcdef"},
	} {
		if f.got != f.want {
			t.Errorf("context.%s: got %q, want %q", f.name, f.got, f.want)
		}
	}
	// AWS's Python runtime gives memory_limit_in_mb as the environment's string.
	if c.MemoryLimitInMB != "256" {
		t.Errorf("context.memory_limit_in_mb: got %#v, want \"256\"", c.MemoryLimitInMB)
	}
	equalJSON(t, "context.identity", c.Identity, `{"cognito_identity_id":"us-east-1:id-1","cognito_identity_pool_id":"us-east-1:pool-1"}`)
	equalJSON(t, "context.client_context", c.ClientContext, `{"custom":{"k":"v"},"env":{"platform":"Android"},"client":{"installation_id":"inst-1","app_title":"Demo","app_version_name":"1.0","app_version_code":"100","app_package_name":"com.example.demo"}}`)
	if c.RemainingMs <= 0 || c.RemainingMs > time.Minute.Milliseconds() {
		t.Errorf("get_remaining_time_in_millis: got %d, want within (0, 60000]", c.RemainingMs)
	}

	// A raised exception: /error with its type, message, request id and frames
	// of the user's code only.
	o = api.invoke(t, p, invocation{id: "req-2", payload: `{"raise":"boom"}`, header: plainHeaders()})
	wantKind(t, o, "error", "ValueError")
	e := decode[pythonError](t, o)
	if e.ErrorType != "ValueError" || e.ErrorMessage != "boom" || e.RequestID == nil || *e.RequestID != "req-2" {
		t.Errorf("got error %+v, want ValueError boom for req-2", e)
	}
	if len(e.StackTrace) == 0 || !strings.Contains(e.StackTrace[len(e.StackTrace)-1], `raise ValueError(event["raise"])`) ||
		!strings.Contains(e.StackTrace[0], filepath.Join("pkg", "app.py")) {
		t.Errorf("got stackTrace %q, want the frames of pkg/app.py ending at the raise", e.StackTrace)
	}
	for _, frame := range e.StackTrace {
		if strings.Contains(frame, "bootstrap.py") {
			t.Errorf("stackTrace shows the runtime's own frame %q", frame)
		}
	}

	// A result json.dumps cannot write.
	o = api.invoke(t, p, invocation{id: "req-3", payload: `{"unserializable":true}`, header: plainHeaders()})
	wantKind(t, o, "error", "Runtime.MarshalError")
	if e := decode[pythonError](t, o); !strings.HasPrefix(e.ErrorMessage, "Unable to marshal response: ") || e.ErrorType != "Runtime.MarshalError" {
		t.Errorf("got %+v, want a Runtime.MarshalError", e)
	}

	// A payload that is not JSON never reaches the handler.
	o = api.invoke(t, p, invocation{id: "req-4", payload: `{"name":`, header: plainHeaders()})
	wantKind(t, o, "error", "Runtime.UnmarshalError")
	if e := decode[pythonError](t, o); !strings.HasPrefix(e.ErrorMessage, "Unable to unmarshal input: ") {
		t.Errorf("got %+v, want a Runtime.UnmarshalError", e)
	}

	// The same process answers again: module state survives, the trace id of
	// the earlier invocation does not.
	o = api.invoke(t, p, invocation{id: "req-5", payload: `{}`, header: plainHeaders()})
	wantKind(t, o, "response", "")
	last := decode[pythonResult](t, o)
	if last.Calls != 4 || last.PID != first.PID {
		t.Errorf("got calls %d in pid %d, want calls 4 in pid %d (the same process)", last.Calls, last.PID, first.PID)
	}
	if last.Trace != nil {
		t.Errorf("got _X_AMZN_TRACE_ID %q for an invocation without a trace id, want it unset", *last.Trace)
	}
	if string(last.Context.ClientContext) != "null" || last.Context.Identity["cognito_identity_id"] != nil {
		t.Errorf("got client_context %s, identity %v, want none", last.Context.ClientContext, last.Context.Identity)
	}
	if n := api.conns.Load(); n != 1 {
		t.Errorf("the runtime opened %d connections for 5 invocations, want 1 (keep-alive)", n)
	}

	p.stop(t)
	out := p.output()
	for _, want := range []string{
		"invocation 1\n",
		"[WARNING]\t",
		"\t11111111-aaaa-4bbb-8ccc-000000000001\twarned in 11111111-aaaa-4bbb-8ccc-000000000001\n",
		"[ERROR] ValueError: boom\nTraceback (most recent call last):\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; output:\n%s", want, out)
		}
	}
}

// The task root comes first on sys.path, and a bytes result goes out as is.
func TestPythonTaskRoot(t *testing.T) {
	api := newRuntimeAPI(t)
	p := start(t, python, api, map[string]string{
		"app.py":    "import helper\n\ndef handler(event, context):\n    return helper.VALUE.encode()\n",
		"helper.py": "VALUE = 'from the task root'\n",
	}, "app.handler")
	o := api.invoke(t, p, invocation{id: "req-1", payload: `null`, header: plainHeaders()})
	wantKind(t, o, "response", "")
	if string(o.body) != "from the task root" || o.contentType != "application/unknown" {
		t.Errorf("got %q (%s), want the helper's bytes as application/unknown", o.body, o.contentType)
	}
}

func TestPythonInitErrors(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		handler   string
		errorType string
		message   string // a part of errorMessage
		trace     string // a part of the stack trace, if any
	}{
		{"module not found", nil, "missing.handler", "Runtime.ImportModuleError", "Unable to import module 'missing': No module named 'missing'", ""},
		{"dependency not found", map[string]string{"app.py": "import not_a_module_xyz\n"}, "app.handler",
			"Runtime.ImportModuleError", "Unable to import module 'app': No module named 'not_a_module_xyz'", ""},
		{"handler not found", map[string]string{"app.py": "def handler(e, c):\n    return 1\n"}, "app.nope",
			"Runtime.HandlerNotFound", "Handler 'nope' missing on module 'app'", ""},
		{"syntax error", map[string]string{"app.py": "def handler(event, context:\n    return 1\n"}, "app.handler",
			"Runtime.UserCodeSyntaxError", "Syntax error in module 'app'", "app.py"},
		{"malformed handler", nil, "app", "Runtime.MalformedHandlerName", "Bad handler 'app'", ""},
		{"built-in module", nil, "sys.exit", "Runtime.BuiltInModuleConflict", "Cannot use built-in module sys", ""},
		{"exception at import", map[string]string{"app.py": "raise RuntimeError('no config')\n"}, "app.handler",
			"RuntimeError", "no config", "app.py"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newRuntimeAPI(t)
			p := start(t, python, api, tt.files, tt.handler)
			o := api.await(t, p)
			wantKind(t, o, "init-error", tt.errorType)
			e := decode[pythonError](t, o)
			if e.ErrorType != tt.errorType || !strings.Contains(e.ErrorMessage, tt.message) {
				t.Errorf("got %s: %q, want %s containing %q", e.ErrorType, e.ErrorMessage, tt.errorType, tt.message)
			}
			if e.StackTrace == nil {
				t.Errorf("got no stackTrace array in %s", o.body)
			}
			if tt.trace != "" && !strings.Contains(strings.Join(e.StackTrace, ""), tt.trace) {
				t.Errorf("got stackTrace %q, want it to name %s", e.StackTrace, tt.trace)
			}
			if code := p.waitExit(t); code != 1 {
				t.Errorf("got exit status %d after an init error, want 1", code)
			}
		})
	}
}

// ---- Node.js -------------------------------------------------------------------------

const nodeAsyncApp = `
let calls = 0;
exports.handler = async (event, context) => {
  calls++;
  if (event.throw) {
    throw new TypeError(event.throw);
  }
  if (event.throwString) {
    throw event.throwString;
  }
  if (event.circular) {
    const o = {};
    o.self = o;
    return o;
  }
  if (event.never) {
    return new Promise(() => {});
  }
  console.log('invocation', calls);
  await new Promise((resolve) => setTimeout(resolve, 1));
  return {
    event,
    calls,
    pid: process.pid,
    cwd: process.cwd(),
    trace: process.env._X_AMZN_TRACE_ID ?? null,
    context: {
      awsRequestId: context.awsRequestId,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      clientContext: context.clientContext ?? null,
      identity: context.identity ?? null,
      callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
      remainingMs: context.getRemainingTimeInMillis(),
    },
  };
};
`

type nodeResult struct {
	Event   any     `json:"event"`
	Calls   int     `json:"calls"`
	PID     int     `json:"pid"`
	Cwd     string  `json:"cwd"`
	Trace   *string `json:"trace"`
	Context struct {
		AwsRequestID                   string         `json:"awsRequestId"`
		FunctionName                   string         `json:"functionName"`
		FunctionVersion                string         `json:"functionVersion"`
		InvokedFunctionArn             string         `json:"invokedFunctionArn"`
		MemoryLimitInMB                any            `json:"memoryLimitInMB"`
		LogGroupName                   string         `json:"logGroupName"`
		LogStreamName                  string         `json:"logStreamName"`
		ClientContext                  map[string]any `json:"clientContext"`
		Identity                       map[string]any `json:"identity"`
		CallbackWaitsForEmptyEventLoop bool           `json:"callbackWaitsForEmptyEventLoop"`
		RemainingMs                    int64          `json:"remainingMs"`
	} `json:"context"`
}

type nodeError struct {
	ErrorType    string   `json:"errorType"`
	ErrorMessage string   `json:"errorMessage"`
	Trace        []string `json:"trace"`
}

func TestNodeAsyncInvocations(t *testing.T) {
	api := newRuntimeAPI(t)
	p := start(t, node, api, map[string]string{"index.js": nodeAsyncApp}, "index.handler")

	o := api.invoke(t, p, invocation{id: "req-1", payload: `{"name":"Ada"}`, header: fullHeaders()})
	wantKind(t, o, "response", "")
	first := decode[nodeResult](t, o)
	equalJSON(t, "event", first.Event, `{"name":"Ada"}`)
	if first.Calls != 1 {
		t.Errorf("got calls %d, want 1", first.Calls)
	}
	if first.Trace == nil || *first.Trace != fullHeaders().Get("Lambda-Runtime-Trace-Id") {
		t.Errorf("got _X_AMZN_TRACE_ID %v, want the Lambda-Runtime-Trace-Id header", first.Trace)
	}
	if !sameDir(first.Cwd, p.root) {
		t.Errorf("got working directory %q, want LAMBDA_TASK_ROOT %q", first.Cwd, p.root)
	}
	c := first.Context
	for _, f := range []struct{ name, got, want string }{
		{"awsRequestId", c.AwsRequestID, "req-1"},
		{"functionName", c.FunctionName, "hello"},
		{"functionVersion", c.FunctionVersion, "$LATEST"},
		{"invokedFunctionArn", c.InvokedFunctionArn, functionARN},
		{"logGroupName", c.LogGroupName, "/aws/lambda/hello"},
		{"logStreamName", c.LogStreamName, "2024/01/02/[$LATEST]0123456789abcdef"},
	} {
		if f.got != f.want {
			t.Errorf("context.%s: got %q, want %q", f.name, f.got, f.want)
		}
	}
	if c.MemoryLimitInMB != "256" {
		t.Errorf("context.memoryLimitInMB: got %#v, want the string \"256\" as on AWS", c.MemoryLimitInMB)
	}
	equalJSON(t, "context.identity", c.Identity, `{"cognitoIdentityId":"us-east-1:id-1","cognitoIdentityPoolId":"us-east-1:pool-1"}`)
	equalJSON(t, "context.clientContext", c.ClientContext, fullHeaders().Get("Lambda-Runtime-Client-Context"))
	if !c.CallbackWaitsForEmptyEventLoop {
		t.Error("context.callbackWaitsForEmptyEventLoop: got false, want true by default")
	}
	if c.RemainingMs <= 0 || c.RemainingMs > time.Minute.Milliseconds() {
		t.Errorf("getRemainingTimeInMillis: got %d, want within (0, 60000]", c.RemainingMs)
	}

	o = api.invoke(t, p, invocation{id: "req-2", payload: `{"throw":"boom"}`, header: plainHeaders()})
	wantKind(t, o, "error", "TypeError")
	e := decode[nodeError](t, o)
	if e.ErrorType != "TypeError" || e.ErrorMessage != "boom" || len(e.Trace) < 2 || e.Trace[0] != "TypeError: boom" ||
		!strings.Contains(e.Trace[1], "index.js") {
		t.Errorf("got %+v, want TypeError boom with a trace starting in index.js", e)
	}

	o = api.invoke(t, p, invocation{id: "req-3", payload: `{"throwString":"oops"}`, header: plainHeaders()})
	wantKind(t, o, "error", "string")
	equalJSON(t, "a thrown string", decode[nodeError](t, o), `{"errorType":"string","errorMessage":"oops","trace":[]}`)

	o = api.invoke(t, p, invocation{id: "req-4", payload: `{"circular":true}`, header: plainHeaders()})
	wantKind(t, o, "error", "Runtime.MarshalError")

	// An async handler whose promise never settles is answered when the event
	// loop empties.
	o = api.invoke(t, p, invocation{id: "req-5", payload: `{"never":true}`, header: plainHeaders()})
	wantKind(t, o, "error", "Runtime.NodeJsExit")

	o = api.invoke(t, p, invocation{id: "req-6", payload: `[1]`, header: plainHeaders()})
	wantKind(t, o, "response", "")
	last := decode[nodeResult](t, o)
	if last.Calls != 6 || last.PID != first.PID {
		t.Errorf("got calls %d in pid %d, want calls 6 in pid %d (the same process)", last.Calls, last.PID, first.PID)
	}
	if last.Trace != nil || last.Context.ClientContext != nil || last.Context.Identity != nil {
		t.Errorf("got trace %v, clientContext %v, identity %v, want none", last.Trace, last.Context.ClientContext, last.Context.Identity)
	}
	if n := api.conns.Load(); n != 1 {
		t.Errorf("the runtime opened %d connections for 6 invocations, want 1 (keep-alive)", n)
	}

	p.stop(t)
	if out := p.output(); !strings.Contains(out, "invocation 1\n") || !strings.Contains(out, "\treq-2\tERROR\tInvoke Error \t") {
		t.Errorf("output lacks the handler's log line or the logged error:\n%s", out)
	}
}

const nodeCallbackApp = `
exports.handler = function (event, context, callback) {
  const result = { mode: event.mode, late: false };
  switch (event.mode) {
    case 'callback':
      callback(null, result);
      setTimeout(() => { result.late = true; }, 5);
      return;
    case 'no-wait':
      context.callbackWaitsForEmptyEventLoop = false;
      callback(null, result);
      setTimeout(() => { result.late = true; }, 5);
      return;
    case 'twice':
      callback(null, 1);
      callback(null, 2);
      context.succeed(3);
      return;
    case 'error':
      setTimeout(() => callback(new RangeError('out of range')), 1);
      return;
    case 'succeed':
      context.succeed(result);
      return;
    case 'fail':
      context.fail(new SyntaxError('bad input'));
      return;
    case 'fail-empty':
      context.fail();
      return;
    case 'done':
      context.done(null, result);
      return;
    case 'sync':
      return 42; // ignored: a callback handler answers through the callback
    case 'throw':
      throw new Error('thrown');
  }
};
`

func TestNodeCallbackHandlers(t *testing.T) {
	api := newRuntimeAPI(t)
	p := start(t, node, api, map[string]string{"cb.js": nodeCallbackApp}, "cb.handler")
	tests := []struct {
		mode      string
		kind      string
		errorType string
		body      string
	}{
		// The result is serialized once the event loop is empty, so the timer's
		// change is in it.
		{"callback", "response", "", `{"mode":"callback","late":true}`},
		{"no-wait", "response", "", `{"mode":"no-wait","late":false}`},
		{"twice", "response", "", `1`},
		{"error", "error", "RangeError", ""},
		{"succeed", "response", "", `{"mode":"succeed","late":false}`},
		{"fail", "error", "SyntaxError", ""},
		{"fail-empty", "error", "string", `{"errorType":"string","errorMessage":"handled","trace":[]}`},
		{"done", "response", "", `{"mode":"done","late":false}`},
		{"sync", "response", "", `null`},
		{"throw", "error", "Error", ""},
	}
	for i, tt := range tests {
		o := api.invoke(t, p, invocation{id: fmt.Sprintf("req-%d", i+1), payload: `{"mode":"` + tt.mode + `"}`, header: plainHeaders()})
		if o.kind != tt.kind || o.errorType != tt.errorType {
			t.Errorf("%s: got a %s (%q) %s, want a %s (%q)", tt.mode, o.kind, o.errorType, o.body, tt.kind, tt.errorType)
			continue
		}
		if tt.body != "" {
			var got any
			if err := json.Unmarshal(o.body, &got); err != nil {
				t.Errorf("%s: body %q: %v", tt.mode, o.body, err)
				continue
			}
			equalJSON(t, tt.mode, got, tt.body)
		}
		if tt.kind == "error" {
			if e := decode[nodeError](t, o); e.ErrorType != tt.errorType {
				t.Errorf("%s: got errorType %q in the body, want %q", tt.mode, e.ErrorType, tt.errorType)
			}
		}
	}
	if n := api.conns.Load(); n != 1 {
		t.Errorf("the runtime opened %d connections, want 1 (keep-alive)", n)
	}
}

func TestNodeModules(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		handler string
		want    string
	}{
		{"ES module .mjs with top-level await", map[string]string{
			"index.mjs": "const kind = await Promise.resolve('mjs');\nexport const handler = async (event) => ({ kind, name: event.name });\n",
		}, "index.handler", `{"kind":"mjs","name":"Ada"}`},
		{"ES module .js under type module", map[string]string{
			"src/package.json": `{"type":"module"}`,
			"src/app.js":       "export async function handler(event, context) {\n  return { kind: 'type-module', file: import.meta.url.endsWith('/src/app.js') };\n}\n",
		}, "src/app.handler", `{"kind":"type-module","file":true}`},
		{"CommonJS .cjs in a folder", map[string]string{
			"lib/legacy.cjs": "exports.handler = async () => ({ kind: 'cjs', dir: require('path').basename(__dirname) });\n",
		}, "lib/legacy.handler", `{"kind":"cjs","dir":"lib"}`},
		{"nested handler property", map[string]string{
			"index.js": "module.exports = { handlers: { hello: async (e) => 'hello ' + e.name } };\n",
		}, "index.handlers.hello", `"hello Ada"`},
		{"a package from node_modules", map[string]string{
			"node_modules/greeter/package.json": `{"name":"greeter","main":"main.js"}`,
			"node_modules/greeter/main.js":      "exports.handler = async () => 'from node_modules';\n",
		}, "greeter.handler", `"from node_modules"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newRuntimeAPI(t)
			p := start(t, node, api, tt.files, tt.handler)
			o := api.invoke(t, p, invocation{id: "req-1", payload: `{"name":"Ada"}`, header: plainHeaders()})
			wantKind(t, o, "response", "")
			var got any
			if err := json.Unmarshal(o.body, &got); err != nil {
				t.Fatalf("body %q: %v", o.body, err)
			}
			equalJSON(t, "result", got, tt.want)
		})
	}
}

func TestNodeInitErrors(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		handler   string
		errorType string
		message   string
	}{
		{"module not found", nil, "missing.handler", "Runtime.ImportModuleError", "Error: Cannot find module 'missing'"},
		{"dependency not found", map[string]string{"index.js": "require('not-a-package-xyz');\n"}, "index.handler",
			"Runtime.ImportModuleError", "Cannot find module 'not-a-package-xyz'"},
		{"ES module dependency not found", map[string]string{"index.mjs": "import 'not-a-package-xyz';\nexport const handler = async () => 1;\n"}, "index.handler",
			"Runtime.ImportModuleError", "not-a-package-xyz"},
		{"handler not found", map[string]string{"index.js": "exports.handler = async () => 1;\n"}, "index.nope",
			"Runtime.HandlerNotFound", "index.nope is undefined or not exported"},
		{"handler not a function", map[string]string{"index.js": "exports.handler = 42;\n"}, "index.handler",
			"Runtime.HandlerNotFound", "index.handler is not a function"},
		{"syntax error", map[string]string{"index.js": "exports.handler = async () => {;\n"}, "index.handler",
			"Runtime.UserCodeSyntaxError", "SyntaxError: "},
		{"malformed handler", map[string]string{"index.js": ""}, "index", "Runtime.MalformedHandlerName", "Bad handler"},
		{"relative path", nil, "../index.handler", "Runtime.MalformedHandlerName", "is not a valid handler name"},
		{"exception at load", map[string]string{"index.js": "throw new RangeError('no config');\n"}, "index.handler",
			"RangeError", "no config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newRuntimeAPI(t)
			p := start(t, node, api, tt.files, tt.handler)
			o := api.await(t, p)
			wantKind(t, o, "init-error", tt.errorType)
			e := decode[nodeError](t, o)
			if e.ErrorType != tt.errorType || !strings.Contains(e.ErrorMessage, tt.message) {
				t.Errorf("got %s: %q, want %s containing %q", e.ErrorType, e.ErrorMessage, tt.errorType, tt.message)
			}
			if e.Trace == nil {
				t.Errorf("got no trace array in %s", o.body)
			}
			if code := p.waitExit(t); code != 1 {
				t.Errorf("got exit status %d after an init error, want 1", code)
			}
		})
	}
}

// An error no handler caught fails the invocation in flight and ends the
// process, with the exit statuses of AWS's runtime.
func TestNodeCrashes(t *testing.T) {
	tests := []struct {
		name      string
		app       string
		errorType string
		message   string
		status    int
	}{
		{"uncaught exception", "exports.handler = (event, context, callback) => {\n  setTimeout(() => { throw new Error('kaboom'); }, 1);\n};\n",
			"Error", "kaboom", 129},
		{"unhandled rejection", "exports.handler = async () => {\n  Promise.reject(new Error('lost'));\n  await new Promise((r) => setTimeout(r, 50));\n  return 'late';\n};\n",
			"Runtime.UnhandledPromiseRejection", "Error: lost", 128},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newRuntimeAPI(t)
			p := start(t, node, api, map[string]string{"index.js": tt.app}, "index.handler")
			o := api.invoke(t, p, invocation{id: "req-1", payload: `{}`, header: plainHeaders()})
			wantKind(t, o, "error", tt.errorType)
			if e := decode[nodeError](t, o); !strings.Contains(e.ErrorMessage, tt.message) {
				t.Errorf("got errorMessage %q, want it to contain %q", e.ErrorMessage, tt.message)
			}
			if code := p.waitExit(t); code != tt.status {
				t.Errorf("got exit status %d, want %d", code, tt.status)
			}
		})
	}
}

func TestEmbedded(t *testing.T) {
	for name, data := range map[string][]byte{"python": bootstrap.Python, "node": bootstrap.Node} {
		if !bytes.Contains(data, []byte("/2018-06-01/runtime")) {
			t.Errorf("the embedded %s bootstrap (%d bytes) does not speak the Runtime API", name, len(data))
		}
	}
}

// BenchmarkWarmInvoke measures one warm invocation through each runtime: GET
// next, the handler, POST response, over the kept-alive connection.
func BenchmarkWarmInvoke(b *testing.B) {
	for _, bc := range []struct {
		l       language
		files   map[string]string
		handler string
	}{
		{python, map[string]string{"app.py": "def handler(event, context):\n    return event\n"}, "app.handler"},
		{node, map[string]string{"index.js": "exports.handler = async (event) => event;\n"}, "index.handler"},
	} {
		b.Run(bc.l.name, func(b *testing.B) {
			api := newRuntimeAPI(b)
			p := start(b, bc.l, api, bc.files, bc.handler)
			h := plainHeaders()
			i := 0
			for b.Loop() {
				i++
				o := api.invoke(b, p, invocation{id: "req-" + strconv.Itoa(i), payload: `{"n":1}`, header: h})
				if o.kind != "response" {
					b.Fatalf("got a %s: %s", o.kind, o.body)
				}
			}
		})
	}
}
