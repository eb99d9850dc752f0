package server

import (
	"context"
	"io"
	"net/http"
)

// Events serves the EventBridge endpoints; a Platform that has event buses
// implements it. Answers are JSON values with an HTTP status: 404 for an
// unknown bus, 400 for a bad request.
//
//	GET  /v1/events   the buses and the rules with their patterns and targets
//	POST /v1/events   {"entries": [{"Source", "DetailType", "Detail", "EventBusName", "Resources", "Time"}]}
//	                  → {"FailedEntryCount", "Entries": [{"EventId"} or {"ErrorCode", "ErrorMessage"}]}
type Events interface {
	ControlEvents(ctx context.Context, method string, body []byte) (any, int, error)
}

// maxEventsBody bounds a put: ten entries of 256 KB, JSON-escaped.
const maxEventsBody = 8 << 20

func (c *Control) events(w http.ResponseWriter, r *http.Request) {
	es, ok := c.Platform.(Events)
	if !ok {
		writeError(w, http.StatusNotFound, "NotFound", "this platform runs no event buses")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxEventsBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "ValidationException", "reading the body: "+err.Error())
		return
	}
	if len(body) > maxEventsBody {
		writeError(w, http.StatusRequestEntityTooLarge, "ValidationException", "the body is larger than 8 MB; put at most 10 entries of 256 KB at a time")
		return
	}
	v, status, err := es.ControlEvents(r.Context(), r.Method, body)
	if err != nil {
		typ := "InternalException"
		switch status {
		case http.StatusNotFound:
			typ = "ResourceNotFoundException"
		case http.StatusBadRequest:
			typ = "ValidationException"
		}
		writeError(w, status, typ, err.Error())
		return
	}
	writeJSON(w, status, v)
}
