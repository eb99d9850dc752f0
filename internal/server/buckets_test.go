package server

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/runtime"
	"github.com/stacklab/stacklab/internal/services/bucket"
)

// bucketPlatform is a bare runtime with a bucket service.
type bucketPlatform struct {
	platformOf
	bs *bucket.Service
}

func (p bucketPlatform) Buckets() *bucket.Service { return p.bs }

// TestBucketEndpoints puts, heads, gets, lists and deletes an object
// through the control API, headers and errors included.
func TestBucketEndpoints(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Start(ctx, bus.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bs := bucket.New(b.JetStream(), bucket.Options{})
	defer bs.Close()
	if err := bs.Apply(ctx, []bucket.Config{{ID: "Files", Name: "files"}}); err != nil {
		t.Fatal(err)
	}
	rt := runtime.New(runtime.Options{})
	defer rt.Close()
	srv := httptest.NewServer(&Control{Token: "t", Platform: bucketPlatform{platformOf{rt}, bs}})
	defer srv.Close()
	c := &Client{Base: srv.URL, Token: "t"}
	key := "dir/a b?.txt"
	path := "/v1/buckets/files/objects/" + url.PathEscape(key)

	resp, err := c.Stream(ctx, http.MethodPut, path, nil, http.Header{"Content-Type": {"text/plain"}, "X-Amz-Meta-Owner": {"me"}}, strings.NewReader("content"))
	if err != nil {
		t.Fatal(err)
	}
	var obj bucket.Object
	json.NewDecoder(resp.Body).Decode(&obj)
	resp.Body.Close()
	sum := md5.Sum([]byte("content"))
	etag := hex.EncodeToString(sum[:])
	if obj.Key != key || obj.ETag != etag || resp.Header.Get("ETag") != `"`+etag+`"` {
		t.Errorf("put: %+v, ETag header %s", obj, resp.Header.Get("ETag"))
	}
	for _, m := range []string{http.MethodHead, http.MethodGet} {
		resp, err := c.Stream(ctx, m, path, nil, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h := resp.Header
		if h.Get("Content-Type") != "text/plain" || h.Get("Content-Length") != "7" || h.Get("ETag") != `"`+etag+`"` ||
			h.Get("X-Amz-Meta-Owner") != "me" || h.Get("Last-Modified") == "" {
			t.Errorf("%s headers: %v", m, h)
		}
		if m == http.MethodGet && string(body) != "content" {
			t.Errorf("get body %q", body)
		}
	}
	var list []bucket.Object
	if err := c.GetJSON(ctx, "/v1/buckets/Files?prefix=dir/", &list); err != nil || len(list) != 1 || list[0].Key != key {
		t.Errorf("list: %+v %v", list, err)
	}
	var all []BucketInfo
	if err := c.GetJSON(ctx, "/v1/buckets", &all); err != nil || len(all) != 1 || all[0].Name != "files" {
		t.Errorf("buckets: %+v %v", all, err)
	}
	if resp, err := c.Stream(ctx, http.MethodDelete, path, nil, nil, nil); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	for _, e := range []struct {
		method, path string
		status       int
		typ          string
	}{
		{http.MethodGet, path, 404, "NoSuchKey"},
		{http.MethodDelete, path, 404, "NoSuchKey"},
		{http.MethodGet, "/v1/buckets/nope", 404, "NoSuchBucket"},
		{http.MethodPut, "/v1/buckets/nope/objects/k", 404, "NoSuchBucket"},
		{http.MethodPost, "/v1/buckets/files/objects/k", 405, "MethodNotAllowed"},
	} {
		_, err := c.Stream(ctx, e.method, e.path, nil, nil, strings.NewReader(""))
		ae, ok := err.(*APIError)
		if !ok || ae.Status != e.status || ae.Type != e.typ {
			t.Errorf("%s %s: %v, want %d %s", e.method, e.path, err, e.status, e.typ)
		}
	}
}
