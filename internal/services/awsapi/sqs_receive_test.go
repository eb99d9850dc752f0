package awsapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/stacklab/stacklab/internal/services/queue"
)

// A consumer that polls a queue itself with the AWS SDK: receive with
// attributes, change a message's visibility (back at once, and later),
// delete one by one and in a batch, read the queue's attributes, purge.
func TestSQSConsumerWithTheAWSSDK(t *testing.T) {
	srv, qs, _ := newServer(t)
	ctx := context.Background()
	if err := qs.Apply(ctx, []queue.Config{
		{ID: "Jobs", Name: "jobs", VisibilityTimeout: 30 * time.Second, ReceiveWait: 2 * time.Second, MaxReceiveCount: 5, DeadLetter: "Dead"},
		{ID: "Dead", Name: "dead", VisibilityTimeout: 30 * time.Second},
	}); err != nil {
		t.Fatal(err)
	}
	c := sqs.NewFromConfig(config(t, srv))
	url := aws.String(srv.URL + "/queues/jobs")
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("one"),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"kind":     {DataType: aws.String("String"), StringValue: aws.String("first")},
			"meta.n":   {DataType: aws.String("Number"), StringValue: aws.String("7")},
			"meta.raw": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if want := queue.AttributesMD5(map[string]queue.Attribute{
		"kind": {DataType: "String", StringValue: "first"}, "meta.n": {DataType: "Number", StringValue: "7"},
		"meta.raw": {DataType: "Binary", BinaryValue: []byte{0, 1, 2}},
	}); aws.ToString(sent.MD5OfMessageAttributes) != want {
		t.Errorf("SendMessage: MD5OfMessageAttributes %q, want %q", aws.ToString(sent.MD5OfMessageAttributes), want)
	}
	for _, b := range []string{"two", "three"} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}

	// Receive all three, with the system attributes and the meta.*
	// message attributes.
	got := map[string]sqstypes.Message{}
	for len(got) < 3 {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"}, MessageAttributeNames: []string{"meta.*"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			t.Fatalf("ReceiveMessage: nothing after %d of 3 messages", len(got))
		}
		for _, m := range out.Messages {
			got[aws.ToString(m.Body)] = m
		}
	}
	one := got["one"]
	if aws.ToString(one.MessageId) != aws.ToString(sent.MessageId) || one.Attributes["ApproximateReceiveCount"] != "1" || one.Attributes["SentTimestamp"] == "" {
		t.Errorf("message one: id %s, attributes %v; want id %s, ApproximateReceiveCount 1 and SentTimestamp", aws.ToString(one.MessageId), one.Attributes, aws.ToString(sent.MessageId))
	}
	if len(one.MessageAttributes) != 2 || aws.ToString(one.MessageAttributes["meta.n"].StringValue) != "7" || string(one.MessageAttributes["meta.raw"].BinaryValue) != "\x00\x01\x02" {
		t.Errorf("message one: message attributes %v, want meta.n and meta.raw only", one.MessageAttributes)
	}
	if want := queue.AttributesMD5(map[string]queue.Attribute{"meta.n": {DataType: "Number", StringValue: "7"}, "meta.raw": {DataType: "Binary", BinaryValue: []byte{0, 1, 2}}}); aws.ToString(one.MD5OfMessageAttributes) != want {
		t.Errorf("message one: MD5OfMessageAttributes %q, want %q (of the attributes answered)", aws.ToString(one.MD5OfMessageAttributes), want)
	}
	attrs := func() map[string]string {
		t.Helper()
		out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes
	}
	a := attrs()
	if a["ApproximateNumberOfMessagesNotVisible"] != "3" || a["ApproximateNumberOfMessages"] != "0" || a["VisibilityTimeout"] != "30" ||
		a["ReceiveMessageWaitTimeSeconds"] != "2" || !strings.Contains(a["RedrivePolicy"], `"maxReceiveCount":5`) || !strings.HasSuffix(a["QueueArn"], ":jobs") {
		t.Errorf("GetQueueAttributes with 3 in flight: %v", a)
	}

	// Back at once: "two" is received again, its receive count 2.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: got["two"].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	again, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"ApproximateReceiveCount"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Messages) != 1 || aws.ToString(again.Messages[0].Body) != "two" || again.Messages[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("ReceiveMessage after making two visible: %+v, want two, received twice", again.Messages)
	}
	if len(again.Messages[0].Attributes) != 1 {
		t.Errorf("ReceiveMessage asking for ApproximateReceiveCount: attributes %v, want only it", again.Messages[0].Attributes)
	}
	// Received with a visibility timeout of 1 s, "two" comes back after it.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: again.Messages[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	short, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 2, VisibilityTimeout: 1})
	if err != nil || len(short.Messages) != 1 {
		t.Fatalf("ReceiveMessage: %v, %d messages; want two", err, len(short.Messages))
	}
	back, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 5})
	if err != nil || len(back.Messages) != 1 || aws.ToString(back.Messages[0].Body) != "two" {
		t.Fatalf("ReceiveMessage after a 1 s visibility timeout: %v, %+v; want two again", err, back.Messages)
	}

	// "three" is hidden for an hour, and its handle still deletes it.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: got["three"].ReceiptHandle, VisibilityTimeout: 3600}); err != nil {
		t.Fatal(err)
	}
	if out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 1}); err != nil || len(out.Messages) != 0 {
		t.Fatalf("ReceiveMessage with three hidden for an hour: %v, %d messages; want none", err, len(out.Messages))
	}
	del, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: []sqstypes.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: got["three"].ReceiptHandle},
		{Id: aws.String("b"), ReceiptHandle: back.Messages[0].ReceiptHandle},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("not-a-handle")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(del.Successful) != 2 || len(del.Failed) != 1 || aws.ToString(del.Failed[0].Id) != "bad" || aws.ToString(del.Failed[0].Code) != "ReceiptHandleIsInvalid" || !del.Failed[0].SenderFault {
		t.Errorf("DeleteMessageBatch: %+v, want a and b deleted, bad failed with ReceiptHandleIsInvalid", del)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: one.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	a = attrs()
	if a["ApproximateNumberOfMessagesNotVisible"] != "0" || a["ApproximateNumberOfMessages"] != "0" {
		t.Errorf("GetQueueAttributes after deleting all: %v, want none in flight or visible", a)
	}

	// Purge, then nothing to receive.
	for i := range 5 {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(strings.Repeat("x", i+1))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: url}); err != nil {
		t.Fatal(err)
	}
	if out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 0}); err != nil || len(out.Messages) != 0 {
		t.Errorf("ReceiveMessage after PurgeQueue: %v, %d messages; want none", err, len(out.Messages))
	}

	// Bad input: each a clear error code.
	for _, c2 := range []struct {
		name string
		call func() error
		want string
	}{
		{"ChangeMessageVisibility with a forged handle", func() error {
			_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: aws.String("JEpTLkFDSy5vdGhlcg"), VisibilityTimeout: 5})
			return err
		}, "ReceiptHandleIsInvalid"},
		{"ChangeMessageVisibility of 13 hours", func() error {
			_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: one.ReceiptHandle, VisibilityTimeout: 13 * 3600})
			return err
		}, "InvalidParameterValue"},
		{"ReceiveMessage of 11", func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 11})
			return err
		}, "InvalidParameterValue"},
		{"ReceiveMessage waiting 21 s", func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 21})
			return err
		}, "InvalidParameterValue"},
		{"ReceiveMessage from a missing queue", func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(srv.URL + "/queues/nope")})
			return err
		}, "AWS.SimpleQueueService.NonExistentQueue"},
		{"GetQueueAttributes of an unknown attribute", func() error {
			_, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: []sqstypes.QueueAttributeName{"Colour"}})
			return err
		}, "InvalidAttributeName"},
		{"DeleteMessageBatch of nothing", func() error {
			_, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: []sqstypes.DeleteMessageBatchRequestEntry{}})
			return err
		}, "AWS.SimpleQueueService.EmptyBatchRequest"},
		{"ChangeMessageVisibilityBatch with one id twice", func() error {
			_, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: url, Entries: []sqstypes.ChangeMessageVisibilityBatchRequestEntry{
				{Id: aws.String("x"), ReceiptHandle: one.ReceiptHandle}, {Id: aws.String("x"), ReceiptHandle: one.ReceiptHandle}}})
			return err
		}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
	} {
		if err := c2.call(); code(err) != c2.want {
			t.Errorf("%s: error %v (code %q), want %s", c2.name, err, code(err), c2.want)
		}
	}
}
