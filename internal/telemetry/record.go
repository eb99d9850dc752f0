package telemetry

import "github.com/stacklab/stacklab/internal/telemetry/model"

// Invocation is the record Record takes, so hops need import only this
// package; see model.Invocation for its fields.
type Invocation = model.Invocation

// Outcome is how an invocation ended; see model.Outcome.
type Outcome = model.Outcome

// The outcomes of an invocation.
const (
	OutcomeOK           = model.OutcomeOK
	OutcomeHandledError = model.OutcomeHandledError
	OutcomeUnhandled    = model.OutcomeUnhandled
	OutcomeTimeout      = model.OutcomeTimeout
	OutcomeThrottled    = model.OutcomeThrottled
	OutcomeOOM          = model.OutcomeOOM
)
