package events

import "errors"

// Errors of the events service; match them with errors.Is.
var (
	// ErrNoBus: no event bus has that name, logical id or ARN.
	ErrNoBus = errors.New("event bus does not exist")
	// ErrInvalid: an event, rule or parameter is not acceptable.
	ErrInvalid = errors.New("invalid parameter")
	// ErrPattern: an event pattern is malformed; the error names the JSON
	// path of the bad part and how to write it.
	ErrPattern = errors.New("invalid event pattern")
	// ErrClosed: the service is closed.
	ErrClosed = errors.New("events service closed")
)
