package awsapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stacklab/stacklab/internal/services/queue"
)

const sqsNamespace = "com.amazonaws.sqs"

// sqsOps are the SQS operations served.
var sqsOps = []string{"SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
	"ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "GetQueueUrl", "GetQueueAttributes", "PurgeQueue"}

// sqsError maps an error of the queue service to the SQS error a client
// expects.
func sqsError(err error) error {
	switch {
	case errors.Is(err, queue.ErrNoQueue):
		return &apiError{http.StatusBadRequest, sqsNamespace, "QueueDoesNotExist", err.Error()}
	case errors.Is(err, queue.ErrNotInflight):
		return &apiError{http.StatusBadRequest, sqsNamespace, "MessageNotInflight", err.Error()}
	case errors.Is(err, queue.ErrReceiptHandle):
		return &apiError{http.StatusBadRequest, sqsNamespace, "ReceiptHandleIsInvalid", err.Error()}
	case errors.Is(err, queue.ErrInvalid):
		return &apiError{http.StatusBadRequest, sqsNamespace, "InvalidParameterValue", err.Error()}
	}
	return err
}

// sqsQueryCodes are the codes SQS's query protocol gives the errors that
// the JSON protocol names otherwise. SQS answers a JSON request's error
// with the query code in the X-Amzn-Query-Error header ("<code>;Sender"),
// and AWS SDKs report that as the error's code (the Go SDK's ErrorCode of
// a QueueDoesNotExist is AWS.SimpleQueueService.NonExistentQueue).
var sqsQueryCodes = map[string]string{
	"QueueDoesNotExist":            "AWS.SimpleQueueService.NonExistentQueue",
	"BatchEntryIdsNotDistinct":     "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
	"BatchRequestTooLong":          "AWS.SimpleQueueService.BatchRequestTooLong",
	"EmptyBatchRequest":            "AWS.SimpleQueueService.EmptyBatchRequest",
	"InvalidBatchEntryId":          "AWS.SimpleQueueService.InvalidBatchEntryId",
	"MessageNotInflight":           "AWS.SimpleQueueService.MessageNotInflight",
	"PurgeQueueInProgress":         "AWS.SimpleQueueService.PurgeQueueInProgress",
	"TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
	"UnsupportedOperation":         "AWS.SimpleQueueService.UnsupportedOperation",
}

// sqsQueryError is the X-Amzn-Query-Error header of an SQS error.
func sqsQueryError(code string, status int) string {
	if q, ok := sqsQueryCodes[code]; ok {
		code = q
	}
	if status >= 500 {
		return code + ";Receiver"
	}
	return code + ";Sender"
}

func sqsInvalid(msg string) error {
	return &apiError{http.StatusBadRequest, sqsNamespace, "InvalidParameterValue", msg}
}

// sqsAttribute is a message attribute as SQS JSON carries it.
type sqsAttribute struct {
	DataType    string
	StringValue string `json:",omitempty"`
	BinaryValue []byte `json:",omitempty"`
}

// sqsMessage is the part of SendMessage and a SendMessageBatch entry that
// makes the message.
type sqsMessage struct {
	MessageBody             string
	DelaySeconds            *int
	MessageGroupId          string
	MessageDeduplicationId  string
	MessageAttributes       map[string]sqsAttribute
	MessageSystemAttributes map[string]sqsAttribute
}

func (m sqsMessage) input() queue.SendInput {
	return queue.SendInput{Body: m.MessageBody, DelaySeconds: m.DelaySeconds, GroupID: m.MessageGroupId, DeduplicationID: m.MessageDeduplicationId,
		MessageAttributes: attributes(m.MessageAttributes), MessageSystemAttributes: attributes(m.MessageSystemAttributes)}
}

// attributes are message attributes as the queue service takes them; nil
// for none.
func attributes(in map[string]sqsAttribute) map[string]queue.Attribute {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]queue.Attribute, len(in))
	for k, a := range in {
		out[k] = queue.Attribute{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
	}
	return out
}

type sendMessageInput struct {
	QueueUrl string
	sqsMessage
}

type sendMessageOutput struct {
	MessageId                    string
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `json:",omitempty"`
	MD5OfMessageSystemAttributes string `json:",omitempty"`
	SequenceNumber               string `json:",omitempty"`
}

type sendBatchInput struct {
	QueueUrl string
	Entries  []struct {
		Id string
		sqsMessage
	}
}

type sendBatchResult struct {
	Id                           string
	MessageId                    string
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `json:",omitempty"`
	MD5OfMessageSystemAttributes string `json:",omitempty"`
	SequenceNumber               string `json:",omitempty"`
}

type sendBatchFailure struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string
}

type sendBatchOutput struct {
	Successful []sendBatchResult
	Failed     []sendBatchFailure
}

// maxBatch is the most entries a SendMessageBatch takes, as in SQS.
const maxBatch = 10

// sqs runs one SQS operation.
func (h *Handler) sqs(r *http.Request, op string) (any, error) {
	if h.Queues == nil {
		return nil, &apiError{http.StatusBadRequest, sqsNamespace, "InvalidAction", "this endpoint serves no queues"}
	}
	ctx := r.Context()
	switch op {
	case "SendMessage":
		var in sendMessageInput
		if err := decode(r, &in, sqsInvalid); err != nil {
			return nil, err
		}
		if in.QueueUrl == "" {
			return nil, sqsInvalid("SendMessage: QueueUrl is required")
		}
		h.queueResource(ctx, in.QueueUrl)
		msg := in.input()
		out, err := h.Queues.Send(ctx, in.QueueUrl, msg)
		if err != nil {
			return nil, sqsError(err)
		}
		return sendMessageOutput{MessageId: out.MessageID, MD5OfMessageBody: out.MD5OfBody, SequenceNumber: out.SequenceNumber,
			MD5OfMessageAttributes:       queue.AttributesMD5(msg.MessageAttributes),
			MD5OfMessageSystemAttributes: queue.AttributesMD5(msg.MessageSystemAttributes)}, nil
	case "SendMessageBatch":
		var in sendBatchInput
		if err := decode(r, &in, sqsInvalid); err != nil {
			return nil, err
		}
		if in.QueueUrl == "" {
			return nil, sqsInvalid("SendMessageBatch: QueueUrl is required")
		}
		h.queueResource(ctx, in.QueueUrl)
		if err := checkEntries("SendMessageBatch", len(in.Entries), func(i int) string { return in.Entries[i].Id }); err != nil {
			return nil, err
		}
		inputs := make([]queue.SendInput, len(in.Entries))
		for i, e := range in.Entries {
			inputs[i] = e.input()
		}
		// One publish of the whole batch; each entry succeeds or fails alone.
		results, err := h.Queues.SendBatch(ctx, in.QueueUrl, inputs)
		if errors.Is(err, queue.ErrInvalid) {
			return nil, &apiError{http.StatusBadRequest, sqsNamespace, "BatchRequestTooLong", err.Error()}
		}
		if err != nil {
			return nil, sqsError(err)
		}
		out := sendBatchOutput{Successful: []sendBatchResult{}, Failed: []sendBatchFailure{}}
		for i, e := range in.Entries {
			res := results[i]
			if res.Err != nil {
				ae, ok := sqsError(res.Err).(*apiError)
				f := sendBatchFailure{Id: e.Id, Code: "InternalError", Message: res.Err.Error()}
				if ok {
					f.Code, f.SenderFault = ae.code, true
				}
				out.Failed = append(out.Failed, f)
				continue
			}
			out.Successful = append(out.Successful, sendBatchResult{Id: e.Id, MessageId: res.MessageID, MD5OfMessageBody: res.MD5OfBody,
				MD5OfMessageAttributes: queue.AttributesMD5(inputs[i].MessageAttributes), MD5OfMessageSystemAttributes: queue.AttributesMD5(inputs[i].MessageSystemAttributes),
				SequenceNumber: res.SequenceNumber})
		}
		return out, nil
	case "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "GetQueueAttributes", "PurgeQueue":
		return h.sqsReceiving(r, op)
	case "GetQueueUrl":
		var in struct{ QueueName string }
		if err := decode(r, &in, sqsInvalid); err != nil {
			return nil, err
		}
		cfg, ok := h.Queues.Lookup(in.QueueName)
		if !ok {
			return nil, sqsError(fmt.Errorf("%w: %q", queue.ErrNoQueue, in.QueueName))
		}
		name := cfg.Name
		if name == "" {
			name = cfg.ID
		}
		return map[string]string{"QueueUrl": "http://" + r.Host + "/queues/" + name}, nil
	}
	return nil, &apiError{http.StatusBadRequest, sqsNamespace, "InvalidAction",
		fmt.Sprintf("SQS %s is not served by stacklab; it serves %s (queues are made by deploying a template)", op, strings.Join(sqsOps, ", "))}
}
