package topic

import "errors"

// Errors of the topic service; match them with errors.Is.
var (
	// ErrNoTopic: no deployed topic has that name, logical id or ARN.
	ErrNoTopic = errors.New("topic does not exist")
	// ErrInvalid: a message, parameter or filter policy is not acceptable.
	ErrInvalid = errors.New("invalid parameter")
	// ErrClosed: the service is closed.
	ErrClosed = errors.New("topic service closed")
)
