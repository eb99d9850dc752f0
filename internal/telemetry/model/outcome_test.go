package model

import "testing"

func TestOutcomeOf(t *testing.T) {
	tests := []struct {
		errorType string
		want      Outcome
	}{
		{"", OutcomeOK},
		{"Sandbox.Timedout", OutcomeTimeout},
		{"Runtime.OutOfMemory", OutcomeOOM},
		{"Unhandled", OutcomeHandledError},
		{"Runtime.ExitError", OutcomeUnhandled},
		{"Runtime.InitTimeout", OutcomeUnhandled},
		{"Function.ResponseSizeTooLarge", OutcomeUnhandled},
		{"errorString", OutcomeHandledError},
		{"ValueError", OutcomeHandledError},
	}
	for _, tt := range tests {
		if got := OutcomeOf(tt.errorType); got != tt.want {
			t.Errorf("OutcomeOf(%q) = %q, want %q", tt.errorType, got, tt.want)
		}
	}
}
