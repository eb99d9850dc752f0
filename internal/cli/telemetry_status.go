package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stacklab/stacklab/internal/telemetry"
)

// warnTelemetry prints on stderr what the platform's span store and OTLP
// export lost: traces, trace, map and stats miss records while either drops
// them. A platform that cannot say (tracing off, an older stacklab) says
// nothing here; the command's own answer already told. It reports whether
// the span store lost records, for a command to say what that means for
// its answer.
func warnTelemetry(cmd *cobra.Command, rf *remoteFlags) (storeLost bool) {
	var st telemetry.Status
	if err := getTelemetry(cmd, rf, "/v1/telemetry", nil, &st); err != nil {
		return false
	}
	for _, w := range telemetryWarnings(st) {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning: "+w)
	}
	s := st.Store
	return s != nil && (s.Dropping || s.DroppedSpans+s.DroppedInvocations > 0)
}

// telemetryWarnings are the lines warnTelemetry prints for st, none when
// nothing was lost.
func telemetryWarnings(st telemetry.Status) []string {
	var out []string
	if s := st.Store; s != nil && (s.Dropping || s.DroppedSpans+s.DroppedInvocations > 0) {
		lost := fmt.Sprintf("%d spans and %d invocation records", s.DroppedSpans, s.DroppedInvocations)
		cause := ""
		if s.LastError != "" {
			cause = "; last error: " + s.LastError
		}
		if s.Dropping {
			out = append(out, fmt.Sprintf("the span store is dropping records (%s lost since the platform started%s): traces, the service map and stats miss them; %s",
				lost, cause, s.Fix))
		} else {
			out = append(out, fmt.Sprintf("the span store lost %s since the platform started%s; it writes again now, but traces, the service map and stats of that time miss them (if it happens again: %s)",
				lost, cause, s.Fix))
		}
	}
	if e := st.Export; e != nil && (e.Dropping || e.Dropped > 0) {
		cause := ""
		if e.LastError != "" {
			cause = "; last error: " + e.LastError
		}
		if e.Dropping {
			out = append(out, fmt.Sprintf("OTLP export to %s is dropping spans (%d lost%s): check that the collector is up and reachable; the span store is not affected",
				e.Endpoint, e.Dropped, cause))
		} else {
			out = append(out, fmt.Sprintf("OTLP export to %s lost %d spans since the platform started%s; it sends again now", e.Endpoint, e.Dropped, cause))
		}
	}
	return out
}
