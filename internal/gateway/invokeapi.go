package gateway

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/telemetry"
)

// InvokePrefix is where the AWS Lambda Invoke API lives:
// POST /2015-03-31/functions/{FunctionName}/invocations.
const InvokePrefix = "/2015-03-31/functions/"

// maxLogTail is how much of the end of the log X-Amz-Log-Result carries.
const maxLogTail = 4 * 1024

// drainLimit bounds how much of a body that is too large is read and thrown
// away, so that the client gets the error instead of a reset connection.
const drainLimit = 64 << 20

// serveInvoke answers the Invoke API. It takes any SigV4 signature (or
// none): checking it is not its job yet.
func (g *Gateway) serveInvoke(w http.ResponseWriter, r *http.Request) {
	ctx, w, sw := g.startSpan(w, r, RouteInvoke, invokeRoute, InvokeResource)
	defer sw.end()
	rest := strings.TrimPrefix(r.URL.EscapedPath(), InvokePrefix)
	rawName, op, _ := strings.Cut(rest, "/")
	if op != "invocations" && op != "invocations/" || rawName == "" {
		g.writeServiceError(w, &invoke.Error{Type: "UnknownOperationException", Status: http.StatusNotFound, Message: "Unknown operation " + r.Method + " " + r.URL.Path})
		return
	}
	if r.Method != http.MethodPost {
		g.writeServiceError(w, &invoke.Error{Type: "UnknownOperationException", Status: http.StatusNotFound, Message: "Unknown operation " + r.Method + " " + r.URL.Path})
		return
	}
	qualifier := ""
	if r.URL.RawQuery != "" {
		qualifier = r.URL.Query().Get("Qualifier")
	}
	fn, err := functionName(unescape(rawName), qualifier)
	if err != nil {
		g.writeServiceError(w, err)
		return
	}
	sw.set(telemetry.FaaSInvokedName(fn))
	typ := invoke.Type(r.Header.Get("X-Amz-Invocation-Type"))
	switch typ {
	case "":
		typ = invoke.RequestResponse
	case invoke.RequestResponse, invoke.Event, invoke.DryRun:
	default:
		g.writeServiceError(w, invoke.Errorf(invoke.ErrInvalidParam, "1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", typ))
		return
	}
	logType := r.Header.Get("X-Amz-Log-Type")
	if logType != "" && logType != "None" && logType != "Tail" {
		g.writeServiceError(w, invoke.Errorf(invoke.ErrInvalidParam, "1 validation error detected: Value '%s' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]", logType))
		return
	}
	limit := int64(invoke.MaxSyncPayload)
	if typ == invoke.Event {
		limit = invoke.MaxAsyncPayload
	}
	payload, tooLarge, err := readBody(r, limit)
	if tooLarge {
		g.writeServiceError(w, invoke.Errorf(invoke.ErrTooLarge, "Request must be smaller than %d bytes for the InvokeFunction operation", limit))
		return
	}
	if err != nil {
		g.writeServiceError(w, invoke.Errorf(invoke.ErrInvalidContent, "Could not read request body: %v", err))
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}") // as Lambda does for an invocation without a payload
	}
	if err := checkJSON(payload); err != nil {
		g.writeServiceError(w, invoke.Errorf(invoke.ErrInvalidContent, "Could not parse request body into json: %v", err))
		return
	}
	cc := r.Header.Get("X-Amz-Client-Context")
	if cc != "" {
		dec, err := base64.StdEncoding.DecodeString(cc)
		if err != nil || !json.Valid(dec) {
			g.writeServiceError(w, invoke.Errorf(invoke.ErrInvalidContent, "Client context must be a valid Base64-encoded JSON object."))
			return
		}
	}
	req := invoke.Request{
		Function:      fn,
		Payload:       payload,
		Type:          typ,
		LogTail:       logType == "Tail" && typ == invoke.RequestResponse,
		TraceID:       g.traceHeader(ctx, r),
		ClientContext: cc,
		Trigger:       telemetry.TriggerHTTP,
	}
	res, err := g.inv.Invoke(ctx, req)
	if err != nil {
		g.log.Debug("invoke api: invocation failed", "function", fn, "type", string(typ), "err", err)
		var e *invoke.Error
		if errors.As(err, &e) && e.Message == "" && errors.Is(e, invoke.ErrNotFound) {
			err = invoke.Errorf(invoke.ErrNotFound, "Function not found: %s", g.functionARN(fn))
		}
		g.writeServiceError(w, err)
		return
	}
	h := w.Header()
	if res.RequestID != "" {
		h.Set("X-Amzn-Requestid", res.RequestID)
	}
	switch typ {
	case invoke.Event:
		w.WriteHeader(http.StatusAccepted)
		return
	case invoke.DryRun:
		w.WriteHeader(http.StatusNoContent)
		return
	}
	version := res.Version
	if version == "" {
		version = "$LATEST"
	}
	h.Set("X-Amz-Executed-Version", version)
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if req.LogTail {
		tail := res.LogTail
		if len(tail) > maxLogTail {
			tail = tail[len(tail)-maxLogTail:]
		}
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(tail))
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(res.Payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Payload)
}

// functionName reads the FunctionName of the path and the Qualifier of the
// query: a name (or logical id), name:qualifier, a partial ARN
// account:function:name[:qualifier] or a full ARN
// arn:aws:lambda:region:account:function:name[:qualifier]. It returns
// the name the invoker is asked for: the name alone for no qualifier or
// $LATEST, name:qualifier for any other version or alias.
func functionName(raw, qualifier string) (string, error) {
	parts := strings.Split(raw, ":")
	var name, q string
	hasQ := false
	switch {
	case len(parts) == 1:
		name = parts[0]
	case len(parts) == 2:
		name, q, hasQ = parts[0], parts[1], true
	case (len(parts) == 3 || len(parts) == 4) && parts[1] == "function":
		name = parts[2]
		if hasQ = len(parts) == 4; hasQ {
			q = parts[3]
		}
	case (len(parts) == 7 || len(parts) == 8) && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function":
		name = parts[6]
		if hasQ = len(parts) == 8; hasQ {
			q = parts[7]
		}
	}
	if name == "" || hasQ && q == "" {
		return "", invoke.Errorf(invoke.ErrInvalidParam, "function name %q is not a name, name:qualifier or an ARN arn:aws:lambda:region:account:function:name[:qualifier]", raw)
	}
	if q != "" && qualifier != "" && q != qualifier {
		return "", invoke.Errorf(invoke.ErrInvalidParam, "The derived qualifier from the function name does not match the specified qualifier.")
	}
	if q == "" {
		q = qualifier
	}
	if q == "" || q == "$LATEST" {
		return name, nil
	}
	return name + ":" + q, nil
}

// readBody reads a request body of at most limit bytes. A larger one is
// reported as tooLarge after being read and thrown away (up to drainLimit).
func readBody(r *http.Request, limit int64) (body []byte, tooLarge bool, err error) {
	if r.Body == nil {
		return nil, false, nil
	}
	if r.ContentLength > limit {
		_, _ = io.CopyN(io.Discard, r.Body, drainLimit)
		return nil, true, nil
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(body)) > limit {
		_, _ = io.CopyN(io.Discard, r.Body, drainLimit)
		return nil, true, nil
	}
	return body, false, nil
}

// checkJSON reports why a payload is not one JSON value.
func checkJSON(b []byte) error {
	if json.Valid(b) {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return errors.New("invalid JSON")
}

// errorDoc is the body of an Invoke API service error as AWS sends it; the
// SDKs read the type from the x-amzn-ErrorType header and the message from
// "message".
type errorDoc struct {
	Type    string `json:"Type"`
	Message string `json:"message"`
}

// writeServiceError answers with a service error: its status, the
// x-amzn-ErrorType header and the {"Type", "message"} body. Errors that are
// not *invoke.Error are ServiceException.
func (g *Gateway) writeServiceError(w http.ResponseWriter, err error) {
	var e *invoke.Error
	if !errors.As(err, &e) {
		g.log.Error("invoke api: service error", "err", err)
		e = invoke.Errorf(invoke.ErrService, "%v", err)
	}
	msg := e.Message
	if msg == "" {
		msg = e.Type
	}
	who := "User"
	if e.Status >= 500 {
		who = "Service"
	}
	body, _ := json.Marshal(errorDoc{Type: who, Message: msg})
	h := w.Header()
	h.Set("X-Amzn-Errortype", e.Type)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	status := e.Status
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// functionARN is the ARN AWS would give a function of this name.
func (g *Gateway) functionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", g.region, g.account, name)
}
