package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/stacklab/stacklab/internal/services/events"
)

// EventsPrefix is the X-Amz-Target prefix of EventBridge operations.
const EventsPrefix = "AWSEvents."

const eventsNamespace = "com.amazonaws.events"

// EventPutter puts events on the stack's buses (the platform).
type EventPutter interface {
	PutEvents(ctx context.Context, entries []events.Entry) (events.PutResult, error)
}

// eventBridge runs one EventBridge operation.
func (h *Handler) eventBridge(r *http.Request, op string) (any, error) {
	if h.Events == nil {
		return nil, &apiError{http.StatusBadRequest, eventsNamespace, "UnknownOperationException", "this endpoint serves no event buses"}
	}
	if op != "PutEvents" {
		return nil, &apiError{http.StatusBadRequest, eventsNamespace, "UnknownOperationException",
			fmt.Sprintf("EventBridge %s is not served by stacklab; it serves PutEvents (rules and buses come from the template)", op)}
	}
	invalid := func(msg string) error {
		return &apiError{http.StatusBadRequest, eventsNamespace, "ValidationException", msg}
	}
	var in struct{ Entries []events.Entry }
	if err := decode(r, &in, invalid); err != nil {
		return nil, err
	}
	res, err := h.Events.PutEvents(r.Context(), in.Entries)
	switch {
	case errors.Is(err, events.ErrInvalid):
		return nil, invalid("PutEvents: " + err.Error())
	case err != nil:
		return nil, &apiError{http.StatusInternalServerError, eventsNamespace, "InternalException", err.Error()}
	}
	return res, nil
}
