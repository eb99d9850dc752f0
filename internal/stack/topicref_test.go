package stack_test

import (
	"strings"
	"testing"
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
	if !hasError(diags, "Fn", "Events.Alerts.Properties.Topic", "Topic arn:aws:sns:us-east-1:999999999999:elsewhere is not a topic of this stack",
		"point Topic at a topic of the template (Orders, Audit) with !Ref Orders") {
		t.Errorf("SNS event on an outside topic: findings %v, want an error with the fix", diags)
	}
	if !hasError(diags, "ToQueue", "TopicArn", "TopicArn arn:aws:sns:us-east-1:123456789012:payments is not a topic of this stack",
		"point TopicArn at a topic of the template (Orders, Audit) with !Ref Orders") {
		t.Errorf("subscription to an outside topic: findings %v, want an error with the fix", diags)
	}

	_, diags = build(t, src("orders", "!Ref Jobs"))
	if !hasError(diags, "ToQueue", "TopicArn", "TopicArn names Jobs, an AWS::SQS::Queue, not a topic", "with !Ref Orders") {
		t.Errorf("TopicArn naming a queue: findings %v, want an error with the fix", diags)
	}

	_, diags = build(t, strings.NewReplacer(
		"  Orders: {Type: AWS::SNS::Topic, Properties: {TopicName: orders}}\n", "",
		"  Audit: {Type: AWS::SNS::Topic}\n", "").Replace(src("orders", "orders")))
	if !hasError(diags, "ToQueue", "TopicArn", "add an AWS::SNS::Topic to the template and point TopicArn at it with !Ref Topic") ||
		!hasError(diags, "Fn", "Events.Alerts.Properties.Topic", "add an AWS::SNS::Topic to the template and point Topic at it") {
		t.Errorf("no topic in the template: findings %v, want errors saying to add one", diags)
	}
}
