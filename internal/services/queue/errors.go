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
	// ErrNotInflight: the message of a receipt handle is not in flight:
	// its visibility timeout ran out (or was set to 0), so it is visible
	// again, and its visibility can no longer change by this handle until
	// it is received again. It is also an ErrInvalid.
	ErrNotInflight = fmt.Errorf("%w: message not in flight", ErrInvalid)
	// ErrClosed: the service is closed.
	ErrClosed = errors.New("queue service closed")
)
