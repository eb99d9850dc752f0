package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadBody(t *testing.T) {
	for _, c := range []struct {
		size   int
		ok     bool
		status int
	}{
		{0, true, 0},
		{maxBody, true, 0},
		{maxBody + 1, false, http.StatusRequestEntityTooLarge},
		{3 * maxBody, false, http.StatusRequestEntityTooLarge},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/v1/queues/Jobs/messages", bytes.NewReader(make([]byte, c.size)))
		body, ok := readBody(w, r, "InvalidParameterValue", "a queue message is at most 262144 bytes")
		if ok != c.ok || (ok && len(body) != c.size) {
			t.Errorf("%d bytes: ok %v with %d bytes, want ok %v", c.size, ok, len(body), c.ok)
			continue
		}
		if ok {
			continue
		}
		var e APIError
		json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != c.status || e.Type != "InvalidParameterValue" || !strings.Contains(e.Message, "over 1048576 bytes; a queue message is at most 262144 bytes") {
			t.Errorf("%d bytes: answered %d %+v, want %d naming both limits", c.size, w.Code, e, c.status)
		}
	}
}
