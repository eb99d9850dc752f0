package awsapi

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/services/table"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/teltest"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// TestSDKCallsJoinTheFunctionsTrace: inside a function (AWS_LAMBDA_FUNCTION_NAME
// set) the AWS SDK for Go v2 sends _X_AMZN_TRACE_ID as X-Amzn-Trace-Id;
// the calls' spans, the queue's send and the table's write are then in the
// function's trace, and the message carries it on.
func TestSDKCallsJoinTheFunctionsTrace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Start(ctx, bus.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tel := teltest.New(t)
	qs := queue.New(b.JetStream(), queue.Options{Telemetry: tel})
	ts := table.New(b.JetStream(), table.Options{Telemetry: tel})
	srv := httptest.NewServer(&Handler{Queues: qs, Tables: ts, Telemetry: tel})
	t.Cleanup(func() { srv.Close(); qs.Close(); ts.Close(); b.Close() })
	if err := qs.Apply(ctx, []queue.Config{{ID: "Jobs", Name: "jobs"}}); err != nil {
		t.Fatal(err)
	}
	if err := ts.Apply(ctx, []table.Config{{ID: "Hits", Name: "hits", HashKey: table.Key{Name: "job", Type: "S"}}}); err != nil {
		t.Fatal(err)
	}

	_, run := teltest.Root(tel, "run")
	run.End()
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "splitter")
	t.Setenv("_X_AMZN_TRACE_ID", tracectx.FormatXRay(run.SpanContext()))
	cfg := config(t, srv)
	if _, err := sqs.NewFromConfig(cfg).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(srv.URL + "/queues/jobs"), MessageBody: aws.String("chunk")}); err != nil {
		t.Fatal(err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("hits"),
		Item: map[string]ddbtypes.AttributeValue{"job": &ddbtypes.AttributeValueMemberS{Value: "j1"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("nope"),
		Key: map[string]ddbtypes.AttributeValue{"job": &ddbtypes.AttributeValueMemberS{Value: "j1"}}}); err == nil {
		t.Fatal("GetItem of a missing table succeeded")
	}
	msgs, err := qs.Receive(ctx, "Jobs", 1, time.Second)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("received %d messages (%v)", len(msgs), err)
	}

	spans := teltest.Trace(t, tel, run.TraceID())
	runID := teltest.ID(run.SpanContext())
	for _, c := range []struct{ call, resource, child string }{
		{"SQS.SendMessage", "Jobs", "Jobs send"},
		{"DynamoDB.PutItem", "Hits", "PutItem"},
	} {
		call := teltest.One(t, spans, c.call)
		if call.ParentID != runID || call.Kind != telemetry.Server || call.Resource != c.resource {
			t.Errorf("%s span %+v: want a Server span of %s, child of the function's run", c.call, call, c.resource)
		}
		if child := teltest.One(t, spans, c.child); child.ParentID != call.SpanID {
			t.Errorf("%s's parent is %s, want the %s span", c.child, child.ParentID, c.call)
		}
	}
	if get := teltest.One(t, spans, "DynamoDB.GetItem"); get.Status != "error" {
		t.Errorf("the failed GetItem's span has status %q, want error", get.Status)
	}
	_, pid := teltest.Parent(t, msgs[0].Attributes[tracectx.AWSTraceHeader])
	if pid != teltest.One(t, spans, "Jobs send").SpanID {
		t.Errorf("the message's AWSTraceHeader does not continue the send span")
	}
}
