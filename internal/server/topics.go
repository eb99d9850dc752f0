package server

import (
	"context"
	"net/http"
	"strings"
)

// Topics serves the topic endpoints; a Platform that has topics implements
// it. Answers are JSON values with an HTTP status: 404 for an unknown
// topic, 400 for a bad parameter.
//
//	GET  /v1/topics                   the topics and their subscriptions
//	POST /v1/topics/{topic}/publish   {"message","subject","messageAttributes"}
type Topics interface {
	ControlTopic(ctx context.Context, method, topic, action string, body []byte) (any, int, error)
}

func (c *Control) topics(w http.ResponseWriter, r *http.Request, path string) {
	ts, ok := c.Platform.(Topics)
	if !ok {
		writeError(w, http.StatusNotFound, "NotFound", "this platform runs no topics")
		return
	}
	name, action, _ := strings.Cut(strings.Trim(strings.TrimPrefix(path, "/v1/topics"), "/"), "/")
	body, ok := readBody(w, r, "InvalidParameter", "a topic message is at most 262144 bytes")
	if !ok {
		return
	}
	v, status, err := ts.ControlTopic(r.Context(), r.Method, name, action, body)
	if err != nil {
		typ := "InternalError"
		switch status {
		case http.StatusNotFound:
			typ = "NotFound"
		case http.StatusBadRequest:
			typ = "InvalidParameter"
		}
		writeError(w, status, typ, err.Error())
		return
	}
	writeJSON(w, status, v)
}
