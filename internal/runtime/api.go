package runtime

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Runtime API, version 2018-06-01, as AWS Lambda serves it to each
// execution environment:
//
//	GET  /2018-06-01/runtime/invocation/next
//	POST /2018-06-01/runtime/invocation/{id}/response
//	POST /2018-06-01/runtime/invocation/{id}/error
//	POST /2018-06-01/runtime/init/error
const apiPrefix = "/2018-06-01/runtime/"

// maxResponse bounds what a function may return: 6 MB, as Lambda.
const maxResponse = 6 * 1024 * 1024

// ServeHTTP serves the Runtime API of one instance.
func (in *instance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
	if !ok {
		apiError(w, http.StatusNotFound, "InvalidRequest", "unknown path "+r.URL.Path)
		return
	}
	switch {
	case path == "invocation/next" && r.Method == http.MethodGet:
		in.serveNext(w, r)
	case path == "init/error" && r.Method == http.MethodPost:
		in.serveInitError(w, r)
	case strings.HasPrefix(path, "invocation/") && r.Method == http.MethodPost:
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, found := strings.Cut(rest, "/")
		if !found || (kind != "response" && kind != "error") {
			apiError(w, http.StatusNotFound, "InvalidRequest", "unknown path "+r.URL.Path)
			return
		}
		in.serveResult(w, r, id, kind == "error")
	default:
		apiError(w, http.StatusMethodNotAllowed, "InvalidRequest", r.Method+" "+r.URL.Path+" is not part of the Runtime API")
	}
}

// serveNext hands the next invocation to the runtime, waiting for one.
func (in *instance) serveNext(w http.ResponseWriter, r *http.Request) {
	in.markReady()
	select {
	case inv := <-in.next:
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", in.spec.arn(in.rt.opts.Region, in.rt.opts.AccountID))
		h.Set("Lambda-Runtime-Trace-Id", inv.traceID)
		if inv.clientContext != "" {
			h.Set("Lambda-Runtime-Client-Context", inv.clientContext)
		}
		inv.started = time.Now()
		in.setCurrent(inv)
		w.WriteHeader(http.StatusOK)
		w.Write(inv.payload)
	case <-in.closed:
		// The instance is being stopped: leave the runtime waiting.
		<-r.Context().Done()
	case <-r.Context().Done():
	}
}

func (in *instance) serveResult(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	inv := in.currentInvocation()
	if inv == nil || inv.id != id {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation "+id+" is in progress on this instance")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponse+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", "reading the body: "+err.Error())
		return
	}
	out := outcome{payload: body}
	switch {
	case len(body) > maxResponse:
		out = outcome{errType: "Function.ResponseSizeTooLarge", payload: errorDoc("Function.ResponseSizeTooLarge", "Response payload size exceeded maximum allowed payload size (6291456 bytes).")}
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "response larger than 6291456 bytes")
		in.finish(inv, out)
		return
	case isError:
		out.errType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
		if out.errType == "" {
			out.errType = "Unhandled"
		}
		if len(body) == 0 || !json.Valid(body) {
			out.payload = errorDoc(out.errType, string(body))
		}
		// Trailers carry errors reported after a streamed body has started.
		if t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
			out.errType = t
		}
	default:
		if t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
			out.errType = t
			if b := r.Trailer.Get("Lambda-Runtime-Function-Error-Body"); b != "" {
				out.payload = []byte(b)
			}
		}
	}
	in.drainOutput()
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
	in.finish(inv, out)
}

func (in *instance) serveInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	typ := r.Header.Get("Lambda-Runtime-Function-Error-Type")
	if typ == "" {
		typ = "Runtime.InitError"
	}
	if len(body) == 0 || !json.Valid(body) {
		body = errorDoc(typ, string(body))
	}
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
	in.initFailed(outcome{errType: typ, payload: body})
}

// apiError answers a Runtime API error as Lambda does.
func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}

// errorDoc is the JSON error document Lambda returns for a failed invocation.
func errorDoc(typ, msg string) []byte {
	b, _ := json.Marshal(map[string]string{"errorType": typ, "errorMessage": msg})
	return b
}
