package stack_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/stack/stacktest"
	"github.com/stacklab/stacklab/internal/template"
)

// buildSeeds are templates that reach every part of Build: every kind of
// resource, event, policy and subscription, and the ways to get them wrong.
var buildSeeds = []string{
	`Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Cors: "'*'"
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers: {Jwt: {JwtConfiguration: {issuer: x}, IdentitySource: $request.header.Authorization}}
  Http:
    Type: AWS::Serverless::HttpApi
    Properties: {CorsConfiguration: true}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: nodejs20.x
      CodeUri: {Bucket: b, Key: k}
      AutoPublishAlias: live
      DeploymentPreference: {Type: Canary10Percent5Minutes}
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !GetAtt Q.Arn}
      Events:
        Get: {Type: Api, Properties: {Path: /items/{id}, Method: get, RestApiId: !Ref Api}}
        Get2: {Type: Api, Properties: {Path: /items/{id}/, Method: GET, RestApiId: !Ref Api}}
        Any: {Type: HttpApi, Properties: {ApiId: !Ref Http}}
        Default: {Type: HttpApi}
        Sns: {Type: SNS, Properties: {Topic: !Ref T, FilterPolicy: {kind: [a]}}}
        Ddb: {Type: DynamoDB, Properties: {Stream: !GetAtt Tbl.StreamArn, StartingPosition: LATEST}}
        Kin: {Type: Kinesis, Properties: {Stream: !GetAtt K.Arn, StartingPosition: TRIM_HORIZON, BatchSize: 100}}
        Bus: {Type: EventBridgeRule, Properties: {Pattern: {source: [x]}, EventBusName: !Ref B}}
        Every: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 minute), State: DISABLED}}
        Alexa: {Type: AlexaSkill}
  Q:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true, QueueName: q.fifo, RedrivePolicy: '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:1:d", "maxReceiveCount": 3}'}
  T:
    Type: AWS::SNS::Topic
  Sub:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref T, Protocol: sqs, Endpoint: !GetAtt Q.Arn, RawMessageDelivery: true}
  Tbl:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}, {AttributeName: nope, KeyType: RANGE}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Simple:
    Type: AWS::Serverless::SimpleTable
    Properties: {PrimaryKey: {Name: pk, Type: Number}}
  K:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 2}
  B:
    Type: AWS::Events::EventBus
    Properties: {Name: bus}
  R:
    Type: AWS::Events::Rule
    Properties: {EventBusName: !Ref B, EventPattern: '{"source": ["x"]}', Targets: [{Arn: !GetAtt Fn.Arn, Id: fn}]}
  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref Fn, EventSourceArn: !GetAtt Q.Arn, BatchSize: 5}
  Sm:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: A, States: {A: {Type: Task, Resource: !GetAtt Fn.Arn, End: true}}}
      Policies: [LambdaInvokePolicy: {FunctionName: !Ref Fn}]
      Events: {Tick: {Type: Schedule, Properties: {Schedule: rate(1 hour)}}}
  L:
    Type: AWS::Lambda::Function
    Properties:
      Code: {ZipFile: "exports.handler = async () => 1"}
      Handler: index.handler
      Runtime: nodejs20.x
      Role: arn:aws:iam::1:role/r
      DeadLetterConfig: {TargetArn: !Ref T}
  Bk:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: Not_Valid
      NotificationConfiguration:
        LambdaConfigurations: [{Event: s3:ObjectCreated:*, Function: !GetAtt L.Arn, Filter: {S3Key: {Rules: [{Name: suffix, Value: .png}]}}}]
`,
	`Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      MemorySize: lots
      Timeout: 1.5
      Architectures: [sparc]
      Runtime: cobol
      PackageType: Floppy
      Environment: {Variables: {A: [1], B: {x: y}}}
      Policies: [NotAPolicy: {}, S3ReadPolicy: [], {Statement: {Effect: Allow, Action: "*", Resource: "*"}}, 3]
      Events:
        Bad: {Type: Carrier}
        NoProps: {Type: SQS}
        S3: {Type: S3, Properties: {Bucket: not-a-ref, Events: [ObjectCreated]}}
        Sched: {Type: Schedule, Properties: {Schedule: every day, Enabled: true, State: ENABLED}}
`,
	"Resources:\n  X:\n    Type: AWS::Serverless::Function\n",
	"Resources: {A: {Type: AWS::SQS::Queue, Properties: {RedrivePolicy: '{{{'}}}}\n",
	"Resources: {A: {Type: AWS::Events::Rule, Properties: {EventPattern: '[1, 2'}}}\n",
}

// FuzzBuild checks that Build never panics on whatever Load makes of
// arbitrary text, and that its graph and findings are well formed.
func FuzzBuild(f *testing.F) {
	for _, s := range buildSeeds {
		f.Add(s)
	}
	f.Add(string(stacktest.Generate(stacktest.GroupSize)))
	files, _ := filepath.Glob("../cli/testdata/*/*.yaml")
	golden, _ := filepath.Glob("../cli/testdata/golden/*/template.yaml")
	examples, _ := filepath.Glob("../../examples/*/template.yaml")
	for _, name := range append(append(files, golden...), examples...) {
		if src, err := os.ReadFile(name); err == nil {
			f.Add(string(src))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		defer watchdog()()
		tmpl, _ := template.Load("fuzz.yaml", []byte(src), template.Options{})
		if tmpl == nil {
			return
		}
		s, diags := stack.Build(tmpl)
		if s == nil {
			t.Fatal("Build returned no stack")
		}
		for i, d := range diags {
			if d.Message == "" || d.Severity != diag.Error && d.Severity != diag.Warning {
				t.Fatalf("diagnostic %d is incomplete: %+v", i, d)
			}
		}
		nodes := map[string]bool{}
		for _, n := range s.Graph.Nodes {
			if n.ID == "" || nodes[n.ID] {
				t.Fatalf("graph node %q is empty or repeated", n.ID)
			}
			nodes[n.ID] = true
		}
		for _, e := range s.Graph.Edges {
			if !nodes[e.From] || !nodes[e.To] || e.From == e.To {
				t.Fatalf("graph edge %s -> %s does not join two nodes", e.From, e.To)
			}
		}
	})
}

// hangAfter is how long one input may take while fuzzing before it counts
// as a hang.
const hangAfter = 10 * time.Second

// watchdog makes a fuzzing worker crash, so that the fuzzer keeps the input
// in testdata/fuzz, when one input runs for longer than hangAfter. It does
// nothing outside fuzzing. Use it as defer watchdog()().
func watchdog() (stop func()) {
	if f := flag.Lookup("test.fuzz"); f == nil || f.Value.String() == "" {
		return func() {}
	}
	timer := time.AfterFunc(hangAfter, func() {
		panic(fmt.Sprintf("hang: one input has run for more than %v", hangAfter))
	})
	return func() { timer.Stop() }
}
