package platform

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/stack/stacktest"
)

func TestTopicConfigs(t *testing.T) {
	st := &stack.Stack{
		Functions: []*stack.Function{{ID: "Fn", Name: "fn-name", Events: []*stack.Event{
			{ID: "T", Type: stack.EventSNS, Runs: true, Source: stack.Target{Ref: "T"}, FilterPolicy: map[string]any{"a": []any{"x"}}},
			{ID: "Other", Type: stack.EventSNS, Runs: true, Source: stack.Target{Ref: "Other"}},
		}}},
		Topics: []*stack.Topic{{ID: "T", Subscriptions: []stack.Subscription{
			{Protocol: "lambda", Endpoint: stack.Target{Ref: "Fn"}},
			{ID: "Q", Protocol: "sqs", Endpoint: stack.Target{Literal: "arn:aws:sqs:us-east-1:1:Jobs"}, Raw: true},
			{ID: "Mail", Protocol: "email", Endpoint: stack.Target{Literal: "a@example.com"}},
			{ID: "Ext", Protocol: "lambda", Endpoint: stack.Target{Literal: "arn:aws:lambda:us-east-1:1:function:ext"}},
		}}},
	}
	cfgs, skipped := topicConfigs(st)
	if len(cfgs) != 1 || len(skipped) != 1 || !strings.Contains(skipped[0], "email") {
		t.Fatalf("configs %+v, skipped %v", cfgs, skipped)
	}
	var got []string
	for _, s := range cfgs[0].Subscriptions {
		got = append(got, s.ID+" "+s.Protocol+" "+s.Endpoint)
	}
	want := []string{"Subscription0 lambda fn-name", "Q sqs arn:aws:sqs:us-east-1:1:Jobs", "Ext lambda ext", "Fn.T lambda fn-name"}
	if !slices.Equal(got, want) {
		t.Errorf("subscriptions\n%q\nwant\n%q", got, want)
	}
}

const subscriptionsTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: x, Handler: h, Runtime: python3.12, FunctionName: worker-fn}
  Jobs: {Type: AWS::SQS::Queue}
  Named: {Type: AWS::SQS::Queue, Properties: {QueueName: named-q}}
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      Subscription:
        - {Protocol: email, Endpoint: ops@example.com}
INLINE
  Sub:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Alerts
RESOURCE
`

// TestCheckSubscriptions: a lambda or sqs subscription delivers to a
// function or queue of the stack, however the template names it; one that
// names something outside the stack is refused at its resource, with the
// fix; other protocols are accepted (they are not delivered).
func TestCheckSubscriptions(t *testing.T) {
	for _, c := range []struct {
		name, inline, resource string
		want                   []string // empty: accepted
	}{
		{"GetAtt and Ref", `        - {Protocol: sqs, Endpoint: !GetAtt Jobs.Arn}`, `      Protocol: lambda
      Endpoint: !GetAtt Worker.Arn`, nil},
		{"Sub and Ref", `        - {Protocol: lambda, Endpoint: !Ref Worker}`, `      Protocol: sqs
      Endpoint: !Sub "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Named.QueueName}"`, nil},
		{"ARNs of the stack's own", `        - {Protocol: sqs, Endpoint: "arn:aws:sqs:us-east-1:123456789012:named-q"}`, `      Protocol: lambda
      Endpoint: arn:aws:lambda:us-east-1:123456789012:function:worker-fn:live`, nil},
		{"https", ``, `      Protocol: https
      Endpoint: https://example.com/hook`, nil},
		{"a function elsewhere", ``, `      Protocol: lambda
      Endpoint: arn:aws:lambda:us-east-1:123456789012:function:ghost`,
			[]string{"template.yaml:14:3: subscription Sub: Endpoint arn:aws:lambda:us-east-1:123456789012:function:ghost is not a function of this stack", "nothing outside it can receive the messages", "point Endpoint at a function of the template (Worker) with !GetAtt Worker.Arn"}},
		{"a queue elsewhere, inline", `        - {Protocol: sqs, Endpoint: "arn:aws:sqs:us-east-1:123456789012:gone"}`, `      Protocol: sqs
      Endpoint: !GetAtt Jobs.Arn`,
			[]string{"template.yaml:8:3: topic Alerts: Subscription[1]: Endpoint arn:aws:sqs:us-east-1:123456789012:gone is not a queue of this stack", "(Jobs, Named) with !GetAtt Jobs.Arn"}},
		{"a queue as a function", ``, `      Protocol: lambda
      Endpoint: !GetAtt Jobs.Arn`,
			[]string{"subscription Sub: Endpoint names Jobs, an AWS::SQS::Queue, not a function", "or change the Protocol"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(strings.Replace(subscriptionsTemplate, "INLINE", c.inline, 1), "RESOURCE", c.resource, 1)
			st := stacktest.Build(t, src)
			err := checkSubscriptions(st)
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				cfgs, _ := topicConfigs(st)
				for _, s := range cfgs[0].Subscriptions {
					if s.Endpoint != "worker-fn" && s.Endpoint != "Jobs" && s.Endpoint != "Named" {
						t.Errorf("subscription %s delivers to %q, not to the stack's function or queue", s.ID, s.Endpoint)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
		})
	}
}

// TestCheckReportsSubscriptions: validate's checks report an outside
// endpoint as an error at its resource, and protocols that are not
// delivered as warnings.
func TestCheckReportsSubscriptions(t *testing.T) {
	src := strings.Replace(strings.Replace(subscriptionsTemplate, "INLINE", `        - {Protocol: lambda, Endpoint: "arn:aws:lambda:us-east-1:123456789012:function:ext"}`, 1),
		"RESOURCE", "      Protocol: sqs\n      Endpoint: arn:aws:sqs:us-east-1:123456789012:elsewhere", 1)
	var got []string
	for _, d := range Check("template.yaml", stacktest.Build(t, src)) {
		got = append(got, fmt.Sprintf("%s %s %d %s", d.Severity, d.Resource, d.Line, d.Message))
	}
	want := []string{
		"error Alerts 8 Subscription[1]: Endpoint arn:aws:lambda:us-east-1:123456789012:function:ext is not a function of this stack",
		"error Sub 14 Endpoint arn:aws:sqs:us-east-1:123456789012:elsewhere is not a queue of this stack",
		"warning Alerts 8 Subscription[0]: email subscriptions are not delivered; stacklab delivers lambda and sqs subscriptions",
	}
	if len(got) != len(want) {
		t.Fatalf("diagnostics\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d: %s\nwant %s...", i, got[i], want[i])
		}
	}
}

// TestSubscriptionDeployErrors: a deploy whose subscription delivers
// outside the stack fails at the subscription, before anything of it is
// applied; the stack deployed before keeps its topics and queues.
func TestSubscriptionDeployErrors(t *testing.T) {
	ctx := context.Background()
	p, err := New(Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const good = `Resources:
  Jobs: {Type: AWS::SQS::Queue}
  Alerts: {Type: AWS::SNS::Topic}
  Sub:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Alerts, Protocol: sqs, Endpoint: !GetAtt Jobs.Arn}
`
	if _, _, err := p.DeploySource(ctx, "good.yaml", []byte(good), nil); err != nil {
		t.Fatalf("deploying a good subscription: %v", err)
	}
	bad := good + `  Extra: {Type: AWS::SQS::Queue}
  Outside:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Alerts, Protocol: sqs, Endpoint: "arn:aws:sqs:us-east-1:123456789012:theirs"}
`
	_, _, err = p.DeploySource(ctx, "bad.yaml", []byte(bad), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "bad.yaml:8:3: subscription Outside: Endpoint arn:aws:sqs:us-east-1:123456789012:theirs is not a queue of this stack") ||
		!strings.Contains(err.Error(), "point Endpoint at a queue of the template (Jobs, Extra) with !GetAtt Jobs.Arn") {
		t.Fatalf("deploy: %v\nwant an error at bad.yaml:8:3 naming the endpoint and the fix", err)
	}
	var queues []string
	for _, q := range p.Queues().Queues() {
		queues = append(queues, q.ID)
	}
	if !slices.Equal(queues, []string{"Jobs"}) {
		t.Errorf("queues after the failed deploy: %v, want Jobs only", queues)
	}
	if tp := p.Topics().Topics(); len(tp) != 1 || len(tp[0].Subscriptions) != 1 || tp[0].Subscriptions[0].ID != "Sub" {
		t.Errorf("topics after the failed deploy: %+v, want Alerts with Sub", tp)
	}
}
