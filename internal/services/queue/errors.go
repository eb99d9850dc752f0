package queue

import (
	"errors"
	"fmt"
)

// Errors of the queue service; match them with errors.Is.
var (
	// ErrNoQueue: no deployed queue has that name or logical id.
	ErrNoQueue = errors.New("queue does not exist")
	// ErrInvalid: a message or parameter is not acceptable (too large,
	// missing group id on a FIFO queue, bad receipt handle, ...).
	ErrInvalid = errors.New("invalid parameter")
	// ErrReceiptHandle: a receipt handle is not one a receive of the
	// queue answered. It is also an ErrInvalid.
	ErrReceiptHandle = fmt.Errorf("%w: receipt handle", ErrInvalid)
	// ErrHandleExpired: a receipt handle is of an earlier receive of a
	// message that was received again since; only the latest receipt
	// handle deletes it or changes its visibility. It is also an
	// ErrReceiptHandle.
	ErrHandleExpired = fmt.Errorf("%w has expired", ErrReceiptHandle)
	// ErrClosed: the service is closed.
	ErrClosed = errors.New("queue service closed")
)
