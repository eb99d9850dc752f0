package runtime

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// apiInstance is an instance with a Runtime API listener and no process:
// the test plays the runtime over raw connections.
func apiInstance(t *testing.T) *instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rt := New(Options{})
	spec := &Spec{Name: "wire", MemoryMB: 128, Timeout: 10 * time.Second, Reserved: -1}
	in := &instance{
		spec: spec, rt: rt, id: "wire", log: rt.log, cmd: &exec.Cmd{}, ln: ln,
		arn:    spec.arn("us-east-1", "123456789012"),
		born:   time.Now(),
		closed: make(chan struct{}), ready: make(chan struct{}), exited: make(chan struct{}),
		initCh: make(chan outcome, 1), conns: map[*apiConn]struct{}{},
	}
	in.outCond = sync.NewCond(&in.outMu)
	in.wg.Add(1)
	go in.serveAPI()
	t.Cleanup(func() {
		close(in.exited)
		in.stop()
		rt.Close()
	})
	return in
}

// runtimeConn is the test's side of a runtime's connection.
type runtimeConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialAPI(t *testing.T, in *instance) *runtimeConn {
	t.Helper()
	c, err := net.Dial("tcp", in.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second)) // a bound, not a timing check
	return &runtimeConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (r *runtimeConn) send(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.c, s); err != nil {
		r.t.Fatalf("writing %q: %v", s, err)
	}
}

// read reads one response with net/http's own parser.
func (r *runtimeConn) read() (*http.Response, string) {
	r.t.Helper()
	resp, err := http.ReadResponse(r.br, nil)
	if err != nil {
		r.t.Fatalf("reading a response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatalf("reading a response body: %v", err)
	}
	return resp, string(b)
}

const nextReq = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: api\r\nUser-Agent: test\r\n\r\n"

// startInvoke runs an invocation on in in the background.
func startInvoke(in *instance, id, payload string) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		o, err := in.invoke(context.Background(), &invocation{id: id, payload: []byte(payload), traceID: "Root=1-abc", clientContext: "e30=", done: make(chan outcome, 1), tail: &tailBuffer{}})
		if err != nil {
			o = outcome{errType: "test: " + err.Error()}
		}
		ch <- o
	}()
	return ch
}

func TestRuntimeAPIWire(t *testing.T) {
	in := apiInstance(t)
	rc := dialAPI(t, in)

	// The runtime asks first; the event comes later (parked connection).
	rc.send(nextReq)
	<-in.ready
	done := startInvoke(in, "id-1", `{"a":1}`)
	resp, body := rc.read()
	if resp.StatusCode != 200 || body != `{"a":1}` {
		t.Fatalf("next: %d %q, want 200 and the event", resp.StatusCode, body)
	}
	for k, want := range map[string]string{
		"Lambda-Runtime-Aws-Request-Id":       "id-1",
		"Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:wire",
		"Lambda-Runtime-Trace-Id":             "Root=1-abc",
		"Lambda-Runtime-Client-Context":       "e30=",
		"Content-Type":                        "application/json",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}
	if ms := resp.Header.Get("Lambda-Runtime-Deadline-Ms"); len(ms) != 13 {
		t.Errorf("Lambda-Runtime-Deadline-Ms %q, want epoch milliseconds", ms)
	}

	// A result for another id is refused; the connection stays usable.
	rc.send("POST /2018-06-01/runtime/invocation/other/response HTTP/1.1\r\nHost: api\r\nContent-Length: 2\r\n\r\n{}")
	if resp, body := rc.read(); resp.StatusCode != 400 || !strings.Contains(body, "InvalidRequestID") {
		t.Fatalf("wrong id: %d %s, want 400 InvalidRequestID", resp.StatusCode, body)
	}

	// A chunked response whose trailers report an error, as aws-lambda-go
	// and streaming runtimes send one.
	rc.send("POST /2018-06-01/runtime/invocation/id-1/response HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n" +
		"Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n" +
		"3\r\n{\"p\r\n4;ext=1\r\nart\"\r\n1\r\n}\r\n0\r\nLambda-Runtime-Function-Error-Type: Runtime.StreamError\r\nLambda-Runtime-Function-Error-Body: eyJ9\r\n\r\n")
	if resp, body := rc.read(); resp.StatusCode != 202 || body != `{"status":"OK"}` {
		t.Fatalf("response: %d %q, want 202", resp.StatusCode, body)
	}
	if o := <-done; o.errType != "Runtime.StreamError" || string(o.payload) != "eyJ9" {
		t.Errorf("outcome %q %q, want the trailer's error", o.errType, o.payload)
	}

	// The event comes first, then the runtime asks (pending invocation);
	// the result is sent with Expect: 100-continue and Content-Length.
	done = startInvoke(in, "id-2", `[2]`)
	waitPending(t, in)
	rc.send(nextReq)
	if resp, body := rc.read(); resp.StatusCode != 200 || body != `[2]` || resp.Header.Get("Lambda-Runtime-Aws-Request-Id") != "id-2" {
		t.Fatalf("next: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	rc.send("POST /2018-06-01/runtime/invocation/id-2/error HTTP/1.1\r\nHost: api\r\nExpect: 100-continue\r\nLambda-Runtime-Function-Error-Type: Handled.Oops\r\nContent-Length: 4\r\n\r\n")
	if resp, _ := rc.read(); resp.StatusCode != 100 {
		t.Fatalf("got %d, want 100 Continue before the body", resp.StatusCode)
	}
	rc.send("oops")
	if resp, _ := rc.read(); resp.StatusCode != 202 {
		t.Fatalf("error: got %d, want 202", resp.StatusCode)
	}
	if o := <-done; o.errType != "Handled.Oops" || !strings.Contains(string(o.payload), `"errorMessage":"oops"`) {
		t.Errorf("outcome %q %s, want Handled.Oops with the body as its message", o.errType, o.payload)
	}

	// Unknown paths and methods.
	rc.send("GET /nothing HTTP/1.1\r\nHost: api\r\n\r\n")
	if resp, _ := rc.read(); resp.StatusCode != 404 {
		t.Errorf("unknown path: got %d, want 404", resp.StatusCode)
	}
	rc.send("DELETE /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: api\r\nContent-Length: 3\r\n\r\nabc")
	if resp, _ := rc.read(); resp.StatusCode != 405 {
		t.Errorf("DELETE next: got %d, want 405", resp.StatusCode)
	}

	// A response larger than 6 MB fails the invocation with
	// Function.ResponseSizeTooLarge; the connection survives.
	done = startInvoke(in, "id-3", `{}`)
	rc.send(nextReq)
	rc.read()
	big := maxResponse + 10
	go func() {
		io.WriteString(rc.c, fmt.Sprintf("POST /2018-06-01/runtime/invocation/id-3/response HTTP/1.1\r\nHost: api\r\nContent-Length: %d\r\n\r\n", big))
		rc.c.Write(bytes.Repeat([]byte("x"), big))
	}()
	if resp, _ := rc.read(); resp.StatusCode != 413 {
		t.Errorf("7 MB response: got %d, want 413", resp.StatusCode)
	}
	if o := <-done; o.errType != "Function.ResponseSizeTooLarge" {
		t.Errorf("outcome %q, want Function.ResponseSizeTooLarge", o.errType)
	}

	// Connection: close is honoured.
	done = startInvoke(in, "id-4", `{}`)
	rc.send(nextReq)
	rc.read()
	rc.send("POST /2018-06-01/runtime/invocation/id-4/response HTTP/1.1\r\nHost: api\r\nConnection: close\r\nContent-Length: 1\r\n\r\n1")
	if resp, _ := rc.read(); resp.StatusCode != 202 || !resp.Close {
		t.Errorf("got %d close=%v, want 202 and the connection closed", resp.StatusCode, resp.Close)
	}
	if _, err := rc.br.ReadByte(); err != io.EOF {
		t.Errorf("after Connection: close: %v, want EOF", err)
	}
	if o := <-done; o.errType != "" || string(o.payload) != "1" {
		t.Errorf("outcome %q %q, want 1", o.errType, o.payload)
	}
}

// waitPending waits until an invocation waits for the runtime to ask.
func waitPending(t *testing.T, in *instance) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		in.mu.Lock()
		p := in.pending
		in.mu.Unlock()
		if p != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the invocation was never left for the runtime")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRuntimeAPIBadRequests(t *testing.T) {
	in := apiInstance(t)
	tests := []struct {
		name, req string
		status    int
	}{
		{"no version", "GET /2018-06-01/runtime/invocation/next\r\n\r\n", 400},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\n", 505},
		{"bad header", "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nno colon\r\n\r\n", 400},
		{"two lengths", "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
		{"gzip", "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"chunked and length", "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400},
		{"bad chunk", "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
		{"huge header", "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nX-Big: " + strings.Repeat("a", maxHeaderBytes) + "\r\n\r\n", 431},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialAPI(t, in)
			go rc.send(tt.req)
			resp, body := rc.read()
			if resp.StatusCode != tt.status || !strings.Contains(body, "errorType") {
				t.Errorf("got %d %s, want %d with an error document", resp.StatusCode, body, tt.status)
			}
		})
	}
}

// A request that comes while the connection's GET next waits ends that
// wait with 400, and the event goes to the next GET next.
func TestRuntimeAPIPipelined(t *testing.T) {
	in := apiInstance(t)
	rc := dialAPI(t, in)
	rc.send(nextReq + "GET /nothing HTTP/1.1\r\nHost: api\r\n\r\n")
	if resp, _ := rc.read(); resp.StatusCode != 400 {
		t.Fatalf("the pipelined GET next: got %d, want 400", resp.StatusCode)
	}
	if resp, _ := rc.read(); resp.StatusCode != 404 {
		t.Fatalf("the request after it: got %d, want 404", resp.StatusCode)
	}
	done := startInvoke(in, "id-p", `{}`)
	rc.send(nextReq)
	if resp, _ := rc.read(); resp.Header.Get("Lambda-Runtime-Aws-Request-Id") != "id-p" {
		t.Fatalf("next: %v, want the event", resp.Header)
	}
	rc.send("POST /2018-06-01/runtime/invocation/id-p/response HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
	rc.read()
	if o := <-done; o.errType != "" {
		t.Errorf("outcome %q %s", o.errType, o.payload)
	}
}

// An event whose connection is gone before it is written goes to the
// runtime's next GET next on another connection.
func TestRuntimeAPIReconnect(t *testing.T) {
	in := apiInstance(t)
	first := dialAPI(t, in)
	first.send(nextReq)
	<-in.ready
	first.c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		in.mu.Lock()
		n := len(in.waiters)
		in.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed connection stays parked")
		}
		time.Sleep(time.Millisecond)
	}
	done := startInvoke(in, "id-r", `{"r":1}`)
	second := dialAPI(t, in)
	second.send(nextReq)
	if _, body := second.read(); body != `{"r":1}` {
		t.Fatalf("next on the new connection: %q", body)
	}
	second.send("POST /2018-06-01/runtime/invocation/id-r/response HTTP/1.1\r\nContent-Length: 1\r\n\r\n7")
	second.read()
	if o := <-done; string(o.payload) != "7" {
		t.Errorf("outcome %q %q, want 7", o.errType, o.payload)
	}
}

func TestRuntimeAPIInitError(t *testing.T) {
	in := apiInstance(t)
	rc := dialAPI(t, in)
	rc.send("POST /2018-06-01/runtime/init/error HTTP/1.1\r\nLambda-Runtime-Function-Error-Type: Runtime.Broken\r\nContent-Length: 5\r\n\r\nbroke")
	if resp, _ := rc.read(); resp.StatusCode != 202 {
		t.Fatalf("init error: got %d, want 202", resp.StatusCode)
	}
	o := <-in.initCh
	if o.errType != "Runtime.Broken" || !o.fatal || !strings.Contains(string(o.payload), "broke") {
		t.Errorf("init outcome %+v", o)
	}
}

// FuzzReadAPIRequest feeds arbitrary bytes to the request reader; whenever
// net/http also reads them as a request, both must agree on the method,
// the path and the body.
func FuzzReadAPIRequest(f *testing.F) {
	f.Add([]byte(nextReq))
	f.Add([]byte("POST /2018-06-01/runtime/invocation/a%2Fb/response HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"))
	f.Add([]byte("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nLambda-Runtime-Function-Error-Type: X\r\n\r\n"))
	f.Add([]byte("POST http://h/2018-06-01/runtime/init/error?q=1 HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("\r\nGET / HTTP/1.1\nHost: x\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := readAPIRequest(bufio.NewReader(bytes.NewReader(data)))
		var body []byte
		br := bufio.NewReader(bytes.NewReader(data))
		if err == nil {
			// Read again from the start, as the server would continue.
			req, _ = readAPIRequest(br)
			body, err = req.readBody(br, nil, 1<<16, 1<<20)
		}
		want, herr := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
		if herr != nil || err != nil {
			if errors.Is(err, errBodyTooLarge) && body != nil {
				t.Fatalf("a body too large was returned")
			}
			return
		}
		wantBody, herr := io.ReadAll(want.Body)
		if herr != nil {
			return
		}
		if req.method != want.Method || req.path != want.URL.Path || !bytes.Equal(body, wantBody) {
			t.Fatalf("got %q %q body %q, net/http reads %q %q body %q", req.method, req.path, body, want.Method, want.URL.Path, wantBody)
		}
	})
}

// The Python and Node.js bootstraps speak to the Runtime API: results,
// errors, logs and big events, several times over one instance.
func TestScriptRuntimesOverTheAPI(t *testing.T) {
	big := strings.Repeat("x", 200<<10)
	for _, tt := range []struct {
		runtime, file, code, handler string
	}{
		{"python3.12", "app.py", "def handler(event, context):\n    print('got', len(event.get('s', '')))\n    if event.get('fail'):\n        raise ValueError('bad input')\n    return {'n': len(event.get('s', '')), 'id': context.aws_request_id}\n", "app.handler"},
		{"nodejs20.x", "index.js", "exports.handler = async (event, context) => {\n  console.log('got', (event.s || '').length);\n  if (event.fail) throw new TypeError('bad input');\n  return { n: (event.s || '').length, id: context.awsRequestId };\n};\n", "index.handler"},
	} {
		t.Run(tt.runtime, func(t *testing.T) {
			dir := writeFunction(t, map[string]string{tt.file: tt.code})
			b := &Builder{Dir: t.TempDir()}
			cmd, err := b.Prepare(context.Background(), Source{Name: "S", Runtime: tt.runtime, CodeDir: dir})
			if err != nil {
				t.Skipf("%s not available: %v", tt.runtime, err)
			}
			spec := &Spec{Name: "s", Runtime: tt.runtime, Handler: tt.handler, Command: cmd, Dir: dir, MemoryMB: 256, Timeout: 10 * time.Second, Reserved: -1}
			rt := newTestRuntime(t, Options{}, spec)
			for i := range 3 {
				res, out := call(t, rt, "s", `{"s":"`+big+`"}`)
				if res.FunctionError != "" || out["n"] != float64(len(big)) || out["id"] != res.RequestID {
					t.Fatalf("call %d: %s %.200s", i, res.FunctionError, res.Payload)
				}
				if !strings.Contains(string(res.LogTail), fmt.Sprintf("got %d", len(big))) {
					t.Errorf("call %d: log tail %q, want the function's line", i, res.LogTail)
				}
				res, out = call(t, rt, "s", `{"fail":true}`)
				if res.FunctionError != "Unhandled" || !strings.Contains(fmt.Sprint(out["errorMessage"]), "bad input") {
					t.Fatalf("call %d: failing: %s %s", i, res.FunctionError, res.Payload)
				}
			}
			if f := rt.Functions(); len(f) != 1 || f[0].Instances != 1 {
				t.Errorf("functions %+v, want one instance serving every call", f)
			}
		})
	}
}

// Of two connections waiting in GET next, the newer gets the event: a
// runtime that opened a second connection has given up on the first.
func TestRuntimeAPINewestWaiterFirst(t *testing.T) {
	in := apiInstance(t)
	old, fresh := dialAPI(t, in), dialAPI(t, in)
	old.send(nextReq)
	waitWaiters(t, in, 1)
	fresh.send(nextReq)
	waitWaiters(t, in, 2)
	done := startInvoke(in, "id-n", `{}`)
	if resp, _ := fresh.read(); resp.Header.Get("Lambda-Runtime-Aws-Request-Id") != "id-n" {
		t.Fatalf("the newer connection got %v, want the event", resp.Header)
	}
	fresh.send("POST /2018-06-01/runtime/invocation/id-n/response HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
	fresh.read()
	if o := <-done; o.errType != "" {
		t.Errorf("outcome %q %s", o.errType, o.payload)
	}
	waitWaiters(t, in, 1) // the older one still waits
}

func waitWaiters(t *testing.T, in *instance, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		in.mu.Lock()
		got := len(in.waiters)
		in.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections wait in GET next, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}
