package platform

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/services/topic"
	"github.com/stacklab/stacklab/internal/stack/stacktest"
)

// TestAsyncRoutes resolves DeadLetterQueues and destinations against the
// stack, and rejects those that name nothing the platform runs.
func TestAsyncRoutes(t *testing.T) {
	const head = `Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {CodeUri: x, Handler: h, Runtime: python3.12}
Resources:
  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: failed-events}}
  F: {Type: AWS::SQS::Queue, Properties: {FifoQueue: true}}
  T: {Type: AWS::SNS::Topic}
  B: {Type: AWS::S3::Bucket, Properties: {BucketName: archive}}
  Other: {Type: AWS::Serverless::Function, Properties: {CodeUri: x, Handler: h, Runtime: python3.12, FunctionName: other-fn}}
  Fn:
    Type: `
	for _, tt := range []struct {
		name, props string
		want        string // "DLQ|OnSuccess|OnFailure" as Kind ID, or the error's parts
		errParts    []string
	}{
		{"refs", `AWS::Serverless::Function
    Properties:
      DeadLetterQueue: {Type: SNS, TargetArn: !Ref T}
      EventInvokeConfig:
        DestinationConfig:
          OnSuccess: {Type: Lambda, Destination: !GetAtt Other.Arn}
          OnFailure: {Type: S3Bucket, Destination: !GetAtt B.Arn}`, "SNS T|Lambda other-fn|S3Bucket B", nil},
		{"literal ARNs of the stack", `AWS::Serverless::Function
    Properties:
      DeadLetterQueue: {Type: SQS, TargetArn: arn:aws:sqs:us-east-1:123456789012:failed-events}
      EventInvokeConfig:
        DestinationConfig:
          OnSuccess: {Type: Lambda, Destination: arn:aws:lambda:us-east-1:123456789012:function:other-fn:$LATEST}
          OnFailure: {Type: S3Bucket, Destination: arn:aws:s3:::archive}`, "SQS Q|Lambda other-fn|S3Bucket B", nil},
		{"CloudFormation DeadLetterConfig", `AWS::Lambda::Function
    Properties:
      Code: {S3Bucket: b, S3Key: k}
      Handler: h
      Runtime: python3.12
      DeadLetterConfig: {TargetArn: arn:aws:sqs:us-east-1:123456789012:gone}`, "", []string{"function Fn: DeadLetterConfig.TargetArn:", "arn:aws:sqs:us-east-1:123456789012:gone is not an SQS queue of this stack", "nothing outside it can receive"}},
		{"wrong type", `AWS::Serverless::Function
    Properties:
      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !Ref T}`, "", []string{"function Fn: EventInvokeConfig.DestinationConfig.OnFailure.Destination:", "T is an AWS::SNS::Topic, not an SQS queue"}},
		{"FIFO queue", `AWS::Serverless::Function
    Properties:
      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt F.Arn}`, "", []string{"function Fn: DeadLetterQueue.TargetArn:", "F is a FIFO queue", "standard queue"}},
		{"S3 on success", `AWS::Serverless::Function
    Properties:
      EventInvokeConfig:
        DestinationConfig:
          OnSuccess: {Type: S3Bucket, Destination: !GetAtt B.Arn}`, "", []string{"OnSuccess.Destination:", "failed events only"}},
		{"queue SAM would create", `AWS::Serverless::Function
    Properties:
      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: SQS}`, "", []string{"OnFailure.Destination:", "SAM would create one", "add the resource to the template"}},
		{"EventBridge is resolved", `AWS::Serverless::Function
    Properties:
      EventInvokeConfig:
        DestinationConfig:
          OnSuccess: {Type: EventBridge, Destination: arn:aws:events:us-east-1:123456789012:event-bus/default}`, "|EventBridge default|", nil},
		{"EventBridge bus not in the stack", `AWS::Serverless::Function
    Properties:
      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: EventBridge, Destination: arn:aws:events:us-east-1:123456789012:event-bus/elsewhere}`, "", []string{"OnFailure.Destination:", "event-bus/elsewhere", "an event bus"}},
		{"CloudFormation EventInvokeConfig resource", `AWS::Serverless::Function
    Properties: {CodeUri: x, Handler: h, Runtime: python3.12}
  FnConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Fn
      Qualifier: $LATEST
      DestinationConfig:
        OnSuccess: {Destination: !Ref T}
        OnFailure: {Destination: arn:aws:sqs:us-east-1:123456789012:failed-events}`, "|SNS T|SQS Q", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := stacktest.Build(t, head+tt.props+"\n")
			r, err := asyncRoutesOf(st, functionNamed(st, "Fn"))
			if tt.errParts != nil {
				if err == nil {
					t.Fatalf("no error; want one with %q", tt.errParts)
				}
				for _, part := range tt.errParts {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("error %q does not say %q", err, part)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			str := func(a *asyncTarget) string {
				if a == nil {
					return ""
				}
				return a.Kind + " " + a.ID
			}
			if got := str(r.DeadLetter) + "|" + str(r.OnSuccess) + "|" + str(r.OnFailure); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// receiveOne waits for a message on a queue and deletes it.
func receiveOne(t *testing.T, p *Platform, q string) queue.Message {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := p.Queues().Receive(ctx, q, 1, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 1 {
			if err := p.Queues().Delete(ctx, q, msgs[0].ReceiptHandle); err != nil {
				t.Fatal(err)
			}
			return msgs[0]
		}
	}
	t.Fatalf("nothing reached queue %s", q)
	return queue.Message{}
}

func decodeRecord(t *testing.T, body string) invoke.Record {
	t.Helper()
	var r invoke.Record
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("not an invocation record: %v\n%s", err, body)
	}
	return r
}

func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && jsonEqual(x, y)
}

func jsonEqual(x, y any) bool {
	bx, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return string(bx) == string(by)
}

// TestAsyncDestinations deploys functions with dead-letter queues and
// destinations and invokes them asynchronously: failed events reach the
// SQS and SNS dead-letter queues as they were sent, with Lambda's
// attributes; invocation records reach an OnFailure queue and bucket, and
// an OnSuccess function (whose own OnSuccess record shows what it got).
func TestAsyncDestinations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs functions")
	}
	ctx := context.Background()
	file, _ := filepath.Abs("testdata/destinations/template.yaml")
	p, err := New(Options{StateDir: t.TempDir(), AsyncRetryDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Deploy(ctx, file); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	invokeAsync := func(fn, payload string) string {
		t.Helper()
		res, err := p.Invoke(ctx, invoke.Request{Function: fn, Type: invoke.Event, Payload: []byte(payload)})
		if err != nil {
			t.Fatal(err)
		}
		return res.RequestID
	}

	t.Run("SQS dead-letter queue and OnFailure queue", func(t *testing.T) {
		payload := `{"fail":"out of stock","order":7}`
		id := invokeAsync("Failing", payload)
		dl := receiveOne(t, p, "DeadLetters")
		if dl.Body != payload {
			t.Errorf("dead letter body %s, want the event as sent: %s", dl.Body, payload)
		}
		for k, want := range map[string]queue.Attribute{"RequestID": {DataType: "String", StringValue: id}, "ErrorCode": {DataType: "Number", StringValue: "200"},
			"ErrorMessage": {DataType: "String", StringValue: "out of stock"}} {
			if got := dl.MessageAttributes[k]; got.DataType != want.DataType || got.StringValue != want.StringValue {
				t.Errorf("dead letter attribute %s = %+v, want %+v", k, got, want)
			}
		}
		r := decodeRecord(t, receiveOne(t, p, "Failures").Body)
		rc := r.RequestContext
		if r.Version != "1.0" || rc.RequestID != id || rc.Condition != invoke.ConditionRetriesExhausted || rc.ApproximateInvokeCount != 1 ||
			!strings.HasSuffix(rc.FunctionARN, ":function:Failing:$LATEST") {
			t.Errorf("record context %+v (version %s); want request %s, RetriesExhausted after 1 attempt, Failing's ARN", rc, r.Version, id)
		}
		if !sameJSON(r.RequestPayload, []byte(payload)) || r.ResponseContext.FunctionError != "Unhandled" || r.ResponseContext.StatusCode != 200 ||
			!strings.Contains(string(r.ResponsePayload), `"errorMessage":"out of stock"`) {
			t.Errorf("record %+v; want the event, Unhandled and the error document", r)
		}
	})

	t.Run("SNS dead-letter queue and OnFailure bucket", func(t *testing.T) {
		payload := `{"fail":"no route","id":"a-1"}`
		id := invokeAsync("Announcer", payload)
		var env topic.Envelope
		if err := json.Unmarshal([]byte(receiveOne(t, p, "DeadTopicCopy").Body), &env); err != nil {
			t.Fatal(err)
		}
		if env.Message != payload || env.MessageAttributes["RequestID"].Value != id || env.MessageAttributes["ErrorCode"].Type != "Number" ||
			env.MessageAttributes["ErrorCode"].Value != "200" || env.MessageAttributes["ErrorMessage"].Value != "no route" {
			t.Errorf("SNS dead letter %+v; want the event with RequestID %s, ErrorCode 200, ErrorMessage", env, id)
		}
		var body []byte
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && body == nil {
			objs, err := p.Buckets().List(ctx, "Archive", "aws/lambda/async/Announcer/")
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				if strings.HasSuffix(o.Key, "/"+id+".json") {
					rd, _, err := p.Buckets().Get(ctx, "Archive", o.Key)
					if err != nil {
						t.Fatal(err)
					}
					body, _ = io.ReadAll(rd)
					rd.Close()
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		if body == nil {
			t.Fatalf("no record aws/lambda/async/Announcer/.../%s.json in the bucket", id)
		}
		r := decodeRecord(t, string(body))
		if r.RequestContext.RequestID != id || r.RequestContext.Condition != invoke.ConditionRetriesExhausted || !sameJSON(r.RequestPayload, []byte(payload)) {
			t.Errorf("bucket record %s; want the RetriesExhausted record of %s", body, id)
		}
	})

	t.Run("EventBridge destinations", func(t *testing.T) {
		for _, c := range []struct {
			payload, queue, detailType string
			cond                       invoke.Condition
		}{
			{`{"fail":"bad input"}`, "BusFailures", "Lambda Function Invocation Result - Failure", invoke.ConditionRetriesExhausted},
			{`{"print":"fine"}`, "BusSuccesses", "Lambda Function Invocation Result - Success", invoke.ConditionSuccess},
		} {
			id := invokeAsync("Reporting", c.payload)
			var ev struct {
				Source     string          `json:"source"`
				DetailType string          `json:"detail-type"`
				Resources  []string        `json:"resources"`
				Detail     json.RawMessage `json:"detail"`
			}
			if err := json.Unmarshal([]byte(receiveOne(t, p, c.queue).Body), &ev); err != nil {
				t.Fatal(err)
			}
			r := decodeRecord(t, string(ev.Detail))
			if ev.Source != "lambda" || ev.DetailType != c.detailType || len(ev.Resources) != 1 || !strings.HasSuffix(ev.Resources[0], ":function:Reporting:$LATEST") {
				t.Errorf("event on the bus: source %q, detail-type %q, resources %v; want lambda, %q, Reporting's ARN", ev.Source, ev.DetailType, ev.Resources, c.detailType)
			}
			if r.RequestContext.RequestID != id || r.RequestContext.Condition != c.cond || !sameJSON(r.RequestPayload, []byte(c.payload)) {
				t.Errorf("detail %s; want the %s record of %s", ev.Detail, c.cond, id)
			}
		}
	})

	t.Run("OnSuccess to a function", func(t *testing.T) {
		id := invokeAsync("Succeeding", `{"print":"hello"}`)
		outer := decodeRecord(t, receiveOne(t, p, "Chained").Body)
		if outer.RequestContext.Condition != invoke.ConditionSuccess || !strings.HasSuffix(outer.RequestContext.FunctionARN, ":function:Receiver:$LATEST") ||
			outer.RequestContext.RequestID != derivedRequestID(id, toOnSuccess) {
			t.Errorf("Receiver's record context %+v; want Receiver's success under the id derived from %s", outer.RequestContext, id)
		}
		inner := decodeRecord(t, string(outer.RequestPayload))
		if inner.RequestContext.RequestID != id || inner.RequestContext.Condition != invoke.ConditionSuccess ||
			!strings.HasSuffix(inner.RequestContext.FunctionARN, ":function:Succeeding:$LATEST") || !sameJSON(inner.RequestPayload, []byte(`{"print":"hello"}`)) {
			t.Errorf("Receiver got %s; want Succeeding's success record of %s", outer.RequestPayload, id)
		}
		var resp map[string]any
		if err := json.Unmarshal(inner.ResponsePayload, &resp); err != nil || resp["request_id"] != id {
			t.Errorf("response payload %s; want Succeeding's answer to %s", inner.ResponsePayload, id)
		}
	})
}

// TestBadAsyncDestinationFailsDeploy: a deploy whose DeadLetterQueue or
// destination names nothing this platform runs fails, naming each
// function and property, and deploys nothing.
func TestBadAsyncDestinationFailsDeploy(t *testing.T) {
	file, _ := filepath.Abs("testdata/destinations/bad.yaml")
	p, err := New(Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Deploy(context.Background(), file)
	if err == nil {
		t.Fatal("the deploy succeeded; want it refused")
	}
	for _, part := range []string{
		"function Outside: DeadLetterQueue.TargetArn: arn:aws:sqs:us-east-1:123456789012:somewhere-else is not an SQS queue of this stack",
		"function WrongType: EventInvokeConfig.DestinationConfig.OnFailure.Destination: Alerts is an AWS::SNS::Topic, not an SQS queue",
		"function NoFunction: EventInvokeConfig.DestinationConfig.OnSuccess.Destination: arn:aws:lambda:us-east-1:123456789012:function:not-here is not a function of this stack",
	} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("deploy error\n%v\ndoes not say %q", err, part)
		}
	}
	if p.Stack() != nil {
		t.Error("a stack is deployed after the refused deploy")
	}
}

// TestOnSuccessLoopFailsDeploy: functions whose OnSuccess destinations
// invoke one another in a circle are refused, each naming the circle.
func TestOnSuccessLoopFailsDeploy(t *testing.T) {
	st := stacktest.Build(t, `Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {CodeUri: x, Handler: h, Runtime: python3.12}
Resources:
  Ping:
    Type: AWS::Serverless::Function
    Properties:
      EventInvokeConfig: {DestinationConfig: {OnSuccess: {Type: Lambda, Destination: arn:aws:lambda:us-east-1:123456789012:function:Pong}}}
  Pong:
    Type: AWS::Serverless::Function
    Properties:
      EventInvokeConfig: {DestinationConfig: {OnSuccess: {Type: Lambda, Destination: arn:aws:lambda:us-east-1:123456789012:function:Ping}}}
  Start:
    Type: AWS::Serverless::Function
    Properties:
      EventInvokeConfig: {DestinationConfig: {OnSuccess: {Type: Lambda, Destination: arn:aws:lambda:us-east-1:123456789012:function:Ping}}}
  Self:
    Type: AWS::Serverless::Function
    Properties:
      EventInvokeConfig: {DestinationConfig: {OnFailure: {Type: Lambda, Destination: arn:aws:lambda:us-east-1:123456789012:function:Self}}}
`)
	p := &Platform{log: slog.New(slog.DiscardHandler)}
	err := p.checkAsyncDestinations(st)
	if err == nil {
		t.Fatal("no error; want the Ping/Pong loop refused")
	}
	for _, part := range []string{"function Ping: EventInvokeConfig.DestinationConfig.OnSuccess.Destination: Ping -> Pong -> Ping invokes itself",
		"function Pong: EventInvokeConfig.DestinationConfig.OnSuccess.Destination: Pong -> Ping -> Pong"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not say %q", err, part)
		}
	}
	if strings.Contains(err.Error(), "function Start") || strings.Contains(err.Error(), "function Self") {
		t.Errorf("error %q blames Start (which leads into the loop) or Self (OnFailure to itself is allowed)", err)
	}
}

// TestAsyncDestinationUnavailable: while an OnFailure queue is gone, the
// outcome waits (kept in KV, the event not acknowledged); once the queue is
// back the record arrives, the function having run once and the
// dead-letter queue, reached the first time, getting the event once.
func TestAsyncDestinationUnavailable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs functions")
	}
	ctx := context.Background()
	file, _ := filepath.Abs("testdata/destinations/template.yaml")
	p, err := New(Options{StateDir: t.TempDir(), AsyncRetryDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Deploy(ctx, file); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	js := p.bus.JetStream()
	if err := js.DeleteStream(ctx, queue.StreamName("Failures")); err != nil {
		t.Fatal(err)
	}
	res, err := p.Invoke(ctx, invoke.Request{Function: "Failing", Type: invoke.Event, Payload: []byte(`{"print":"attempt","fail":"later"}`)})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, "STACKLAB_ASYNC_OUTCOMES")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := kv.Get(ctx, res.RequestID); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the outcome that could not reach its OnFailure queue was not kept")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.Queues().Apply(ctx, queueConfigs(p.Stack())); err != nil {
		t.Fatal(err)
	}
	r := decodeRecord(t, receiveOne(t, p, "Failures").Body)
	if r.RequestContext.RequestID != res.RequestID || r.RequestContext.Condition != invoke.ConditionRetriesExhausted {
		t.Errorf("record context %+v, want the RetriesExhausted record of %s", r.RequestContext, res.RequestID)
	}
	if dl := receiveOne(t, p, "DeadLetters"); dl.MessageAttributes["RequestID"].StringValue != res.RequestID {
		t.Errorf("dead letter %+v, want request %s", dl, res.RequestID)
	}
	time.Sleep(500 * time.Millisecond) // room for a wrong second run or dead letter
	if msgs, _ := p.Queues().Receive(ctx, "DeadLetters", 10, 0); len(msgs) != 0 {
		t.Errorf("the dead-letter queue got the event again: %+v", msgs)
	}
	if n := strings.Count(logText(p, "Failing"), "attempt"); n != 1 {
		t.Errorf("Failing ran %d times, want once: waiting for a destination must not run it again", n)
	}
}

// An AWS::Lambda::EventInvokeConfig sets its function's retries and event
// age as SAM's property does, and a destination of it that names nothing
// of the stack is reported at the resource, with its own property path.
func TestEventInvokeConfigResource(t *testing.T) {
	st := stacktest.Build(t, `Resources:
  FnConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Fn
      Qualifier: $LATEST
      MaximumRetryAttempts: 0
      MaximumEventAgeInSeconds: 120
      DestinationConfig:
        OnFailure: {Destination: arn:aws:sqs:us-east-1:123456789012:gone}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Code: {ZipFile: x}, Handler: h, Runtime: python3.12, Role: r, FunctionName: fn}
`)
	p := &Platform{stack: st}
	pol := p.retryPolicy("fn")
	if pol.MaximumRetryAttempts != 0 || pol.MaximumEventAge != 2*time.Minute {
		t.Errorf("retry policy %+v, want 0 retries and 2m0s of event age", pol)
	}
	if def := invoke.DefaultRetryPolicy; def.MaximumRetryAttempts == 0 || def.MaximumEventAge == 2*time.Minute {
		t.Fatalf("the default policy %+v is the one the test expects; change the test's values", def)
	}
	diags := Check("template.yaml", st)
	if len(diags) != 1 || diags[0].Resource != "FnConfig" ||
		!strings.HasPrefix(diags[0].Message, "DestinationConfig.OnFailure.Destination: arn:aws:sqs:us-east-1:123456789012:gone is not an SQS queue of this stack") {
		t.Errorf("findings %v, want one on FnConfig at DestinationConfig.OnFailure.Destination", diags)
	}
}
