package model

import "strings"

// OutcomeOf classifies an invocation that ran by the error type the
// runtime gave it ("" when the handler succeeded):
//
//   - "Sandbox.Timedout" is a timeout, "Runtime.OutOfMemory" is OOM;
//   - the types of failures the platform detects itself, "Runtime.*"
//     (the process exited, never asked for an event, ...), "Function.*"
//     (a response too large) and other "Sandbox.*", are unhandled errors:
//     the function crashed or broke the Runtime API's rules;
//   - any other type is an error the function reported through the
//     Runtime API's error endpoint: a handled error. That includes
//     "Unhandled", the runtime's name for an error reported without a type
//     (aws-lambda-go reports a returned error so).
//
// Throttled invocations never ran and have no error type; callers mark them
// OutcomeThrottled themselves.
func OutcomeOf(errorType string) Outcome {
	switch {
	case errorType == "":
		return OutcomeOK
	case errorType == "Sandbox.Timedout":
		return OutcomeTimeout
	case errorType == "Runtime.OutOfMemory":
		return OutcomeOOM
	case strings.HasPrefix(errorType, "Runtime."), strings.HasPrefix(errorType, "Function."), strings.HasPrefix(errorType, "Sandbox."):
		return OutcomeUnhandled
	default:
		return OutcomeHandledError
	}
}
