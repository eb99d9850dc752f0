package platform

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/stack/stacktest"
)

// notifyTemplate is a stack whose bucket notifies TARGETS (a
// NotificationConfiguration's lists).
const notifyTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
TARGETS
  Jobs:
    Type: AWS::SQS::Queue
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: alerts
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: worker-fn
      InlineCode: "exports.handler = async () => {}"
      Handler: index.handler
      Runtime: nodejs20.x
`

func withTargets(targets string) string {
	return strings.Replace(notifyTemplate, "TARGETS", targets, 1)
}

func TestCheckNotifications(t *testing.T) {
	for _, c := range []struct {
		name    string
		targets string
		want    []string // empty: accepted
	}{
		{"the stack's own, by GetAtt and Ref", `        LambdaConfigurations:
          - Event: s3:ObjectCreated:*
            Function: !GetAtt Worker.Arn
        QueueConfigurations:
          - Event: s3:ObjectCreated:*
            Queue: !GetAtt Jobs.Arn
        TopicConfigurations:
          - Event: s3:ObjectRemoved:*
            Topic: !Ref Alerts`, nil},
		{"the stack's own, by ARN", `        LambdaConfigurations:
          - Event: s3:ObjectCreated:*
            Function: arn:aws:lambda:us-east-1:123456789012:function:worker-fn:live
        QueueConfigurations:
          - Event: s3:ObjectCreated:*
            Queue: arn:aws:sqs:us-east-1:123456789012:Orders.fifo
        TopicConfigurations:
          - Event: s3:ObjectRemoved:*
            Topic: arn:aws:sns:us-east-1:123456789012:alerts`, nil},
		{"a queue elsewhere", `        QueueConfigurations:
          - Event: s3:ObjectCreated:*
            Queue: !GetAtt Jobs.Arn
          - Event: s3:ObjectRemoved:*
            Queue: arn:aws:sqs:us-east-1:123456789012:Nope`,
			[]string{"bucket Uploads: NotificationConfiguration.QueueConfigurations[1].Queue", `"arn:aws:sqs:us-east-1:123456789012:Nope"`, "not a queue of this stack", "(Jobs, Orders)"}},
		{"a function elsewhere", `        LambdaConfigurations:
          - Event: s3:ObjectCreated:*
            Function: arn:aws:lambda:us-east-1:123456789012:function:ghost`,
			[]string{"NotificationConfiguration.LambdaConfigurations[0].Function", "ghost", "not a function of this stack", "(Worker)"}},
		{"a topic elsewhere, and a function that is a queue", `        TopicConfigurations:
          - Event: s3:ObjectCreated:*
            Topic: arn:aws:sns:us-east-1:123456789012:other
        LambdaConfigurations:
          - Event: s3:ObjectCreated:*
            Function: !GetAtt Jobs.Arn`,
			[]string{"TopicConfigurations[0].Topic", "(Alerts)", "LambdaConfigurations[0].Function is \"Jobs\""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkNotifications(stacktest.Build(t, withTargets(c.targets)))
			if len(c.want) == 0 {
				if err != nil {
					t.Errorf("got %v, want the stack accepted", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want an error saying %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestDeployRefusesUnknownNotificationTarget deploys a stack whose bucket
// notifies a queue it does not have: the deploy fails naming the bucket and
// the path, and the stack deployed before keeps running.
func TestDeployRefusesUnknownNotificationTarget(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("Resources:\n  Uploads:\n    Type: AWS::S3::Bucket\n"), 0o600)
	os.WriteFile(bad, []byte(`Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        QueueConfigurations:
          - Event: s3:ObjectCreated:*
            Queue: arn:aws:sqs:us-east-1:123456789012:Nope
`), 0o600)
	p, err := New(Options{StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	if _, err := p.Deploy(ctx, good); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	_, err = p.Deploy(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "bucket Uploads: NotificationConfiguration.QueueConfigurations[0].Queue") ||
		!strings.Contains(err.Error(), "the stack has no queues") {
		t.Fatalf("deploy of a notification to an unknown queue: %v, want an error naming the bucket and the path", err)
	}
	if b := p.Buckets().Buckets(); len(b) != 1 || len(b[0].Notifications) != 0 {
		t.Errorf("after the refused deploy the buckets are %+v, want the first deployment's", b)
	}
}
