package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Tables serves the table endpoints; a Platform that has tables implements
// it. Answers are JSON values with an HTTP status: 404 for an unknown
// table, 400 for a bad item or key. get and delete answer the item, or
// null when no item has the key (not an error, as in DynamoDB).
//
//	GET  /v1/tables                     the tables
//	GET  /v1/tables/{table}/items?limit=N   scan
//	POST /v1/tables/{table}/put         an item, DynamoDB JSON
//	POST /v1/tables/{table}/get         a key, DynamoDB JSON
//	POST /v1/tables/{table}/delete      a key, DynamoDB JSON
type Tables interface {
	ControlTable(ctx context.Context, method, table, action string, query url.Values, body []byte) (any, int, error)
}

func (c *Control) tables(w http.ResponseWriter, r *http.Request, path string) {
	ts, ok := c.Platform.(Tables)
	if !ok {
		writeError(w, http.StatusNotFound, "NotFound", "this platform runs no tables")
		return
	}
	name, action, _ := strings.Cut(strings.Trim(strings.TrimPrefix(path, "/v1/tables"), "/"), "/")
	body, ok := readBody(w, r, "InvalidParameter", "an item and its request must fit in it")
	if !ok {
		return
	}
	v, status, err := ts.ControlTable(r.Context(), r.Method, name, action, r.URL.Query(), body)
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
