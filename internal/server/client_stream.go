package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Stream sends a request whose body is read as it goes (nil: none), with
// extra headers, and returns the response, or an *APIError for an error
// status. The caller closes the body.
func (c *Client) Stream(ctx context.Context, method, path string, query url.Values, header http.Header, body io.Reader) (*http.Response, error) {
	u := c.Base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling the control API at %s: %w", c.Base, err)
	}
	if resp.StatusCode >= 400 {
		return nil, apiError(resp)
	}
	return resp, nil
}
