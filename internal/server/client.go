package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Client calls the control API of a running platform.
type Client struct {
	Base  string // http://127.0.0.1:3001
	Token string
	HTTP  *http.Client
}

// APIError is an error answer of the control API.
type APIError struct {
	Status  int
	Type    string `json:"type"`
	Message string `json:"message"`
	// Header is the answer's header: a failure may still name what it
	// started (a put stored, its notification not: traceparent).
	Header http.Header `json:"-"`
}

func (e *APIError) Error() string { return fmt.Sprintf("%s: %s", e.Type, e.Message) }

// Do sends a request and returns the response, or an *APIError for an
// error status. The caller closes the body.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body []byte) (*http.Response, error) {
	return c.Stream(ctx, method, path, query, nil, bytes.NewReader(body))
}

// apiError reads an error answer.
func apiError(resp *http.Response) *APIError {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &APIError{Status: resp.StatusCode, Header: resp.Header}
	if json.Unmarshal(b, e) != nil || e.Message == "" {
		e.Type, e.Message = resp.Status, string(b)
	}
	return e
}

// GetJSON decodes the JSON answer of a GET into v.
func (c *Client) GetJSON(ctx context.Context, path string, v any) error {
	resp, err := c.Do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// PostJSON posts body and decodes the JSON answer into v (nil: ignored).
func (c *Client) PostJSON(ctx context.Context, path string, query url.Values, body []byte, v any) error {
	resp, err := c.Do(ctx, http.MethodPost, path, query, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if v == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
