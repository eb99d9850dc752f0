package invoke

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a service error of the Invoke API: the function did not run, or
// could not finish, for a reason that is not the function's own error. Type
// is the AWS error type (the x-amzn-ErrorType header and the "Type" of the
// body); Status the HTTP status.
type Error struct {
	Type    string
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Is matches errors of the same Type, so that errors.Is(err, ErrNotFound)
// works for any message.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Type == e.Type
}

func newError(typ string, status int) *Error { return &Error{Type: typ, Status: status} }

// The service errors stacklab returns, with the types AWS documents.
var (
	ErrNotFound        = newError("ResourceNotFoundException", http.StatusNotFound)
	ErrTooLarge        = newError("RequestTooLargeException", http.StatusRequestEntityTooLarge)
	ErrTooManyRequests = newError("TooManyRequestsException", http.StatusTooManyRequests)
	ErrInvalidContent  = newError("InvalidRequestContentException", http.StatusBadRequest)
	ErrInvalidParam    = newError("InvalidParameterValueException", http.StatusBadRequest)
	ErrResponseTooBig  = newError("ResponseSizeTooLargeException", http.StatusBadGateway)
	ErrInvalidRuntime  = newError("InvalidRuntimeException", http.StatusBadGateway)
	ErrService         = newError("ServiceException", http.StatusInternalServerError)
	ErrUnauthorized    = newError("UnrecognizedClientException", http.StatusForbidden)
)

// Errorf returns a service error of kind's type with a message.
func Errorf(kind *Error, format string, args ...any) *Error {
	return &Error{Type: kind.Type, Status: kind.Status, Message: fmt.Sprintf(format, args...)}
}
