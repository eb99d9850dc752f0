package awsapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/services/queue"
)

// The SQS operations of a consumer: receiving, deleting, changing a
// message's visibility, and the queue's attributes. A function that polls
// a queue itself with an AWS SDK (instead of an event source mapping) uses
// these.

type receiveInput struct {
	QueueUrl                    string
	MaxNumberOfMessages         *int
	WaitTimeSeconds             *int
	VisibilityTimeout           *int
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
	ReceiveRequestAttemptId     string
}

type receivedMessage struct {
	MessageId              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             map[string]string       `json:",omitempty"`
	MD5OfMessageAttributes string                  `json:",omitempty"`
	MessageAttributes      map[string]sqsAttribute `json:",omitempty"`
}

type batchEntryError struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string
}

type batchOutput struct {
	Successful []map[string]string
	Failed     []batchEntryError
}

// handleEntry is an entry of DeleteMessageBatch and
// ChangeMessageVisibilityBatch.
type handleEntry struct {
	Id                string
	ReceiptHandle     string
	VisibilityTimeout *int
}

// queueAttributeNames are the attribute names GetQueueAttributes takes,
// all of SQS's. A queue answers those that apply to it (see
// queueAttributes): none of it has a Policy, KMS key or redrive allow
// policy, and stacklab does not know when a queue was last modified.
var queueAttributeNames = []string{"All", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
	"ApproximateNumberOfMessagesNotVisible", "ContentBasedDeduplication", "CreatedTimestamp", "DeduplicationScope",
	"DelaySeconds", "FifoQueue", "FifoThroughputLimit", "KmsDataKeyReusePeriodSeconds", "KmsMasterKeyId",
	"LastModifiedTimestamp", "MaximumMessageSize", "MessageRetentionPeriod", "Policy", "QueueArn",
	"ReceiveMessageWaitTimeSeconds", "RedriveAllowPolicy", "RedrivePolicy", "SqsManagedSseEnabled", "VisibilityTimeout"}

func (h *Handler) sqsReceiving(r *http.Request, op string) (any, error) {
	ctx := r.Context()
	switch op {
	case "ReceiveMessage":
		var in receiveInput
		if err := decode(r, &in, sqsInvalid); err != nil {
			return nil, err
		}
		cfg, err := h.sqsQueue(r, op, in.QueueUrl)
		if err != nil {
			return nil, err
		}
		maxN, wait := 1, cfg.ReceiveWait
		if n := in.MaxNumberOfMessages; n != nil {
			if *n < 1 || *n > 10 {
				return nil, sqsInvalid(fmt.Sprintf("ReceiveMessage: MaxNumberOfMessages must be 1 to 10, not %d", *n))
			}
			maxN = *n
		}
		if s := in.WaitTimeSeconds; s != nil {
			if *s < 0 || *s > 20 {
				return nil, sqsInvalid(fmt.Sprintf("ReceiveMessage: WaitTimeSeconds must be 0 to 20, not %d", *s))
			}
			wait = time.Duration(*s) * time.Second
		}
		if v := in.VisibilityTimeout; v != nil && (*v < 0 || *v > maxVisibilitySeconds) {
			return nil, sqsInvalid(fmt.Sprintf("ReceiveMessage: VisibilityTimeout must be 0 to %d seconds, not %d", maxVisibilitySeconds, *v))
		}
		msgs, err := h.Queues.Receive(ctx, in.QueueUrl, maxN, wait)
		if err != nil {
			return nil, sqsError(err)
		}
		out := struct {
			Messages []receivedMessage `json:",omitempty"`
		}{}
		system := append(in.AttributeNames, in.MessageSystemAttributeNames...)
		for _, m := range msgs {
			if v := in.VisibilityTimeout; v != nil && time.Duration(*v)*time.Second != cfg.VisibilityTimeout {
				if err := h.Queues.ChangeVisibility(ctx, in.QueueUrl, m.ReceiptHandle, time.Duration(*v)*time.Second); err != nil {
					return nil, sqsError(err)
				}
			}
			rm := receivedMessage{MessageId: m.MessageID, ReceiptHandle: m.ReceiptHandle, MD5OfBody: m.MD5OfBody, Body: m.Body}
			for k, v := range m.Attributes {
				if wanted(system, k, false) {
					if rm.Attributes == nil {
						rm.Attributes = map[string]string{}
					}
					rm.Attributes[k] = v
				}
			}
			picked := map[string]queue.Attribute{}
			for k, a := range m.MessageAttributes {
				if wanted(in.MessageAttributeNames, k, true) {
					picked[k] = a
					if rm.MessageAttributes == nil {
						rm.MessageAttributes = map[string]sqsAttribute{}
					}
					rm.MessageAttributes[k] = sqsAttribute{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
				}
			}
			rm.MD5OfMessageAttributes = queue.AttributesMD5(picked)
			out.Messages = append(out.Messages, rm)
		}
		return out, nil
	case "DeleteMessage", "ChangeMessageVisibility":
		var in struct {
			QueueUrl          string
			ReceiptHandle     string
			VisibilityTimeout *int
		}
		if err := decode(r, &in, sqsInvalid); err != nil {
			return nil, err
		}
		if _, err := h.sqsQueue(r, op, in.QueueUrl); err != nil {
			return nil, err
		}
		if in.ReceiptHandle == "" {
			return nil, &apiError{http.StatusBadRequest, sqsNamespace, "MissingParameter", op + ": ReceiptHandle is required"}
		}
		if err := h.settleOne(r, op, in.QueueUrl, handleEntry{ReceiptHandle: in.ReceiptHandle, VisibilityTimeout: in.VisibilityTimeout}); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	case "DeleteMessageBatch", "ChangeMessageVisibilityBatch":
		var in struct {
			QueueUrl string
			Entries  []handleEntry
		}
		if err := decode(r, &in, sqsInvalid); err != nil {
			return nil, err
		}
		if _, err := h.sqsQueue(r, op, in.QueueUrl); err != nil {
			return nil, err
		}
		if err := checkEntries(op, len(in.Entries), func(i int) string { return in.Entries[i].Id }); err != nil {
			return nil, err
		}
		single := strings.TrimSuffix(op, "Batch")
		out := batchOutput{Successful: []map[string]string{}, Failed: []batchEntryError{}}
		for _, e := range in.Entries {
			if single == "ChangeMessageVisibility" && e.VisibilityTimeout == nil {
				// Optional in a batch entry (unlike ChangeMessageVisibility's):
				// SDKs leave a 0 out.
				e.VisibilityTimeout = new(int)
			}
			if err := h.settleOne(r, single, in.QueueUrl, e); err != nil {
				f := batchEntryError{Id: e.Id, Code: "InternalError", Message: err.Error()}
				if ae, ok := err.(*apiError); ok {
					f.Code, f.Message, f.SenderFault = ae.code, ae.message, ae.status < 500
				}
				out.Failed = append(out.Failed, f)
				continue
			}
			out.Successful = append(out.Successful, map[string]string{"Id": e.Id})
		}
		return out, nil
	case "GetQueueAttributes":
		var in struct {
			QueueUrl       string
			AttributeNames []string
		}
		if err := decode(r, &in, sqsInvalid); err != nil {
			return nil, err
		}
		cfg, err := h.sqsQueue(r, op, in.QueueUrl)
		if err != nil {
			return nil, err
		}
		for _, n := range in.AttributeNames {
			if !slices.Contains(queueAttributeNames, n) {
				return nil, &apiError{http.StatusBadRequest, sqsNamespace, "InvalidAttributeName",
					fmt.Sprintf("GetQueueAttributes: unknown attribute %q; the attribute names are %s", n, strings.Join(queueAttributeNames, ", "))}
			}
		}
		all, err := h.queueAttributes(r, cfg)
		if err != nil {
			return nil, err
		}
		attrs := map[string]string{}
		for k, v := range all {
			if wanted(in.AttributeNames, k, false) {
				attrs[k] = v
			}
		}
		return map[string]any{"Attributes": attrs}, nil
	case "PurgeQueue":
		var in struct{ QueueUrl string }
		if err := decode(r, &in, sqsInvalid); err != nil {
			return nil, err
		}
		if _, err := h.sqsQueue(r, op, in.QueueUrl); err != nil {
			return nil, err
		}
		if err := h.Queues.Purge(ctx, in.QueueUrl); err != nil {
			return nil, sqsError(err)
		}
		return struct{}{}, nil
	}
	return nil, fmt.Errorf("sqsReceiving: %s is not one of its operations", op)
}

// sqsQueue checks a call's QueueUrl and names the queue on its span.
func (h *Handler) sqsQueue(r *http.Request, op, url string) (queue.Config, error) {
	if url == "" {
		return queue.Config{}, &apiError{http.StatusBadRequest, sqsNamespace, "MissingParameter", op + ": QueueUrl is required"}
	}
	cfg, ok := h.Queues.Lookup(url)
	if !ok {
		return cfg, sqsError(fmt.Errorf("%w: %q", queue.ErrNoQueue, url))
	}
	h.queueResource(r.Context(), url)
	return cfg, nil
}

// settleOne deletes a message (DeleteMessage) or changes its visibility
// (ChangeMessageVisibility).
func (h *Handler) settleOne(r *http.Request, op, url string, e handleEntry) error {
	if e.ReceiptHandle == "" {
		return &apiError{http.StatusBadRequest, sqsNamespace, "MissingParameter", op + ": ReceiptHandle is required"}
	}
	var err error
	if op == "DeleteMessage" {
		err = h.Queues.Delete(r.Context(), url, e.ReceiptHandle)
	} else {
		if e.VisibilityTimeout == nil {
			return &apiError{http.StatusBadRequest, sqsNamespace, "MissingParameter", op + ": VisibilityTimeout is required (seconds, 0 to 43200)"}
		}
		// Checked before it becomes a duration, which a huge number would
		// overflow into range.
		if v := *e.VisibilityTimeout; v < 0 || v > maxVisibilitySeconds {
			return sqsInvalid(fmt.Sprintf("%s: VisibilityTimeout must be 0 to %d seconds, not %d", op, maxVisibilitySeconds, v))
		}
		err = h.Queues.ChangeVisibility(r.Context(), url, e.ReceiptHandle, time.Duration(*e.VisibilityTimeout)*time.Second)
	}
	if err != nil {
		return sqsError(err)
	}
	return nil
}

// maxVisibilitySeconds is the longest VisibilityTimeout, 12 hours.
const maxVisibilitySeconds = int(queue.MaxVisibilityTimeout / time.Second)

// maxEntryID is the longest batch entry id.
const maxEntryID = 80

// checkEntries checks a batch's entries as SQS does: 1 to 10, with
// distinct ids of 1 to 80 letters, digits, - and _.
func checkEntries(op string, n int, id func(int) string) error {
	if n == 0 {
		return &apiError{http.StatusBadRequest, sqsNamespace, "EmptyBatchRequest", op + ": no Entries"}
	}
	if n > maxBatch {
		return &apiError{http.StatusBadRequest, sqsNamespace, "TooManyEntriesInBatchRequest", fmt.Sprintf("%s: %d entries; at most %d", op, n, maxBatch)}
	}
	seen := map[string]bool{}
	for i := range n {
		if !entryID(id(i)) {
			return &apiError{http.StatusBadRequest, sqsNamespace, "InvalidBatchEntryId",
				fmt.Sprintf("%s: entry %d has Id %q; an Id is 1 to %d letters, digits, hyphens and underscores", op, i+1, short(id(i)), maxEntryID)}
		}
		if seen[id(i)] {
			return &apiError{http.StatusBadRequest, sqsNamespace, "BatchEntryIdsNotDistinct", fmt.Sprintf("%s: entry id %q is used twice", op, id(i))}
		}
		seen[id(i)] = true
	}
	return nil
}

// queueAttributes are all of a queue's attributes that apply to it.
func (h *Handler) queueAttributes(r *http.Request, cfg queue.Config) (map[string]string, error) {
	st, err := h.Queues.Stats(r.Context(), cfg.ID)
	if err != nil {
		return nil, sqsError(err)
	}
	secs := func(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
	out := map[string]string{
		"ApproximateNumberOfMessages":           strconv.Itoa(st.Visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(st.InFlight),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(st.Delayed),
		"DelaySeconds":                          secs(cfg.Delay),
		"MaximumMessageSize":                    strconv.Itoa(queue.MaxMessageSize),
		"MessageRetentionPeriod":                secs(cfg.Retention),
		"QueueArn":                              st.ARN,
		"ReceiveMessageWaitTimeSeconds":         secs(cfg.ReceiveWait),
		"VisibilityTimeout":                     secs(cfg.VisibilityTimeout),
		"SqsManagedSseEnabled":                  "false",
	}
	if !st.Created.IsZero() {
		out["CreatedTimestamp"] = strconv.FormatInt(st.Created.Unix(), 10)
	}
	if cfg.Fifo {
		out["FifoQueue"] = "true"
		out["ContentBasedDeduplication"] = strconv.FormatBool(cfg.ContentBasedDedup)
		// Deduplication is over the whole queue, and so is the one
		// message in flight at a time (see the queue package).
		out["DeduplicationScope"] = "queue"
		out["FifoThroughputLimit"] = "perQueue"
	}
	if st.DeadLetter != "" {
		if dlq, ok := h.Queues.Lookup(st.DeadLetter); ok {
			policy, _ := json.Marshal(map[string]any{"deadLetterTargetArn": h.Queues.ARN(dlq), "maxReceiveCount": cfg.MaxReceiveCount})
			out["RedrivePolicy"] = string(policy)
		}
	}
	return out, nil
}

// wanted reports whether an attribute is among those asked for: "All"
// (and, for message attributes, ".*") asks for all, and a message
// attribute name ending in ".*" for those it begins.
func wanted(names []string, name string, message bool) bool {
	for _, n := range names {
		switch {
		case n == "All" || n == name:
			return true
		case message && n == ".*":
			return true
		case message && strings.HasSuffix(n, ".*") && strings.HasPrefix(name, strings.TrimSuffix(n, "*")):
			return true
		}
	}
	return false
}

// entryID reports whether id is a valid batch entry id.
func entryID(id string) bool {
	if id == "" || len(id) > maxEntryID {
		return false
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// short cuts a long value for an error message.
func short(s string) string {
	if len(s) > 90 {
		return s[:87] + "..."
	}
	return s
}
