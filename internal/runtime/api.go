package runtime

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The Runtime API, version 2018-06-01, as AWS Lambda serves it to each
// execution environment:
//
//	GET  /2018-06-01/runtime/invocation/next
//	POST /2018-06-01/runtime/invocation/{id}/response
//	POST /2018-06-01/runtime/invocation/{id}/error
//	POST /2018-06-01/runtime/init/error
//
// Each instance has its own listener. A connection is served by one
// goroutine that reads its requests; a GET next with no event waiting
// parks the connection on the instance, and the invoking goroutine writes
// the event to it directly, so that handing over an event wakes no other
// goroutine.
const apiPrefix = "/2018-06-01/runtime/"

// maxResponse bounds what a function may return: 6 MB, as Lambda.
const maxResponse = 6 * 1024 * 1024

// discardLimit bounds how much of a body that is refused is read and
// thrown away to keep the connection; past it the connection is closed.
const discardLimit = 64 << 20

// apiConn is one connection from a runtime to the instance's Runtime API.
type apiConn struct {
	in *instance
	c  net.Conn
	br *bufio.Reader

	// turn orders the responses on the connection: it is locked while a
	// response is owed, and a GET next that parks the connection leaves it
	// locked until the event has been written (by the invoking goroutine).
	turn sync.Mutex
	wbuf []byte // response being written; guarded by turn
	body []byte // scratch for request bodies; used by the reading goroutine only

	closeAfterNext bool // the GET next asked for Connection: close; guarded by turn
}

// serveAPI accepts the runtime's connections until the listener closes.
func (in *instance) serveAPI() {
	defer in.wg.Done()
	for {
		nc, err := in.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-in.closed:
				return
			case <-time.After(10 * time.Millisecond): // EMFILE and the like
				continue
			}
		}
		c := &apiConn{in: in, c: nc, br: bufio.NewReaderSize(nc, 4096)}
		in.mu.Lock()
		if in.stopping {
			in.mu.Unlock()
			nc.Close()
			return
		}
		in.conns[c] = struct{}{}
		in.wg.Add(1)
		in.mu.Unlock()
		go c.serve()
	}
}

// serve reads and answers the requests of one connection.
func (c *apiConn) serve() {
	defer c.in.wg.Done()
	defer c.closeConn()
	for {
		req, err := readAPIRequest(c.br)
		if err != nil {
			c.unpark()
			var we *wireError
			if errors.As(err, &we) {
				c.turn.Lock()
				c.writeError(we.status, "InvalidRequest", we.msg, true)
				c.turn.Unlock()
			}
			return
		}
		// A request that follows a GET next still waiting for its event
		// (pipelining, which runtimes do not do) ends that wait.
		if c.unpark() {
			c.turn.Lock()
			c.writeError(400, "InvalidRequest", "a request arrived before the answer to GET next: send one request at a time", false)
			c.turn.Unlock()
		}
		if !c.handle(req) {
			return
		}
	}
}

// handle answers one request; false means the connection is to be closed.
func (c *apiConn) handle(req *apiRequest) bool {
	path, ok := strings.CutPrefix(req.path, apiPrefix)
	switch {
	case !ok:
		return c.refuse(req, 404, "InvalidRequest", "unknown path "+req.path)
	case path == "invocation/next" && req.method == "GET":
		if !c.discardBody(req) {
			return false
		}
		c.serveNext(req)
		return true
	case path == "init/error" && req.method == "POST":
		return c.serveInitError(req)
	case strings.HasPrefix(path, "invocation/") && req.method == "POST":
		id, kind, found := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		if !found || (kind != "response" && kind != "error") {
			return c.refuse(req, 404, "InvalidRequest", "unknown path "+req.path)
		}
		return c.serveResult(req, id, kind == "error")
	default:
		return c.refuse(req, 405, "InvalidRequest", req.method+" "+req.path+" is not part of the Runtime API")
	}
}

// serveNext hands the next invocation to the runtime: now if one is
// waiting, else when it comes (the connection is parked on the instance).
func (c *apiConn) serveNext(req *apiRequest) {
	c.in.markReady()
	c.turn.Lock() // unlocked once the event is written
	c.closeAfterNext = req.close
	if inv := c.in.park(c); inv != nil {
		c.writeNext(inv)
	}
}

// writeNext writes an invocation as the answer to a parked GET next, and
// ends the connection's turn.
func (c *apiConn) writeNext(inv *invocation) error {
	defer c.turn.Unlock()
	in := c.in
	b := append(c.wbuf[:0], "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: "...)
	b = appendHeaderValue(b, inv.id)
	b = append(b, "\r\nLambda-Runtime-Deadline-Ms: "...)
	b = strconv.AppendInt(b, inv.deadline.UnixMilli(), 10)
	b = append(b, "\r\nLambda-Runtime-Invoked-Function-Arn: "...)
	b = appendHeaderValue(b, in.arn)
	b = append(b, "\r\nLambda-Runtime-Trace-Id: "...)
	b = appendHeaderValue(b, inv.traceID)
	if inv.clientContext != "" {
		b = append(b, "\r\nLambda-Runtime-Client-Context: "...)
		b = appendHeaderValue(b, inv.clientContext)
	}
	if c.closeAfterNext {
		b = append(b, "\r\nConnection: close"...)
	}
	b = append(b, "\r\nDate: "...)
	b = append(b, httpDate()...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(inv.payload)), 10)
	b = append(b, "\r\n\r\n"...)
	var err error
	if len(inv.payload) <= 32<<10 {
		b = append(b, inv.payload...)
		_, err = c.c.Write(b)
	} else {
		bufs := net.Buffers{b, inv.payload}
		_, err = bufs.WriteTo(c.c)
	}
	c.keep(b)
	if c.closeAfterNext {
		c.c.Close()
	}
	return err
}

func (c *apiConn) serveResult(req *apiRequest, id string, isError bool) bool {
	in := c.in
	inv := in.currentInvocation()
	if inv == nil || inv.id != id {
		return c.refuse(req, 400, "InvalidRequestID", "no invocation "+id+" is in progress on this instance")
	}
	if !c.continue100(req) {
		return false
	}
	body, err := req.readBody(c.br, c.body, maxResponse, discardLimit)
	var we *wireError
	switch {
	case errors.Is(err, errBodyTooLarge), errors.As(err, &we) && we.status == 413:
		in.drainOutput()
		in.finish(inv, outcome{errType: "Function.ResponseSizeTooLarge", payload: errorDoc("Function.ResponseSizeTooLarge", "Response payload size exceeded maximum allowed payload size (6291456 bytes).")})
		return c.answer(req, 413, "RequestEntityTooLarge", "response larger than 6291456 bytes", we != nil)
	case we != nil:
		return c.answer(req, we.status, "InvalidRequest", "reading the body: "+we.msg, true)
	case err != nil:
		return false // the connection broke
	}
	out := outcome{payload: append([]byte{}, body...)}
	c.keepBody(body)
	switch {
	case isError:
		out.errType = req.errorType
		if out.errType == "" {
			out.errType = "Unhandled"
		}
		if len(out.payload) == 0 || !json.Valid(out.payload) {
			out.payload = errorDoc(out.errType, string(out.payload))
		}
		// Trailers carry errors reported after a streamed body has started.
		if t := req.trailerErrorType; t != "" {
			out.errType = t
		}
	default:
		if t := req.trailerErrorType; t != "" {
			out.errType = t
			if b := req.trailerErrorBody; b != "" {
				out.payload = []byte(b)
			}
		}
	}
	in.drainOutput()
	// The outcome goes first: the invoker answers its caller while the
	// runtime reads its 202 and asks for the next event.
	in.finish(inv, out)
	return c.accepted(req)
}

func (c *apiConn) serveInitError(req *apiRequest) bool {
	if !c.continue100(req) {
		return false
	}
	body, err := req.readBody(c.br, c.body, 1<<20, discardLimit)
	var we *wireError
	switch {
	case errors.Is(err, errBodyTooLarge):
		body = nil
	case errors.As(err, &we):
		return c.answer(req, we.status, "InvalidRequest", "reading the body: "+we.msg, true)
	case err != nil:
		return false
	}
	body = append([]byte{}, body...)
	typ := req.errorType
	if typ == "" {
		typ = "Runtime.InitError"
	}
	if len(body) == 0 || !json.Valid(body) {
		body = errorDoc(typ, string(body))
	}
	ok := c.accepted(req)
	c.in.initFailed(outcome{errType: typ, payload: body})
	return ok
}

// refuse answers a request with an error after throwing its body away.
func (c *apiConn) refuse(req *apiRequest, status int, typ, msg string) bool {
	if !c.discardBody(req) {
		return false
	}
	return c.answer(req, status, typ, msg, false)
}

// discardBody reads a request's body and throws it away; false means the
// connection cannot be used after it.
func (c *apiConn) discardBody(req *apiRequest) bool {
	if req.contentLength == 0 {
		return true
	}
	if !c.continue100(req) {
		return false
	}
	_, err := req.readBody(c.br, nil, 0, discardLimit)
	if err != nil && !errors.Is(err, errBodyTooLarge) {
		var we *wireError
		if errors.As(err, &we) {
			c.answer(req, we.status, "InvalidRequest", we.msg, true)
		}
		return false
	}
	return true
}

// continue100 tells a client that waits for it to send its body.
func (c *apiConn) continue100(req *apiRequest) bool {
	if !req.expect100 {
		return true
	}
	req.expect100 = false
	c.turn.Lock()
	defer c.turn.Unlock()
	_, err := io.WriteString(c.c, "HTTP/1.1 100 Continue\r\n\r\n")
	return err == nil
}

// accepted answers 202, as the API does to a result.
func (c *apiConn) accepted(req *apiRequest) bool {
	c.turn.Lock()
	defer c.turn.Unlock()
	b := append(c.wbuf[:0], "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"...)
	if req.close {
		b = append(b, "Connection: close\r\n"...)
	}
	b = append(b, "Date: "...)
	b = append(b, httpDate()...)
	b = append(b, "\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}"...)
	_, err := c.c.Write(b)
	c.keep(b)
	return err == nil && !req.close
}

// answer writes an error response; close ends the connection after it.
func (c *apiConn) answer(req *apiRequest, status int, typ, msg string, close bool) bool {
	close = close || req.close
	c.turn.Lock()
	defer c.turn.Unlock()
	return c.writeError(status, typ, msg, close) && !close
}

// writeError writes an error document as the API does. The caller holds
// the turn.
func (c *apiConn) writeError(status int, typ, msg string, close bool) bool {
	body := errorDoc(typ, msg)
	b := append(c.wbuf[:0], "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, statusText(status)...)
	b = append(b, "\r\nContent-Type: application/json\r\n"...)
	if close {
		b = append(b, "Connection: close\r\n"...)
	}
	b = append(b, "Date: "...)
	b = append(b, httpDate()...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)+1), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	b = append(b, '\n')
	_, err := c.c.Write(b)
	c.keep(b)
	return err == nil
}

// keep holds on to a write buffer for the next response, unless it grew
// large.
func (c *apiConn) keep(b []byte) {
	if cap(b) <= 64<<10 {
		c.wbuf = b[:0]
	} else {
		c.wbuf = nil
	}
}

// keepBody holds on to the body scratch, unless it grew large: a 6 MB
// response should not stay with the instance.
func (c *apiConn) keepBody(b []byte) {
	if cap(b) <= 64<<10 {
		c.body = b[:0]
	} else {
		c.body = nil
	}
}

// unpark takes the connection off the instance's waiting list; true when
// it was waiting there (its GET next is then owed an answer, and its turn
// is handed back).
func (c *apiConn) unpark() bool {
	in := c.in
	in.mu.Lock()
	found := false
	for i, w := range in.waiters {
		if w == c {
			in.waiters = append(in.waiters[:i], in.waiters[i+1:]...)
			found = true
			break
		}
	}
	in.mu.Unlock()
	if found {
		c.turn.Unlock()
	}
	return found
}

func (c *apiConn) closeConn() {
	c.unpark()
	c.c.Close()
	c.in.mu.Lock()
	delete(c.in.conns, c)
	c.in.mu.Unlock()
}

// park leaves a connection that asked for the next event on the instance,
// or returns the invocation that was waiting for a runtime to ask.
func (in *instance) park(c *apiConn) *invocation {
	in.mu.Lock()
	defer in.mu.Unlock()
	if inv := in.pending; inv != nil {
		in.pending = nil
		in.take(inv)
		return inv
	}
	in.waiters = append(in.waiters, c)
	return nil
}

// offer hands an invocation to a runtime waiting in GET next, returning
// its connection for the caller to write the event to; or, when none
// waits, leaves it for the next GET next. Of several waiting connections
// (a runtime that gave up on one and opened another) the newest gets it.
func (in *instance) offer(inv *invocation) *apiConn {
	in.mu.Lock()
	defer in.mu.Unlock()
	if n := len(in.waiters); n > 0 {
		c := in.waiters[n-1]
		in.waiters[n-1] = nil
		in.waiters = in.waiters[:n-1]
		in.take(inv)
		return c
	}
	in.pending = inv
	return nil
}

// retract takes back an invocation no runtime has taken yet.
func (in *instance) retract(inv *invocation) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.pending == inv {
		in.pending = nil
		return true
	}
	return false
}

// untake puts back an invocation whose event could not be written (its
// connection broke), so that the runtime gets it when it asks again.
func (in *instance) untake(inv *invocation) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.current == inv {
		in.current = nil
		inv.started = time.Time{}
	}
}

// take makes inv the invocation in progress. in.mu is held.
func (in *instance) take(inv *invocation) {
	inv.started = time.Now()
	in.current, in.last = inv, inv
}

// deliver hands inv to the runtime, now or when it asks. A connection
// that fails the write is closed and the event goes to the next one, or
// waits for the runtime to ask again; each failure uses up one waiting
// connection, so this ends.
func (in *instance) deliver(inv *invocation) {
	for {
		c := in.offer(inv)
		if c == nil || c.writeNext(inv) == nil {
			return
		}
		c.c.Close()
		in.untake(inv)
	}
}

// appendHeaderValue appends s with the bytes a header value cannot hold
// (line breaks, other controls) turned into spaces.
func appendHeaderValue(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			start := len(b)
			b = append(b, s...)
			for j := start; j < len(b); j++ {
				if c := b[j]; c < ' ' && c != '\t' || c == 0x7f {
					b[j] = ' '
				}
			}
			return b
		}
	}
	return append(b, s...)
}

// httpDate is the Date header of a response, formatted once a second.
func httpDate() string {
	now := time.Now()
	sec := now.Unix()
	if d := dateCache.Load(); d != nil && d.sec == sec {
		return d.text
	}
	d := &cachedDate{sec: sec, text: now.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")}
	dateCache.Store(d)
	return d.text
}

type cachedDate struct {
	sec  int64
	text string
}

var dateCache atomic.Pointer[cachedDate]

func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 202:
		return "Accepted"
	case 400:
		return "Bad Request"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 413:
		return "Request Entity Too Large"
	case 417:
		return "Expectation Failed"
	case 431:
		return "Request Header Fields Too Large"
	case 501:
		return "Not Implemented"
	case 505:
		return "HTTP Version Not Supported"
	}
	return "Internal Server Error"
}

// errorDoc is the JSON error document Lambda returns for a failed invocation.
func errorDoc(typ, msg string) []byte {
	b, _ := json.Marshal(map[string]string{"errorType": typ, "errorMessage": msg})
	return b
}
