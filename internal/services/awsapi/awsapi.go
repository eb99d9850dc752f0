package awsapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/services/table"
	"github.com/stacklab/stacklab/internal/telemetry"
)

// Target prefixes of the AWS JSON protocol's X-Amz-Target header.
const (
	SQSPrefix      = "AmazonSQS."
	DynamoDBPrefix = "DynamoDB_20120810."
)

// maxBody bounds a request body: a SendMessageBatch is at most 256 KB of
// messages, a DynamoDB BatchWriteItem 16 MB; no operation served here
// needs more than a few MB.
const maxBody = 8 << 20

// Handler answers AWS JSON 1.0 requests for SQS and DynamoDB. A nil
// Queues or Tables answers that service's operations with an error.
type Handler struct {
	Queues *queue.Service
	Tables *table.Service
	Events EventPutter  // nil: no EventBridge
	Logger *slog.Logger // nil: discard
	// Telemetry traces the calls (see trace.go); nil traces nothing, but
	// the caller's trace context still reaches the services.
	Telemetry *telemetry.Telemetry
}

var _ http.Handler = (*Handler)(nil)

// Is reports whether a request is for this handler: a POST with an
// X-Amz-Target header naming an SQS or DynamoDB operation.
func Is(r *http.Request) bool {
	t := r.Header.Get("X-Amz-Target")
	return r.Method == http.MethodPost && (strings.HasPrefix(t, SQSPrefix) || strings.HasPrefix(t, DynamoDBPrefix) || strings.HasPrefix(t, EventsPrefix))
}

// apiError is an error as the AWS JSON protocol sends it.
type apiError struct {
	status    int
	namespace string // com.amazonaws.sqs, com.amazonaws.dynamodb.v20120810
	code      string
	message   string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func (e *apiError) write(w http.ResponseWriter) {
	w.Header().Set("X-Amzn-ErrorType", e.code)
	if e.namespace == sqsNamespace {
		w.Header().Set("X-Amzn-Query-Error", sqsQueryError(e.code, e.status))
	}
	writeJSON(w, e.status, map[string]string{"__type": e.namespace + "#" + e.code, "message": e.message})
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	log := h.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var (
		out  any
		err  error
		span telemetry.Span
	)
	ctx := traced(r)
	switch {
	case r.Method != http.MethodPost:
		err = &apiError{http.StatusMethodNotAllowed, "com.amazonaws", "MethodNotAllowed", "AWS JSON protocol requests are POSTs"}
	case strings.HasPrefix(target, SQSPrefix):
		op := strings.TrimPrefix(target, SQSPrefix)
		ctx, span = h.callSpan(ctx, "SQS", op)
		out, err = h.sqs(r.WithContext(ctx), op)
	case strings.HasPrefix(target, DynamoDBPrefix):
		op := strings.TrimPrefix(target, DynamoDBPrefix)
		ctx, span = h.callSpan(ctx, "DynamoDB", op)
		out, err = h.dynamodb(r.WithContext(ctx), op)
	case strings.HasPrefix(target, EventsPrefix):
		out, err = h.eventBridge(r.WithContext(ctx), strings.TrimPrefix(target, EventsPrefix))
	default:
		err = &apiError{http.StatusBadRequest, "com.amazonaws", "UnknownOperationException",
			fmt.Sprintf("X-Amz-Target %q is not served: stacklab serves %s*, %s* and %s* operations", target, SQSPrefix, DynamoDBPrefix, EventsPrefix)}
	}
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{http.StatusInternalServerError, "com.amazonaws", "InternalFailure", err.Error()}
		}
		log.Info("awsapi: request failed", "target", target, "err", ae.Error())
		span.Fail(ae.code, ae.message)
		span.End()
		ae.write(w)
		return
	}
	span.End()
	writeJSON(w, http.StatusOK, out)
}

// writeJSON writes a response body with the X-Amz-Crc32 header DynamoDB
// sends and its SDKs check (a missing one is logged by every client as a
// checksum mismatch).
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(map[string]string{"__type": "com.amazonaws#InternalFailure", "message": err.Error()})
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// decode reads a request body into v.
func decode(r *http.Request, v any, bad func(string) error) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return bad("reading the request body: " + err.Error())
	}
	if len(body) > maxBody {
		return bad(fmt.Sprintf("the request body is larger than %d bytes", maxBody))
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return bad("the request body is not the operation's JSON: " + err.Error())
	}
	return nil
}
