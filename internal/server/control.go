package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/runtime"
)

// Platform is what the control API needs of a running platform.
type Platform interface {
	invoke.Invoker
	Functions() []runtime.Function
	Logs() *runtime.Logs
	Routes() []RouteInfo
	Deployer
}

// Deployer deploys templates and keeps their versions. Answers are JSON
// values with an HTTP status.
type Deployer interface {
	ControlDeploy(ctx context.Context, body []byte) (any, int, error)
	ControlDeployments(ctx context.Context) (any, error)
	ControlRollback(ctx context.Context, version int) (any, int, error)
}

// Queues serves the queue endpoints; a Platform that has queues implements
// it. Answers are JSON values with an HTTP status: 404 for an unknown
// queue, 400 for a bad parameter.
type Queues interface {
	ControlQueue(ctx context.Context, method, queue, action string, query url.Values, body []byte) (any, int, error)
}

// RouteInfo is one HTTP route of the gateway.
type RouteInfo struct {
	Method   string `json:"method"`
	Path     string `json:"path"`
	URL      string `json:"url"`
	Function string `json:"function"`
	API      string `json:"api"`
}

// InvokeResult is the control API's answer to an invocation: the Invoke
// API's result plus what Lambda reports in its REPORT line.
type InvokeResult struct {
	RequestID        string          `json:"requestId"`
	Payload          json.RawMessage `json:"payload,omitempty"`
	FunctionError    string          `json:"functionError,omitempty"`
	Version          string          `json:"version,omitempty"`
	Cold             bool            `json:"cold"`
	DurationMS       float64         `json:"durationMs"`
	BilledDurationMS int64           `json:"billedDurationMs"`
	InitDurationMS   float64         `json:"initDurationMs,omitempty"`
	MemorySizeMB     int             `json:"memorySizeMB,omitempty"`
	MaxMemoryUsedMB  int             `json:"maxMemoryUsedMB,omitempty"`
	Log              string          `json:"log,omitempty"`
	// TraceID is the invocation's trace ('stacklab trace ID'); for an
	// async invocation the trace its attempts join. Empty when tracing is
	// off.
	TraceID string `json:"traceId,omitempty"`
}

// Control serves the control API.
type Control struct {
	Token    string
	Platform Platform
	// UI, when set, serves every path outside /v1/ (but /metrics) without
	// the token: the dashboard's page (dashboard.Handler), which holds no
	// data.
	UI http.Handler
}

// ServeHTTP checks the token and dispatches:
//
//	GET  /v1/functions
//	GET  /v1/routes
//	POST /v1/functions/{name}/invoke[?type=Event&tail=1]
//	GET  /v1/logs?function=F&since=RFC3339|duration&request=ID[&follow=1]
//	GET  /v1/queues[/{queue}]                  stats
//	POST /v1/queues/{queue}/messages           send {"body","groupId","deduplicationId","delaySeconds"}
//	POST /v1/queues/{queue}/receive?max=N&wait=D[&delete=1]
//	POST /v1/queues/{queue}/delete             {"receiptHandle"}
//	POST /v1/queues/{queue}/purge
//	GET|PUT|HEAD|DELETE /v1/buckets[/{bucket}[/objects/{key}]]   see buckets.go
//	GET|POST /v1/events                        buses and rules; put events (see events.go)
//	GET  /v1/traces[/{id}], /v1/map, /v1/stats[/compare]   telemetry (see telemetry.go)
//	GET  /v1/graph, /v1/series, /v1/invocations, /v1/deployments/diff, /v1/cost,
//	     /v1/experiments[/{id}[/report.html]], /v1/live   the dashboard's data (see dashboard.go)
//
// Any other path goes to UI, when set, without the token.
func (c *Control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.UI != nil && r.URL.Path != "/v1" && !strings.HasPrefix(r.URL.Path, "/v1/") && r.URL.Path != "/metrics" {
		c.UI.ServeHTTP(w, r)
		return
	}
	if !c.authorized(r) {
		writeError(w, http.StatusUnauthorized, "Unauthorized", "missing or wrong control token: send 'Authorization: Bearer <token>' with the token in the state directory's token file")
		return
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/v1/functions" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, c.Platform.Functions())
	case path == "/v1/routes" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, c.Platform.Routes())
	case strings.HasPrefix(path, "/v1/functions/") && strings.HasSuffix(path, "/invoke") && r.Method == http.MethodPost:
		name := strings.TrimSuffix(strings.TrimPrefix(path, "/v1/functions/"), "/invoke")
		c.invoke(w, r, name)
	case path == "/v1/queues" || strings.HasPrefix(path, "/v1/queues/"):
		c.queues(w, r, path)
	case path == "/v1/buckets" || strings.HasPrefix(path, "/v1/buckets/"):
		c.buckets(w, r, path)
	case path == "/v1/topics" || strings.HasPrefix(path, "/v1/topics/"):
		c.topics(w, r, path)
	case path == "/v1/events":
		c.events(w, r)
	case path == "/v1/tables" || strings.HasPrefix(path, "/v1/tables/"):
		c.tables(w, r, path)
	case path == "/v1/traces" || strings.HasPrefix(path, "/v1/traces/") || path == "/v1/map" || path == "/v1/stats" || path == "/v1/stats/compare" || path == "/v1/telemetry":
		c.telemetry(w, r, path)
	case path == "/v1/graph" || path == "/v1/series" || path == "/v1/invocations" || path == "/v1/deployments/diff" || path == "/v1/cost" ||
		path == "/v1/experiments" || strings.HasPrefix(path, "/v1/experiments/") || path == "/v1/live":
		c.dashboard(w, r, path)
	case path == "/v1/logs" && r.Method == http.MethodGet:
		c.logs(w, r)
	case path == "/v1/deployments" && r.Method == http.MethodGet:
		v, err := c.Platform.ControlDeployments(r.Context())
		c.answer(w, v, http.StatusOK, err)
	case path == "/v1/deployments" && r.Method == http.MethodPost:
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		v, status, err := c.Platform.ControlDeploy(r.Context(), body)
		c.answer(w, v, status, err)
	case path == "/v1/rollback" && r.Method == http.MethodPost:
		version, err := strconv.Atoi(r.URL.Query().Get("version"))
		if err != nil || version < 0 {
			writeError(w, http.StatusBadRequest, "InvalidParameterValueException", "version must be a deployment number, or 0 for the one before the current")
			return
		}
		v, status, err := c.Platform.ControlRollback(r.Context(), version)
		c.answer(w, v, status, err)
	default:
		writeError(w, http.StatusNotFound, "NotFound", r.Method+" "+r.URL.Path+" is not part of the control API")
	}
}

func (c *Control) answer(w http.ResponseWriter, v any, status int, err error) {
	if err != nil {
		if status < 400 {
			status = http.StatusInternalServerError
		}
		writeError(w, status, "DeployError", err.Error())
		return
	}
	writeJSON(w, status, v)
}

func (c *Control) queues(w http.ResponseWriter, r *http.Request, path string) {
	qs, ok := c.Platform.(Queues)
	if !ok {
		writeError(w, http.StatusNotFound, "NotFound", "this platform runs no queues")
		return
	}
	name, action, _ := strings.Cut(strings.Trim(strings.TrimPrefix(path, "/v1/queues"), "/"), "/")
	body, ok := readBody(w, r, "InvalidParameterValue", "a queue message is at most 262144 bytes")
	if !ok {
		return
	}
	v, status, err := qs.ControlQueue(r.Context(), r.Method, name, action, r.URL.Query(), body)
	if err != nil {
		typ := "ServiceException"
		switch status {
		case http.StatusNotFound:
			typ = "QueueDoesNotExist"
		case http.StatusBadRequest:
			typ = "InvalidParameterValue"
		}
		writeError(w, status, typ, err.Error())
		return
	}
	writeJSON(w, status, v)
}

func (c *Control) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && c.Token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(c.Token)) == 1
}

func (c *Control) invoke(w http.ResponseWriter, r *http.Request, name string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, invoke.MaxSyncPayload+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return
	}
	req := invoke.Request{Function: name, Payload: body, Type: invoke.RequestResponse, LogTail: r.URL.Query().Get("tail") != ""}
	switch t := invoke.Type(r.URL.Query().Get("type")); t {
	case "":
	case invoke.RequestResponse, invoke.Event, invoke.DryRun:
		req.Type = t
	default:
		writeError(w, http.StatusBadRequest, "InvalidParameterValueException", "type must be RequestResponse, Event or DryRun, not "+string(t))
		return
	}
	res, err := c.Platform.Invoke(r.Context(), req)
	if err != nil {
		var ie *invoke.Error
		if errors.As(err, &ie) {
			writeError(w, ie.Status, ie.Type, ie.Message)
			return
		}
		writeError(w, http.StatusInternalServerError, "ServiceException", err.Error())
		return
	}
	out := InvokeResult{
		RequestID:        res.RequestID,
		FunctionError:    res.FunctionError,
		Version:          res.Version,
		Cold:             res.Cold,
		DurationMS:       float64(res.Duration) / float64(time.Millisecond),
		BilledDurationMS: int64(res.BilledDuration / time.Millisecond),
		InitDurationMS:   float64(res.InitDuration) / float64(time.Millisecond),
		MemorySizeMB:     res.MemorySizeMB,
		MaxMemoryUsedMB:  res.MaxMemoryMB,
		Log:              string(res.LogTail),
		TraceID:          res.TraceID,
	}
	if len(res.Payload) > 0 {
		if json.Valid(res.Payload) {
			out.Payload = res.Payload
		} else {
			b, _ := json.Marshal(string(res.Payload))
			out.Payload = b
		}
	}
	status := http.StatusOK
	if req.Type == invoke.Event {
		status = http.StatusAccepted
	}
	writeJSON(w, status, out)
}

func (c *Control) logs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fn := q.Get("function")
	// Lines are kept under the function's name; the logical id names it
	// too, as for invoke.
	for _, f := range c.Platform.Functions() {
		if fn != "" && f.ID == fn {
			fn = f.Name
			break
		}
	}
	var since time.Time
	if s := q.Get("since"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			since = time.Now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339, s); err == nil {
			since = t
		} else {
			writeError(w, http.StatusBadRequest, "InvalidParameterValueException", "since must be a duration (10m) or an RFC 3339 time")
			return
		}
	}
	logs := c.Platform.Logs()
	follow := q.Get("follow") != ""
	var live <-chan runtime.Line
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if follow {
		live = logs.Follow(ctx, fn)
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, l := range logs.Query(fn, since, q.Get("request")) {
		enc.Encode(l)
	}
	if !follow {
		return
	}
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case l := <-live:
			if err := enc.Encode(l); err != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]string{"type": typ, "message": msg})
}
