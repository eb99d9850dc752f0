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
	// ErrInvalid: a key or parameter is not acceptable.
	ErrInvalid = errors.New("invalid parameter")
	// ErrClosed: the service is closed.
	ErrClosed = errors.New("bucket service closed")
)
