package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// rawSQS posts an SQS JSON request as an SDK in query-compatible mode
// does, and returns the answer's status, headers and body.
func rawSQS(t *testing.T, url, op, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AmazonSQS."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amzn-Query-Mode", "true")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// errorType is the __type of an error answer, without its namespace.
func errorType(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Type string `json:"__type"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error answer %q: %v", body, err)
	}
	_, code, _ := strings.Cut(e.Type, "#")
	return code
}

// SQS names its errors for query-compatible clients in X-Amzn-Query-Error;
// SDKs report that as the error code.
func TestSQSQueryErrorHeader(t *testing.T) {
	srv, _, _ := newServer(t)
	for _, c := range []struct {
		op, body, typ, header string
	}{
		{"GetQueueUrl", `{"QueueName":"nope"}`, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
		{"DeleteMessageBatch", `{"QueueUrl":"jobs","Entries":[]}`, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest;Sender"},
		{"DeleteMessageBatch", `{"QueueUrl":"jobs","Entries":[{"Id":"a.b","ReceiptHandle":"x"}]}`, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId;Sender"},
		{"DeleteMessage", `{"QueueUrl":"jobs","ReceiptHandle":"x"}`, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid;Sender"},
		{"SendMessage", `{"QueueUrl":"jobs","MessageBody":""}`, "InvalidParameterValue", "InvalidParameterValue;Sender"},
		{"DeleteQueue", `{"QueueUrl":"jobs"}`, "InvalidAction", "InvalidAction;Sender"},
	} {
		st, h, body := rawSQS(t, srv.URL, c.op, c.body)
		if st != http.StatusBadRequest || errorType(t, body) != c.typ || h.Get("X-Amzn-Query-Error") != c.header {
			t.Errorf("%s %s: %d %s, X-Amzn-Query-Error %q; want 400 %s, %s", c.op, c.body, st, body, h.Get("X-Amzn-Query-Error"), c.typ, c.header)
		}
	}
	// DynamoDB is not query-compatible.
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"TableName":"nope","Key":{}}`))
	req.Header.Set("X-Amz-Target", DynamoDBPrefix+"GetItem")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || res.Header.Get("X-Amzn-Query-Error") != "" {
		t.Errorf("DynamoDB error: %d, X-Amzn-Query-Error %q; want 400 without it", res.StatusCode, res.Header.Get("X-Amzn-Query-Error"))
	}
}

// Batch entry ids are 1 to 80 letters, digits, - and _, distinct.
func TestSQSBatchEntryIDs(t *testing.T) {
	srv, _, _ := newServer(t)
	ctx := context.Background()
	c := sqs.NewFromConfig(config(t, srv))
	url := aws.String(srv.URL + "/queues/jobs")
	for _, id := range []string{"", "a.b", "é", "a b", strings.Repeat("x", 81)} {
		_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: []sqstypes.SendMessageBatchRequestEntry{{Id: aws.String(id), MessageBody: aws.String("m")}}})
		var bad *sqstypes.InvalidBatchEntryId
		if code(err) != "AWS.SimpleQueueService.InvalidBatchEntryId" || !errors.As(err, &bad) {
			t.Errorf("SendMessageBatch with Id %q: %v (code %q), want InvalidBatchEntryId", id, err, code(err))
		}
		_, err = c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: []sqstypes.DeleteMessageBatchRequestEntry{{Id: aws.String(id), ReceiptHandle: aws.String("x")}}})
		if code(err) != "AWS.SimpleQueueService.InvalidBatchEntryId" {
			t.Errorf("DeleteMessageBatch with Id %q: %v (code %q), want InvalidBatchEntryId", id, err, code(err))
		}
		_, err = c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: url, Entries: []sqstypes.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String(id), ReceiptHandle: aws.String("x")}}})
		if code(err) != "AWS.SimpleQueueService.InvalidBatchEntryId" {
			t.Errorf("ChangeMessageVisibilityBatch with Id %q: %v (code %q), want InvalidBatchEntryId", id, err, code(err))
		}
	}
	long := strings.Repeat("a", 40) + "-_" + strings.Repeat("Z9", 19)
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String(long), MessageBody: aws.String("m")}, {Id: aws.String("B-2_c"), MessageBody: aws.String("n")}}})
	if err != nil || len(out.Successful) != 2 {
		t.Errorf("SendMessageBatch with Ids %q (80) and B-2_c: %v, %+v; want both sent", long, err, out)
	}
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("m")}, {Id: aws.String("a"), MessageBody: aws.String("n")}}})
	if code(err) != "AWS.SimpleQueueService.BatchEntryIdsNotDistinct" {
		t.Errorf("SendMessageBatch with Id a twice: %v (code %q), want BatchEntryIdsNotDistinct", err, code(err))
	}
}

// receiveOne receives the queue's one message.
func receiveOne(t *testing.T, c *sqs.Client, url *string, visibility int32) sqstypes.Message {
	t.Helper()
	got, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 2, VisibilityTimeout: visibility})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %v, %+v", err, got)
	}
	return got.Messages[0]
}

// A ChangeMessageVisibilityBatch entry's VisibilityTimeout is optional
// (0); ChangeMessageVisibility's is required.
func TestSQSChangeVisibilityBatchWithoutTimeout(t *testing.T) {
	srv, _, _ := newServer(t)
	ctx := context.Background()
	c := sqs.NewFromConfig(config(t, srv))
	url := aws.String(srv.URL + "/queues/jobs")
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	m := receiveOne(t, c, url, 3600)
	st, _, body := rawSQS(t, srv.URL, "ChangeMessageVisibility", `{"QueueUrl":"jobs","ReceiptHandle":"`+*m.ReceiptHandle+`"}`)
	if st != http.StatusBadRequest || errorType(t, body) != "MissingParameter" {
		t.Errorf("ChangeMessageVisibility without VisibilityTimeout: %d %s, want MissingParameter", st, body)
	}
	st, _, body = rawSQS(t, srv.URL, "ChangeMessageVisibilityBatch", `{"QueueUrl":"jobs","Entries":[{"Id":"a","ReceiptHandle":"`+*m.ReceiptHandle+`"}]}`)
	if st != http.StatusOK || !strings.Contains(body, `"Successful":[{"Id":"a"}]`) {
		t.Fatalf("ChangeMessageVisibilityBatch of an entry without VisibilityTimeout: %d %s, want it successful", st, body)
	}
	if again := receiveOne(t, c, url, 30); aws.ToString(again.MessageId) != aws.ToString(m.MessageId) {
		t.Errorf("after the batch made it visible: received %s, want %s", aws.ToString(again.MessageId), aws.ToString(m.MessageId))
	}
}

// VisibilityTimeout and DelaySeconds out of range are refused however
// large: a number whose nanoseconds overflow must not wrap into range.
func TestSQSTimesOutOfRange(t *testing.T) {
	srv, _, _ := newServer(t)
	ctx := context.Background()
	c := sqs.NewFromConfig(config(t, srv))
	url := aws.String(srv.URL + "/queues/jobs")
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	h := *receiveOne(t, c, url, 3600).ReceiptHandle
	for _, n := range []string{"-1", "43201", "18446744074", "9223372036854775807"} {
		for _, r := range []struct{ op, body, want string }{
			{"ChangeMessageVisibility", `{"QueueUrl":"jobs","ReceiptHandle":"` + h + `","VisibilityTimeout":` + n + `}`, "VisibilityTimeout must be 0 to 43200 seconds"},
			{"ReceiveMessage", `{"QueueUrl":"jobs","VisibilityTimeout":` + n + `}`, "VisibilityTimeout must be 0 to 43200 seconds"},
		} {
			st, _, body := rawSQS(t, srv.URL, r.op, r.body)
			if st != http.StatusBadRequest || errorType(t, body) != "InvalidParameterValue" || !strings.Contains(body, r.want) {
				t.Errorf("%s with %s: %d %s, want InvalidParameterValue %q", r.op, n, st, body, r.want)
			}
		}
		st, _, body := rawSQS(t, srv.URL, "ChangeMessageVisibilityBatch", `{"QueueUrl":"jobs","Entries":[{"Id":"a","ReceiptHandle":"`+h+`","VisibilityTimeout":`+n+`}]}`)
		if st != http.StatusOK || !strings.Contains(body, `"Code":"InvalidParameterValue"`) || !strings.Contains(body, "VisibilityTimeout must be 0 to 43200 seconds") {
			t.Errorf("ChangeMessageVisibilityBatch with %s: %d %s, want the entry failed with InvalidParameterValue", n, st, body)
		}
		st, _, body = rawSQS(t, srv.URL, "SendMessage", `{"QueueUrl":"jobs","MessageBody":"x","DelaySeconds":`+n+`}`)
		if st != http.StatusBadRequest || errorType(t, body) != "InvalidParameterValue" || !strings.Contains(body, "DelaySeconds must be 0 to 900") {
			t.Errorf("SendMessage with DelaySeconds %s: %d %s, want InvalidParameterValue naming DelaySeconds", n, st, body)
		}
	}
}

// GetQueueAttributes takes every attribute name SQS has, and answers
// those that apply.
func TestSQSQueueAttributeNames(t *testing.T) {
	srv, _, _ := newServer(t)
	ctx := context.Background()
	c := sqs.NewFromConfig(config(t, srv))
	url := aws.String(srv.URL + "/queues/jobs")
	names := sqstypes.QueueAttributeName("").Values()
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: names})
	if err != nil {
		t.Fatalf("GetQueueAttributes of every name: %v", err)
	}
	created, err := strconv.ParseInt(out.Attributes["CreatedTimestamp"], 10, 64)
	if err != nil || time.Since(time.Unix(created, 0)) > time.Hour || time.Until(time.Unix(created, 0)) > time.Minute {
		t.Errorf("CreatedTimestamp %q, want the deployment's time in seconds", out.Attributes["CreatedTimestamp"])
	}
	for k := range out.Attributes {
		if !slices.Contains(names, sqstypes.QueueAttributeName(k)) {
			t.Errorf("answered attribute %s, which SQS does not have", k)
		}
	}
	if out.Attributes["SqsManagedSseEnabled"] != "false" || out.Attributes["FifoQueue"] != "" {
		t.Errorf("attributes of a standard queue: %v", out.Attributes)
	}
}

// A receipt handle of an earlier receive (the message was received again
// since) neither deletes the message nor changes its visibility.
func TestSQSStaleReceiptHandle(t *testing.T) {
	srv, _, _ := newServer(t)
	ctx := context.Background()
	c := sqs.NewFromConfig(config(t, srv))
	url := aws.String(srv.URL + "/queues/jobs")
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	first := receiveOne(t, c, url, 1)
	var second sqstypes.Message
	deadline := time.Now().Add(10 * time.Second)
	for second.MessageId == nil {
		if time.Now().After(deadline) {
			t.Fatal("the message was not received again after its visibility timeout")
		}
		got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 1, VisibilityTimeout: 3600})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Messages) == 1 {
			second = got.Messages[0]
		}
	}
	_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0})
	if code(err) != "ReceiptHandleIsInvalid" || !strings.Contains(err.Error(), "expired") {
		t.Errorf("ChangeMessageVisibility by the stale handle: %v (code %q), want ReceiptHandleIsInvalid", err, code(err))
	}
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: first.ReceiptHandle})
	if code(err) != "ReceiptHandleIsInvalid" {
		t.Errorf("DeleteMessage by the stale handle: %v (code %q), want ReceiptHandleIsInvalid", err, code(err))
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" || attrs.Attributes["ApproximateNumberOfMessages"] != "0" {
		t.Errorf("after the stale handle's calls: %v, %v; want the message still in flight", err, attrs)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: second.ReceiptHandle}); err != nil {
		t.Errorf("DeleteMessage by the current handle: %v", err)
	}
}

// ChangeMessageVisibility by the latest handle of a message whose
// visibility timeout ran out is MessageNotInflight, as in SQS.
func TestSQSChangeVisibilityNotInflight(t *testing.T) {
	srv, _, _ := newServer(t)
	ctx := context.Background()
	c := sqs.NewFromConfig(config(t, srv))
	url := aws.String(srv.URL + "/queues/jobs")
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	m := receiveOne(t, c, url, 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessagesNotVisible"}})
		if err != nil {
			t.Fatal(err)
		}
		if attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the message's visibility timeout did not run out")
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 60})
	var notInflight *sqstypes.MessageNotInflight
	if code(err) != "AWS.SimpleQueueService.MessageNotInflight" || !errors.As(err, &notInflight) {
		t.Errorf("ChangeMessageVisibility after the timeout ran out: %v (code %q), want MessageNotInflight", err, code(err))
	}
	out, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: url, Entries: []sqstypes.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 60}}})
	if err != nil || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != "MessageNotInflight" {
		t.Errorf("ChangeMessageVisibilityBatch after the timeout ran out: %v, %+v; want entry a failed MessageNotInflight", err, out)
	}
	// Not hidden: received again at once.
	if again := receiveOne(t, c, url, 30); aws.ToString(again.MessageId) != aws.ToString(m.MessageId) {
		t.Errorf("received %s, want %s again", aws.ToString(again.MessageId), aws.ToString(m.MessageId))
	}
}
