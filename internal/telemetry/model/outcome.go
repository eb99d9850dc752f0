package model

import "strings"

// OutcomeOf classifies an invocation that ran by the error type the
// runtime gave it ("" when the handler succeeded):
//
//   - "Sandbox.Timedout" is a timeout, "Runtime.OutOfMemory" is OOM;
//   - "Unhandled" (an error reported without a type), the runtime's own
//     types ("Runtime.ExitError", "Runtime.InitTimeout", ...) and the
//     platform's ("Function.ResponseSizeTooLarge") are unhandled errors:
//     the function crashed or broke the Runtime API's rules;
//   - any other type is one the handler reported itself (aws-lambda-go
//     sends the Go type of a returned error, "errorString"): a handled error.
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
	case errorType == "Unhandled", strings.HasPrefix(errorType, "Runtime."), strings.HasPrefix(errorType, "Function."), strings.HasPrefix(errorType, "Sandbox."):
		return OutcomeUnhandled
	default:
		return OutcomeHandledError
	}
}
