package table

import "errors"

// Errors of the table service; match them with errors.Is.
var (
	// ErrNoTable: no deployed table has that name or logical id.
	ErrNoTable = errors.New("table does not exist")
	// ErrInvalid: an item or key is not acceptable (not DynamoDB JSON, a
	// key attribute missing or of the wrong type, ...).
	ErrInvalid = errors.New("invalid parameter")
	// ErrClosed: the service is closed.
	ErrClosed = errors.New("table service closed")
)
