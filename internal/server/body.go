package server

import (
	"fmt"
	"io"
	"net/http"
)

// maxBody is the largest request body of the control API's JSON
// endpoints: more than any message, record or item a service takes.
const maxBody = 1 << 20

// readBody reads a JSON endpoint's request body. A body over maxBody is
// answered with 413 naming the service's own limit, rather than cut and
// then refused as malformed JSON; ok is false then.
func readBody(w http.ResponseWriter, r *http.Request, typ, limit string) (body []byte, ok bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, typ, fmt.Sprintf("reading the request: %v", err))
		return nil, false
	}
	if len(body) > maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, typ, fmt.Sprintf("the request is over %d bytes; %s", maxBody, limit))
		return nil, false
	}
	return body, true
}
