package metrics_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/metrics"
	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// A deploy starts its functions' counters at 0; a hop counts what happens;
// the platform registers snapshots of state; Prometheus scrapes Handler.
// The version is the deployment's.
func Example() {
	m := metrics.New()
	m.Deployed("3", []string{"Echo"})
	m.Invocation("Echo", "3", model.OutcomeOf(""), 12*time.Millisecond, 180*time.Millisecond, true)
	m.Invocation("Echo", "3", model.OutcomeOf("Sandbox.Timedout"), 3*time.Second, 0, false)
	m.Throttle("Echo", "3")
	m.SetSources(metrics.Sources{Functions: func() []metrics.FunctionState {
		return []metrics.FunctionState{{Function: "Echo", Version: "3", Busy: 0, Idle: 1}}
	}})

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", metrics.Path, nil))
	body, _ := io.ReadAll(rec.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "stacklab_invocations_total") || strings.HasPrefix(line, "stacklab_throttles_total") ||
			strings.HasPrefix(line, "stacklab_instances") {
			fmt.Println(line)
		}
	}
	// Output:
	// stacklab_instances{function="Echo",state="busy",version="3"} 0
	// stacklab_instances{function="Echo",state="idle",version="3"} 1
	// stacklab_invocations_total{function="Echo",outcome="handled_error",version="3"} 0
	// stacklab_invocations_total{function="Echo",outcome="ok",version="3"} 1
	// stacklab_invocations_total{function="Echo",outcome="oom",version="3"} 0
	// stacklab_invocations_total{function="Echo",outcome="timeout",version="3"} 1
	// stacklab_invocations_total{function="Echo",outcome="unhandled",version="3"} 0
	// stacklab_throttles_total{function="Echo",version="3"} 1
}
