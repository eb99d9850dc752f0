package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateMakesDeployChecks: a template whose resources are each
// well-formed but name things the stack does not have (an event bus, a
// destination, a notification target, a subscription's endpoint) or carry
// a pattern or schedule expressions that do not compile is invalid for
// validate, as it would be for deploy, with each error at its resource.
func TestValidateMakesDeployChecks(t *testing.T) {
	file := filepath.Join(t.TempDir(), "template.yaml")
	src := `Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {CodeUri: x, Handler: app.handler, Runtime: python3.12}
Resources:
  Sink:
    Type: AWS::Serverless::Function
    Properties:
      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: arn:aws:sqs:us-east-1:123456789012:elsewhere}
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        QueueConfigurations:
          - Event: s3:ObjectCreated:*
            Queue: arn:aws:sqs:us-east-1:123456789012:nope
  Orders:
    Type: AWS::Events::Rule
    Properties:
      EventPattern:
        detail:
          amount: [{numeric: [">"]}]
      Targets:
        - Id: sink
          Arn: !GetAtt Sink.Arn
  Alerts: {Type: AWS::SNS::Topic}
  ToSink:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Alerts
      Protocol: lambda
      Endpoint: arn:aws:lambda:us-east-1:123456789012:function:theirs
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 days)
      Targets: [{Id: sink, Arn: !GetAtt Sink.Arn}]
  Hourly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: cron(0 * * * * *)
      Targets: [{Id: sink, Arn: !GetAtt Sink.Arn}]
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run("validate", file)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stdout %q stderr %q", code, stdout, stderr)
	}
	for _, want := range []string{
		file + ":5:3: error: Sink: EventInvokeConfig.DestinationConfig.OnFailure.Destination:",
		file + ":11:3: error: Uploads: NotificationConfiguration.QueueConfigurations[0].Queue",
		file + ":18:3: error: Orders: EventPattern: invalid event pattern: detail.amount[0]: numeric",
		file + ":28:3: error: ToSink: Endpoint arn:aws:lambda:us-east-1:123456789012:function:theirs is not a function of this stack; stacklab runs this one stack, so nothing outside it can receive the messages: point Endpoint at a function of the template (Sink) with !GetAtt Sink.Arn",
		file + ":34:3: error: Nightly: ScheduleExpression: schedule expression \"rate(1 days)\": write rate(1 day)",
		file + ":39:3: error: Hourly: ScheduleExpression: schedule expression \"cron(0 * * * * *)\"",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "invalid (7 resources, 6 errors") {
		t.Errorf("stdout %q, want invalid with 6 errors", stdout)
	}
	// The same checks pass a template whose targets are all there.
	good := strings.Replace(src, "arn:aws:sqs:us-east-1:123456789012:elsewhere", "!GetAtt Q.Arn", 1)
	good = strings.Replace(good, "arn:aws:sqs:us-east-1:123456789012:nope", "!GetAtt Q.Arn", 1)
	good = strings.Replace(good, `[">"]`, `[">", 0]`, 1) + "  Q:\n    Type: AWS::SQS::Queue\n"
	good = strings.NewReplacer("arn:aws:lambda:us-east-1:123456789012:function:theirs", "!GetAtt Sink.Arn", "rate(1 days)", "rate(1 day)", "cron(0 * * * * *)", "cron(0 * * * ? *)").Replace(good)
	if err := os.WriteFile(file, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	if stdout, stderr, code := run("validate", file); code != 0 {
		t.Fatalf("fixed template: exit %d; stdout %q stderr %q", code, stdout, stderr)
	}
}
