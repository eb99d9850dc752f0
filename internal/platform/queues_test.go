package platform

import (
	"reflect"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/stack/stacktest"
	"github.com/stacklab/stacklab/internal/template"
)

const queuesTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      DelaySeconds: 5
      RedrivePolicy: {deadLetterTargetArn: !GetAtt JobsDLQ.Arn, maxReceiveCount: 3}
  JobsDLQ:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs-dead
      ReceiveMessageWaitTimeSeconds: 10
  Bulk:
    Type: AWS::SQS::Queue
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      ContentBasedDeduplication: true
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: bootstrap
      Runtime: provided.al2023
      FunctionName: worker-fn
      ReservedConcurrentExecutions: 2
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 5
            MaximumBatchingWindowInSeconds: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            ScalingConfig: {MaximumConcurrency: 50}
        Off:
          Type: SQS
          Properties:
            Queue: !GetAtt Orders.Arn
            Enabled: false
        Outside:
          Type: SQS
          Properties:
            Queue: arn:aws:sqs:us-east-1:123456789012:not-here
  BulkWorker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: bootstrap
      Runtime: provided.al2023
      Events:
        Bulk:
          Type: SQS
          Properties:
            Queue: !GetAtt Bulk.Arn
            ScalingConfig:
              MaximumConcurrency: 40
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Worker
      EventSourceArn: arn:aws:sqs:us-east-1:123456789012:jobs-dead
  OrdersMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: arn:aws:lambda:us-east-1:123456789012:function:other-fn
      EventSourceArn: arn:aws:sqs:us-east-1:123456789012:Orders.fifo
      BatchSize: 1
      ScalingConfig: {MaximumConcurrency: 3}
`

func TestQueueConfigsAndMappings(t *testing.T) {
	tmpl, diags := template.Load("t.yaml", []byte(queuesTemplate), template.Options{})
	if tmpl == nil || diags.HasErrors() {
		t.Fatalf("template: %v", diags)
	}
	st, diags := stack.Build(tmpl)
	if diags.HasErrors() {
		t.Fatalf("stack: %v", diags)
	}
	gotQ := queueConfigs(st)
	wantQ := []queue.Config{
		{ID: "Jobs", VisibilityTimeout: time.Minute, Retention: 96 * time.Hour, Delay: 5 * time.Second, DeadLetter: "JobsDLQ", MaxReceiveCount: 3},
		{ID: "JobsDLQ", Name: "jobs-dead", VisibilityTimeout: 30 * time.Second, Retention: 96 * time.Hour, ReceiveWait: 10 * time.Second},
		{ID: "Bulk", VisibilityTimeout: 30 * time.Second, Retention: 96 * time.Hour},
		{ID: "Orders", Fifo: true, ContentBasedDedup: true, VisibilityTimeout: 30 * time.Second, Retention: 96 * time.Hour},
	}
	if !reflect.DeepEqual(gotQ, wantQ) {
		t.Errorf("queues:\n got %+v\nwant %+v", gotQ, wantQ)
	}
	gotM := queueMappings(st)
	wantM := []queue.Mapping{
		{ID: "Worker.Jobs", Queue: "Jobs", Function: "worker-fn", BatchSize: 5, Window: 2 * time.Second, ReportBatchItemFailures: true, Concurrency: 2},
		{ID: "BulkWorker.Bulk", Queue: "Bulk", Function: "BulkWorker", Concurrency: 40},
		{ID: "Mapping", Queue: "JobsDLQ", Function: "worker-fn", Concurrency: 2},
		{ID: "OrdersMapping", Queue: "Orders", Function: "other-fn", BatchSize: 1, Concurrency: 3},
	}
	if !reflect.DeepEqual(gotM, wantM) {
		t.Errorf("mappings:\n got %+v\nwant %+v", gotM, wantM)
	}
}

// TestQueueMappingsConcurrency: a mapping runs ScalingConfig's
// MaximumConcurrency batches at once, or queue.DefaultConcurrency, never
// more than its function's reserved concurrency.
func TestQueueMappingsConcurrency(t *testing.T) {
	const head = `Transform: AWS::Serverless-2016-10-31
Resources:
  Q: {Type: AWS::SQS::Queue}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: bootstrap
      Runtime: provided.al2023
`
	sqsEvent := func(scaling string) string {
		return "      Events:\n        Work: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn" + scaling + "}}\n"
	}
	for _, tt := range []struct {
		name, props string
		want        queue.Mapping
	}{
		{"default", sqsEvent(""), queue.Mapping{ID: "Fn.Work", Queue: "Q", Function: "Fn", Concurrency: queue.DefaultConcurrency}},
		{"MaximumConcurrency 2", sqsEvent(", ScalingConfig: {MaximumConcurrency: 2}"), queue.Mapping{ID: "Fn.Work", Queue: "Q", Function: "Fn", Concurrency: 2}},
		{"MaximumConcurrency 50", sqsEvent(", ScalingConfig: {MaximumConcurrency: 50}"), queue.Mapping{ID: "Fn.Work", Queue: "Q", Function: "Fn", Concurrency: 50}},
		{"reserved 3, MaximumConcurrency 50", "      ReservedConcurrentExecutions: 3\n" + sqsEvent(", ScalingConfig: {MaximumConcurrency: 50}"),
			queue.Mapping{ID: "Fn.Work", Queue: "Q", Function: "Fn", Concurrency: 3}},
		{"reserved 3, default", "      ReservedConcurrentExecutions: 3\n" + sqsEvent(""), queue.Mapping{ID: "Fn.Work", Queue: "Q", Function: "Fn", Concurrency: 3}},
		{"EventSourceMapping, MaximumConcurrency 20", `  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref Fn, EventSourceArn: !GetAtt Q.Arn, BatchSize: 4, ScalingConfig: {MaximumConcurrency: 20}}
`, queue.Mapping{ID: "M", Queue: "Q", Function: "Fn", BatchSize: 4, Concurrency: 20}},
		{"EventSourceMapping, default", `  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref Fn, EventSourceArn: !GetAtt Q.Arn}
`, queue.Mapping{ID: "M", Queue: "Q", Function: "Fn", Concurrency: queue.DefaultConcurrency}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := queueMappings(stacktest.Build(t, head+tt.props))
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("got %+v, want [%+v]", got, tt.want)
			}
		})
	}
}
