package awsapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func strAttr(v string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

// Message attributes SQS refuses are refused with InvalidParameterValue,
// naming the attribute; in a batch only their entry fails, by its Id.
func TestSQSMessageAttributesChecked(t *testing.T) {
	srv, _, _ := newServer(t)
	ctx := context.Background()
	c := sqs.NewFromConfig(config(t, srv))
	url := aws.String(srv.URL + "/queues/jobs")
	eleven := map[string]sqstypes.MessageAttributeValue{}
	for i := range 11 {
		eleven[fmt.Sprintf("a%d", i)] = strAttr("v")
	}
	for _, bad := range []struct {
		name   string
		attrs  map[string]sqstypes.MessageAttributeValue
		system map[string]sqstypes.MessageSystemAttributeValue
		want   string
	}{
		{"eleven attributes", eleven, nil, "at most 10"},
		{"reserved name", map[string]sqstypes.MessageAttributeValue{"AWS.trace": strAttr("x")}, nil, `"AWS.trace"`},
		{"bad character", map[string]sqstypes.MessageAttributeValue{"a/b": strAttr("x")}, nil, `"a/b"`},
		{"not a number", map[string]sqstypes.MessageAttributeValue{"price": {DataType: aws.String("Number"), StringValue: aws.String("ten")}}, nil, `"price"`},
		{"binary as a string", map[string]sqstypes.MessageAttributeValue{"blob": {DataType: aws.String("Binary"), StringValue: aws.String("x")}}, nil, "takes BinaryValue"},
		{"unknown type", map[string]sqstypes.MessageAttributeValue{"k": {DataType: aws.String("Date"), StringValue: aws.String("x")}}, nil, "not String, Number or Binary"},
		{"system attribute", nil, map[string]sqstypes.MessageSystemAttributeValue{"Foo": {DataType: aws.String("String"), StringValue: aws.String("x")}}, "AWSTraceHeader"},
	} {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("x"), MessageAttributes: bad.attrs, MessageSystemAttributes: bad.system})
		if code(err) != "InvalidParameterValue" || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("SendMessage with %s: %v (code %q), want InvalidParameterValue with %q", bad.name, err, code(err), bad.want)
		}
	}
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("good"), MessageBody: aws.String("a"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"n": {DataType: aws.String("Number.int"), StringValue: aws.String("7")}, "b": {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2}}}},
		{Id: aws.String("bad"), MessageBody: aws.String("b"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"x..y": strAttr("v")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 1 || aws.ToString(out.Successful[0].Id) != "good" || len(out.Failed) != 1 {
		t.Fatalf("batch: %d successful, %d failed; want good successful and bad failed", len(out.Successful), len(out.Failed))
	}
	if f := out.Failed[0]; aws.ToString(f.Id) != "bad" || aws.ToString(f.Code) != "InvalidParameterValue" || !f.SenderFault || !strings.Contains(aws.ToString(f.Message), "x..y") {
		t.Errorf("failed entry: %s %s %v %q", aws.ToString(f.Id), aws.ToString(f.Code), f.SenderFault, aws.ToString(f.Message))
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}})
	if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "a" || aws.ToString(got.Messages[0].MessageAttributes["n"].StringValue) != "7" {
		t.Fatalf("receive: %v, %+v; want only the good entry, with its attributes", err, got)
	}
}

// AWSTraceHeader is the one system attribute SQS takes; the receiver
// reads it back.
func TestSQSAWSTraceHeaderSystemAttribute(t *testing.T) {
	srv, _, _ := newServer(t)
	ctx := context.Background()
	c := sqs.NewFromConfig(config(t, srv))
	url := aws.String(srv.URL + "/queues/jobs")
	header := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("x"),
		MessageSystemAttributes: map[string]sqstypes.MessageSystemAttributeValue{"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(header)}}})
	if err != nil || aws.ToString(out.MD5OfMessageSystemAttributes) == "" {
		t.Fatalf("SendMessage with AWSTraceHeader: %v, %+v", err, out)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"AWSTraceHeader"}})
	if err != nil || len(got.Messages) != 1 || got.Messages[0].Attributes["AWSTraceHeader"] != header {
		t.Fatalf("receive: %v, %+v; want AWSTraceHeader %s", err, got, header)
	}
}
