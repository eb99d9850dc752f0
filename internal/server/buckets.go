package server

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/stacklab/stacklab/internal/services/bucket"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// Buckets serves the bucket endpoints; a Platform that has buckets
// implements it.
type Buckets interface {
	Buckets() *bucket.Service
}

// BucketInfo is one bucket in the answer to GET /v1/buckets.
type BucketInfo struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Notifications int    `json:"notifications"`
}

// buckets serves
//
//	GET    /v1/buckets                          the buckets
//	GET    /v1/buckets/{bucket}?prefix=P        the objects, sorted by key
//	PUT    /v1/buckets/{bucket}/objects/{key}   the body, streamed; Content-Type and X-Amz-Meta-* headers kept;
//	                                            the answer's traceparent and X-Amzn-Trace-Id are the put's span
//	GET    /v1/buckets/{bucket}/objects/{key}   the content, streamed, with ETag, Content-Type, Last-Modified, X-Amz-Meta-*
//	HEAD   /v1/buckets/{bucket}/objects/{key}
//	DELETE /v1/buckets/{bucket}/objects/{key}   the answer's traceparent and X-Amzn-Trace-Id are the delete's span
func (c *Control) buckets(w http.ResponseWriter, r *http.Request, path string) {
	bp, ok := c.Platform.(Buckets)
	if !ok {
		writeError(w, http.StatusNotFound, "NotFound", "this platform runs no buckets")
		return
	}
	// The key is everything after /objects/, as sent (it may end in /).
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/v1/buckets"), "/")
	name, key, hasKey := strings.Cut(rest, "/objects/")
	name = strings.TrimSuffix(name, "/")
	if name == "" && r.Method == http.MethodGet {
		out := []BucketInfo{}
		for _, b := range bp.Buckets().Buckets() {
			out = append(out, BucketInfo{ID: b.ID, Name: b.Name, Notifications: len(b.Notifications)})
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	serveObjects(w, r, bp.Buckets(), name, key, hasKey)
}

// Objects serves a bucket service's objects in path style, for the
// gateway: the request's path, with what it is mounted under stripped, is
// /{bucket}/{key} for PUT, GET, HEAD and DELETE of an object, or /{bucket}
// (GET, ?prefix=P) for the list of objects, as JSON. A traced put or
// delete answers with its span's context in traceparent and X-Amzn-Trace-Id.
func Objects(bs *bucket.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, key, hasKey := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if hasKey && key == "" {
			hasKey = false
		}
		serveObjects(w, r, bs, name, key, hasKey)
	})
}

func serveObjects(w http.ResponseWriter, r *http.Request, bs *bucket.Service, name, key string, hasKey bool) {
	ctx := r.Context()
	if !trace.SpanContextFromContext(ctx).IsValid() {
		// The caller's trace (traceparent, or the X-Amzn-Trace-Id a
		// function's AWS SDK sends from _X_AMZN_TRACE_ID), so that its
		// puts and gets join it; a span already in ctx (a traced server
		// in front) is the parent instead.
		ctx = tracectx.Extract(ctx, tracectx.HTTP(r.Header))
	}
	fail := func(err error) {
		switch {
		case errors.Is(err, bucket.ErrNoBucket):
			writeError(w, http.StatusNotFound, "NoSuchBucket", err.Error())
		case errors.Is(err, bucket.ErrNoObject):
			writeError(w, http.StatusNotFound, "NoSuchKey", err.Error())
		case errors.Is(err, bucket.ErrNotNotified):
			writeError(w, http.StatusServiceUnavailable, "ServiceUnavailable", err.Error())
		case errors.Is(err, bucket.ErrTooLarge):
			writeError(w, http.StatusBadRequest, "EntityTooLarge", err.Error())
		case errors.Is(err, bucket.ErrInvalid):
			writeError(w, http.StatusBadRequest, "InvalidArgument", err.Error())
		default:
			writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
		}
	}
	switch {
	case !hasKey && r.Method == http.MethodGet:
		list, err := bs.List(ctx, name, r.URL.Query().Get("prefix"))
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, list)
	case !hasKey:
		writeError(w, http.StatusNotFound, "NotFound", r.Method+" "+r.URL.Path+" is not a bucket operation")
	case r.Method == http.MethodPut:
		in := bucket.PutInput{ContentType: r.Header.Get("Content-Type"), Size: r.ContentLength}
		for k, v := range r.Header {
			if m, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok && len(v) > 0 {
				if in.Metadata == nil {
					in.Metadata = map[string]string{}
				}
				in.Metadata[m] = v[0]
			}
		}
		obj, err := bs.Put(ctx, name, key, r.Body, in)
		if obj.Trace.IsValid() {
			// The put's span, for the client to find its trace by
			// ('stacklab trace ID') or continue it, as the gateway
			// answers an API's request.
			tracectx.Inject(trace.ContextWithSpanContext(ctx, obj.Trace), tracectx.HTTP(w.Header()))
		}
		if err != nil {
			fail(err)
			return
		}
		w.Header().Set("ETag", `"`+obj.ETag+`"`)
		writeJSON(w, http.StatusOK, obj)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		var body io.ReadCloser
		var obj bucket.Object
		var err error
		if r.Method == http.MethodGet {
			body, obj, err = bs.Get(ctx, name, key)
		} else {
			obj, err = bs.Head(ctx, name, key)
		}
		if err != nil {
			fail(err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", obj.ContentType)
		h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
		h.Set("ETag", `"`+obj.ETag+`"`)
		h.Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
		for k, v := range obj.Metadata {
			h.Set("X-Amz-Meta-"+k, v)
		}
		w.WriteHeader(http.StatusOK)
		if body != nil {
			defer body.Close()
			io.Copy(w, body)
		}
	case r.Method == http.MethodDelete:
		obj, err := bs.Delete(ctx, name, key)
		if obj.Trace.IsValid() {
			// The delete's span, whose trace holds what its
			// ObjectRemoved notifications cause, as a put's.
			tracectx.Inject(trace.ContextWithSpanContext(ctx, obj.Trace), tracectx.HTTP(w.Header()))
		}
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"deleted": true, "key": key, "time": time.Now().UTC()})
	default:
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not an object operation")
	}
}
