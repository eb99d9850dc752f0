package runtime

import (
	"sync/atomic"

	"github.com/stacklab/stacklab/internal/telemetry"
)

// traceSlot holds the telemetry and the deployment the runtime records
// invocations under; both are read on every invocation, so they are atomic
// pointers rather than fields under the runtime's lock.
type traceSlot struct {
	tel        atomic.Pointer[telemetry.Telemetry]
	deployment atomic.Pointer[string]
}

// SetTelemetry makes the runtime trace every invocation (a span with
// queue wait, init and run children) and record it (tel.Record). The
// platform opens its telemetry after creating the runtime, so it is set
// here; nil turns tracing off.
func (rt *Runtime) SetTelemetry(tel *telemetry.Telemetry) { rt.trace.tel.Store(tel) }

// SetDeployment names the deployment (the platform's version number) that
// invocations from now on are recorded under. Call it before Deploy.
func (rt *Runtime) SetDeployment(v string) { rt.trace.deployment.Store(&v) }

func (rt *Runtime) telemetry() *telemetry.Telemetry { return rt.trace.tel.Load() }

func (rt *Runtime) deployment() string {
	if v := rt.trace.deployment.Load(); v != nil {
		return *v
	}
	return ""
}
