package bucket

import "errors"

// Errors of the bucket service; match them with errors.Is.
var (
	// ErrNoBucket: no deployed bucket has that name or logical id.
	ErrNoBucket = errors.New("bucket does not exist")
	// ErrNoObject: the bucket has no object with that key.
	ErrNoObject = errors.New("no such key")
	// ErrTooLarge: an object is over the service's MaxObjectSize.
	ErrTooLarge = errors.New("object too large")
	// ErrNotNotified: a put or delete was done but some of its event
	// notifications could not be queued; doing it again sends them.
	ErrNotNotified = errors.New("event notifications not queued")
	// ErrInvalid: a key or parameter is not acceptable.
	ErrInvalid = errors.New("invalid parameter")
	// ErrClosed: the service is closed.
	ErrClosed = errors.New("bucket service closed")
)
