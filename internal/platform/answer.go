package platform

import (
	"errors"
	"net/http"
)

// answer gives a service's control API answer its HTTP status: 404 for the
// service's "no such resource" error, 400 for its invalid-input error, 500
// for anything else.
func answer(v any, err, notFound, invalid error) (any, int, error) {
	switch {
	case err == nil:
		return v, http.StatusOK, nil
	case errors.Is(err, notFound):
		return nil, http.StatusNotFound, err
	case errors.Is(err, invalid):
		return nil, http.StatusBadRequest, err
	}
	return nil, http.StatusInternalServerError, err
}
