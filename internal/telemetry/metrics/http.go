package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the metrics are served.
const Path = "/metrics"

// Handler serves the metrics in Prometheus's text (or OpenMetrics) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

// WithEndpoint serves GET /metrics itself, without asking next (and so
// without the control API's token: Prometheus scrapes it), and passes every
// other request to next. The metrics hold counts, durations and the names
// of functions, queues and routes: no payloads, no logs.
func (m *Metrics) WithEndpoint(next http.Handler) http.Handler {
	metrics := m.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == Path && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			metrics.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RouteFunc names the API and the route key a gateway request goes to. It
// must return a bounded set of names (route keys, not raw paths), as each
// becomes a label value.
type RouteFunc func(r *http.Request) (api, route string)

// Gateway wraps the gateway's handler so that every request is timed into
// stacklab_gateway_request_duration_seconds, labelled by routeOf's names
// and the status the gateway answered.
func (m *Metrics) Gateway(next http.Handler, routeOf RouteFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		api, route := routeOf(r)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK // net/http's default when nothing was written
		}
		m.GatewayRequest(api, route, status, time.Since(start))
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes on to the wrapped writer, so that streamed answers stream.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the wrapped writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
