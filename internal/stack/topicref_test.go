package stack_test

import (
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/diag"
)

const topicRefsTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: x
      Handler: h
      Runtime: python3.12
      Events:
        Alerts: {Type: SNS, Properties: {Topic: "%EVENT%"}}
  Jobs: {Type: AWS::SQS::Queue}
  Orders: {Type: AWS::SNS::Topic, Properties: {TopicName: orders}}
  Audit: {Type: AWS::SNS::Topic}
  ToQueue:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: %SUB%
      Protocol: sqs
      Endpoint: !GetAtt Jobs.Arn
`

// A subscription or an SNS event on a topic that is not of the stack gets
// no message: it is an error at its TopicArn or Topic, naming the topics of
// the template to point at; a topic of the stack given by !Ref, name or
// ARN is accepted, and the subscription is attached to it.
func TestTopicRefsOutsideTheStack(t *testing.T) {
	src := func(event, sub string) string {
		return strings.NewReplacer("%EVENT%", event, "%SUB%", sub).Replace(topicRefsTemplate)
	}
	for _, c := range []struct{ event, sub string }{
		{"arn:aws:sns:us-east-1:123456789012:orders", "!Ref Orders"},
		{"orders", "arn:aws:sns:us-east-1:123456789012:Audit"},
	} {
		s, diags := build(t, src(c.event, c.sub))
		if diags.HasErrors() {
			t.Fatalf("topics of the stack (%s, %s): findings %v", c.event, c.sub, diags)
		}
		n := 0
		for _, tp := range s.Topics {
			for _, sub := range tp.Subscriptions {
				if sub.ID == "ToQueue" {
					n++
				}
			}
		}
		if n != 1 {
			t.Errorf("TopicArn %s: ToQueue is attached to %d topics, want 1", c.sub, n)
		}
	}

	_, diags := build(t, src("arn:aws:sns:us-east-1:999999999999:elsewhere", "arn:aws:sns:us-east-1:123456789012:payments"))
	// A topic outside the stack is valid CloudFormation, and nothing is
	// lost (nothing publishes to it): a warning, not an error.
	if diags.HasErrors() {
		t.Errorf("topics outside the stack: errors %v, want warnings only", diags)
	}
	if !hasWarning(diags, "Fn", "Events.Alerts.Properties.Topic", "Topic arn:aws:sns:us-east-1:999999999999:elsewhere is not a topic of this stack",
		"point Topic at a topic of the template (Orders, Audit) with !Ref Orders") {
		t.Errorf("SNS event on an outside topic: findings %v, want a warning with the fix", diags)
	}
	if !hasWarning(diags, "ToQueue", "TopicArn", "TopicArn arn:aws:sns:us-east-1:123456789012:payments is not a topic of this stack",
		"point TopicArn at a topic of the template (Orders, Audit) with !Ref Orders") {
		t.Errorf("subscription to an outside topic: findings %v, want a warning with the fix", diags)
	}

	// A topic SAM makes for a function (its destination topic) is named
	// "Function.DestinationTopic": not the function itself.
	_, diags = build(t, src("orders", "!Ref Fn.DestinationTopic"))
	if diags.HasErrors() || !hasWarning(diags, "ToQueue", "TopicArn", "a topic SAM makes for Fn") {
		t.Errorf("TopicArn !Ref Fn.DestinationTopic: findings %v, want a warning and no error", diags)
	}

	_, diags = build(t, src("orders", "!Ref Jobs"))
	if !hasError(diags, "ToQueue", "TopicArn", "TopicArn names Jobs, an AWS::SQS::Queue, not a topic", "with !Ref Orders") {
		t.Errorf("TopicArn naming a queue: findings %v, want an error with the fix", diags)
	}

	_, diags = build(t, strings.NewReplacer(
		"  Orders: {Type: AWS::SNS::Topic, Properties: {TopicName: orders}}\n", "",
		"  Audit: {Type: AWS::SNS::Topic}\n", "").Replace(src("orders", "orders")))
	if !hasWarning(diags, "ToQueue", "TopicArn", "add an AWS::SNS::Topic to the template and point TopicArn at it with !Ref Topic") ||
		!hasWarning(diags, "Fn", "Events.Alerts.Properties.Topic", "add an AWS::SNS::Topic to the template and point Topic at it") {
		t.Errorf("no topic in the template: findings %v, want warnings saying to add one", diags)
	}
}

// hasWarning is hasError for a warning.
func hasWarning(diags diag.List, res, prop string, parts ...string) bool {
	var warnings diag.List
	for _, d := range diags {
		if d.Severity == diag.Warning {
			d.Severity = diag.Error
			warnings = append(warnings, d)
		}
	}
	return hasError(warnings, res, prop, parts...)
}
