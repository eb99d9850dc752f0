package awsapi

import (
	"context"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/services/table"
)

// newServer starts a bus, a queue "Jobs" and a table "Hits" (partition
// key job, sort key n) behind an httptest server of a Handler.
func newServer(t *testing.T) (*httptest.Server, *queue.Service, *table.Service) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Start(ctx, bus.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("starting the bus: %v", err)
	}
	qs := queue.New(b.JetStream(), queue.Options{})
	ts := table.New(b.JetStream(), table.Options{})
	srv := httptest.NewServer(&Handler{Queues: qs, Tables: ts})
	t.Cleanup(func() { srv.Close(); qs.Close(); ts.Close(); b.Close() })
	if err := qs.Apply(ctx, []queue.Config{{ID: "Jobs", Name: "jobs"}}); err != nil {
		t.Fatal(err)
	}
	if err := ts.Apply(ctx, []table.Config{{ID: "Hits", Name: "hits", HashKey: table.Key{Name: "job", Type: "S"}, RangeKey: &table.Key{Name: "n", Type: "N"}}}); err != nil {
		t.Fatal(err)
	}
	return srv, qs, ts
}

// config is an SDK configuration for srv whose warnings (the SDK logs a
// response checksum it cannot verify) fail the test.
func config(t *testing.T, srv *httptest.Server) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("stacklab", "stacklab", ""),
		Logger: logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
			if c == logging.Warn {
				t.Errorf("AWS SDK warning: "+format, v...)
			}
		})}
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestSQSWithTheAWSSDK(t *testing.T) {
	srv, qs, _ := newServer(t)
	ctx := context.Background()
	c := sqs.NewFromConfig(config(t, srv))

	url, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("jobs")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(url.QueueUrl), srv.URL+"/queues/jobs"; got != want {
		t.Errorf("GetQueueUrl = %s, want %s", got, want)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url.QueueUrl, MessageBody: aws.String("one"),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("first")}}}); err != nil {
		t.Fatal(err)
	}
	batch, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url.QueueUrl, Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("two")},
		{Id: aws.String("b"), MessageBody: aws.String("three")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Successful) != 2 || len(batch.Failed) != 0 {
		t.Errorf("SendMessageBatch: %d successful, %d failed; want 2, 0", len(batch.Successful), len(batch.Failed))
	}
	// One bad entry fails alone; a batch too large in all fails whole.
	batch, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url.QueueUrl, Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("late"), MessageBody: aws.String("never"), DelaySeconds: 901},
		{Id: aws.String("ok"), MessageBody: aws.String("three")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Successful) != 1 || aws.ToString(batch.Successful[0].Id) != "ok" || len(batch.Failed) != 1 ||
		aws.ToString(batch.Failed[0].Id) != "late" || aws.ToString(batch.Failed[0].Code) != "InvalidParameterValue" || !batch.Failed[0].SenderFault {
		t.Errorf("SendMessageBatch with a bad entry: %+v, want late failed (InvalidParameterValue), ok sent", batch)
	}
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url.QueueUrl, Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("x"), MessageBody: aws.String(strings.Repeat("x", 200<<10))},
		{Id: aws.String("y"), MessageBody: aws.String(strings.Repeat("y", 200<<10))},
	}})
	// The SDK reports the code SQS's X-Amzn-Query-Error names.
	if code(err) != "AWS.SimpleQueueService.BatchRequestTooLong" {
		t.Errorf("SendMessageBatch over 256 KB in all: error %v (code %q), want AWS.SimpleQueueService.BatchRequestTooLong", err, code(err))
	}
	msgs, err := qs.Receive(ctx, "jobs", 10, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, m := range msgs {
		got[m.Body] = true
		if m.Body == "one" && m.MessageAttributes["kind"].StringValue != "first" {
			t.Errorf("message one: attributes %+v, want kind=first", m.MessageAttributes)
		}
	}
	for _, want := range []string{"one", "two", "three"} {
		if !got[want] {
			t.Errorf("message %q not in the queue; got %v", want, got)
		}
	}

	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(srv.URL + "/queues/nope"), MessageBody: aws.String("x")})
	var missing *sqstypes.QueueDoesNotExist
	if code(err) != "AWS.SimpleQueueService.NonExistentQueue" || !errors.As(err, &missing) {
		t.Errorf("SendMessage to a missing queue: error %v (code %q), want a QueueDoesNotExist coded AWS.SimpleQueueService.NonExistentQueue", err, code(err))
	}
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url.QueueUrl, MessageBody: aws.String(strings.Repeat("x", 300<<10))})
	if code(err) != "InvalidParameterValue" {
		t.Errorf("SendMessage of 300 KB: error %v (code %q), want InvalidParameterValue", err, code(err))
	}
	_, err = c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: url.QueueUrl})
	if code(err) != "InvalidAction" {
		t.Errorf("DeleteQueue: error %v (code %q), want InvalidAction", err, code(err))
	}
}

func TestDynamoDBWithTheAWSSDK(t *testing.T) {
	srv, _, ts := newServer(t)
	ctx := context.Background()
	c := dynamodb.NewFromConfig(config(t, srv))
	put := func(job, n, v string) {
		t.Helper()
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("hits"), Item: map[string]ddbtypes.AttributeValue{
			"job": &ddbtypes.AttributeValueMemberS{Value: job},
			"n":   &ddbtypes.AttributeValueMemberN{Value: n},
			"v":   &ddbtypes.AttributeValueMemberS{Value: v},
			"tags": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{
				&ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{"pos": &ddbtypes.AttributeValueMemberN{Value: n}}},
			}},
		}})
		if err != nil {
			t.Fatalf("PutItem %s/%s: %v", job, n, err)
		}
	}
	put("j1", "10", "ten")
	put("j1", "9", "nine")
	put("j2", "1", "other")
	put("j1", "100", "hundred")

	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("hits"), Key: map[string]ddbtypes.AttributeValue{
		"job": &ddbtypes.AttributeValueMemberS{Value: "j1"}, "n": &ddbtypes.AttributeValueMemberN{Value: "9"}}})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got.Item["v"].(*ddbtypes.AttributeValueMemberS); !ok || v.Value != "nine" {
		t.Errorf("GetItem j1/9: v = %#v, want nine", got.Item["v"])
	}
	tags, ok := got.Item["tags"].(*ddbtypes.AttributeValueMemberL)
	if !ok || len(tags.Value) != 1 {
		t.Errorf("GetItem j1/9: tags = %#v, want a list of one map", got.Item["tags"])
	}
	missing, err := ts.Get(ctx, "hits", table.Item{"job": {"S": "j3"}, "n": {"N": "1"}})
	if err != nil || missing != nil {
		t.Errorf("Get of a missing item: %v, %v", missing, err)
	}
	none, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("hits"), Key: map[string]ddbtypes.AttributeValue{
		"job": &ddbtypes.AttributeValueMemberS{Value: "j3"}, "n": &ddbtypes.AttributeValueMemberN{Value: "1"}}})
	if err != nil || none.Item != nil {
		t.Errorf("GetItem of a missing item: item %v, err %v; want none, nil", none.Item, err)
	}

	for _, tc := range []struct {
		name    string
		forward bool
		want    []string
	}{{"forward", true, []string{"9", "10", "100"}}, {"backward", false, []string{"100", "10", "9"}}} {
		t.Run("Query "+tc.name, func(t *testing.T) {
			q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("hits"), KeyConditionExpression: aws.String("#j = :j"),
				ExpressionAttributeNames:  map[string]string{"#j": "job"},
				ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":j": &ddbtypes.AttributeValueMemberS{Value: "j1"}},
				ScanIndexForward:          aws.Bool(tc.forward)})
			if err != nil {
				t.Fatal(err)
			}
			var ns []string
			for _, it := range q.Items {
				ns = append(ns, it["n"].(*ddbtypes.AttributeValueMemberN).Value)
			}
			if strings.Join(ns, ",") != strings.Join(tc.want, ",") || q.Count != int32(len(tc.want)) {
				t.Errorf("Query j1: sort keys %v (count %d), want %v", ns, q.Count, tc.want)
			}
		})
	}
	scan, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("hits")})
	if err != nil || scan.Count != 4 || scan.LastEvaluatedKey != nil {
		t.Errorf("Scan: count %v, last key %v, err %v; want 4 items in one page", scan.Count, scan.LastEvaluatedKey, err)
	}
	t.Run("pages", func(t *testing.T) {
		var ns []string
		qp := dynamodb.NewQueryPaginator(c, &dynamodb.QueryInput{TableName: aws.String("hits"), KeyConditionExpression: aws.String("job = :j"), Limit: aws.Int32(2),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":j": &ddbtypes.AttributeValueMemberS{Value: "j1"}}})
		pages := 0
		for qp.HasMorePages() {
			out, err := qp.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, it := range out.Items {
				ns = append(ns, it["n"].(*ddbtypes.AttributeValueMemberN).Value)
			}
		}
		if strings.Join(ns, ",") != "9,10,100" || pages != 2 {
			t.Errorf("Query j1 in pages of 2: %v in %d pages, want 9,10,100 in 2", ns, pages)
		}
		sp := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: aws.String("hits"), Limit: aws.Int32(1)})
		n := 0
		for sp.HasMorePages() {
			out, err := sp.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n += len(out.Items)
		}
		if n != 4 {
			t.Errorf("Scan in pages of 1: %d items, want 4", n)
		}
		_, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("hits"), ExclusiveStartKey: map[string]ddbtypes.AttributeValue{
			"job": &ddbtypes.AttributeValueMemberS{Value: "gone"}, "n": &ddbtypes.AttributeValueMemberN{Value: "1"}}})
		if code(err) != "ValidationException" {
			t.Errorf("Scan from a key that is not there: error %v, want ValidationException", err)
		}
	})
	old, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("hits"), ReturnValues: ddbtypes.ReturnValueAllOld,
		Key: map[string]ddbtypes.AttributeValue{"job": &ddbtypes.AttributeValueMemberS{Value: "j2"}, "n": &ddbtypes.AttributeValueMemberN{Value: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := old.Attributes["v"].(*ddbtypes.AttributeValueMemberS); !ok || v.Value != "other" {
		t.Errorf("DeleteItem ALL_OLD: v = %#v, want other", old.Attributes["v"])
	}

	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"missing table", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("nope"), Item: map[string]ddbtypes.AttributeValue{"job": &ddbtypes.AttributeValueMemberS{Value: "x"}}})
			return err
		}, "ResourceNotFoundException"},
		{"missing key", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("hits"), Item: map[string]ddbtypes.AttributeValue{"job": &ddbtypes.AttributeValueMemberS{Value: "x"}}})
			return err
		}, "ValidationException"},
		{"condition", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("hits"), ConditionExpression: aws.String("attribute_not_exists(job)"),
				Item: map[string]ddbtypes.AttributeValue{"job": &ddbtypes.AttributeValueMemberS{Value: "x"}, "n": &ddbtypes.AttributeValueMemberN{Value: "1"}}})
			return err
		}, "ValidationException"},
		{"query on the sort key", func() error {
			_, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("hits"), KeyConditionExpression: aws.String("n = :n"),
				ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":n": &ddbtypes.AttributeValueMemberN{Value: "1"}}})
			return err
		}, "ValidationException"},
		{"unserved operation", func() error {
			_, err := c.ListTables(ctx, &dynamodb.ListTablesInput{})
			return err
		}, "UnknownOperationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); code(err) != tc.want {
				t.Errorf("error %v (code %q), want %s", err, code(err), tc.want)
			}
		})
	}
}

func TestIs(t *testing.T) {
	for _, tc := range []struct {
		method, target string
		want           bool
	}{
		{"POST", "AmazonSQS.SendMessage", true},
		{"POST", "DynamoDB_20120810.GetItem", true},
		{"GET", "AmazonSQS.SendMessage", false},
		{"POST", "", false},
		{"POST", "Other.Op", false},
	} {
		r := httptest.NewRequest(tc.method, "/", nil)
		if tc.target != "" {
			r.Header.Set("X-Amz-Target", tc.target)
		}
		if got := Is(r); got != tc.want {
			t.Errorf("Is(%s %q) = %v, want %v", tc.method, tc.target, got, tc.want)
		}
	}
}

// TestResponsesCarryCRC32 checks the X-Amz-Crc32 header the DynamoDB
// SDKs verify on every response, errors included.
func TestResponsesCarryCRC32(t *testing.T) {
	srv, _, _ := newServer(t)
	for _, body := range []string{`{"TableName":"hits","Key":{"job":{"S":"x"},"n":{"N":"1"}}}`, `{"TableName":"nope","Key":{}}`} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got, want := resp.Header.Get("X-Amz-Crc32"), strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10); got != want {
			t.Errorf("GetItem %s: X-Amz-Crc32 %q, want %s (body %s)", body, got, want, b)
		}
	}
}
