package stack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/template"
)

// TestBuildManyStateMachinesAndSubscriptions checks the edges of a template
// with many state machines and SNS subscriptions. Build used to look each
// one's resource and topic up in the list of all of them: 20 seconds for
// 30,000 state machines and 30,000 subscriptions.
func TestBuildManyStateMachinesAndSubscriptions(t *testing.T) {
	const n = 5000
	var b strings.Builder
	b.WriteString("Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {Code: {ZipFile: x}, Handler: index.handler, Runtime: nodejs20.x, Role: r}\n")
	for i := range n {
		fmt.Fprintf(&b, "  M%d:\n    Type: AWS::StepFunctions::StateMachine\n    Properties: {DefinitionString: !Sub '${Fn.Arn}'}\n", i)
		fmt.Fprintf(&b, "  T%d:\n    Type: AWS::SNS::Topic\n", i)
		fmt.Fprintf(&b, "  S%d:\n    Type: AWS::SNS::Subscription\n    Properties: {TopicArn: !Ref T%d, Protocol: lambda, Endpoint: !GetAtt Fn.Arn}\n", i, i)
	}
	tmpl, diags := template.Load("many.yaml", []byte(b.String()), template.Options{})
	if tmpl == nil || diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	s, diags := stack.Build(tmpl)
	if diags.HasErrors() {
		t.Fatalf("Build: %v", diags)
	}
	for i, topic := range s.Topics {
		if len(topic.Subscriptions) != 1 || topic.Subscriptions[0].ID != fmt.Sprintf("S%d", i) {
			t.Fatalf("topic %s: got subscriptions %+v, want S%d", topic.ID, topic.Subscriptions, i)
		}
	}
	tasks := 0
	for _, e := range s.Graph.Edges {
		if e.To == "Fn" && e.Label == "task" {
			tasks++
		}
	}
	if tasks != n {
		t.Errorf("got %d task edges to Fn, want %d", tasks, n)
	}
}

// TestBuildManyDuplicateRoutes checks that every function that repeats an
// API route is named at its own place; each was looked up in the list of
// all resources.
func TestBuildManyDuplicateRoutes(t *testing.T) {
	const n = 3000
	var b strings.Builder
	b.WriteString("Transform: AWS::Serverless-2016-10-31\nResources:\n")
	for i := range n {
		fmt.Fprintf(&b, "  F%d:\n    Type: AWS::Serverless::Function\n    Properties: {InlineCode: x, Handler: h, Runtime: python3.12, Events: {Get: {Type: Api, Properties: {Path: /x, Method: get}}}}\n", i)
	}
	tmpl, _ := template.Load("routes.yaml", []byte(b.String()), template.Options{})
	_, diags := stack.Build(tmpl)
	dups := 0
	for _, d := range diags {
		if !strings.Contains(d.Message, "defined more than once") {
			continue
		}
		dups++
		if want := fmt.Sprintf("F%d", (d.Line-3)/3); d.Resource != want {
			t.Fatalf("finding at line %d names %s, want %s", d.Line, d.Resource, want)
		}
	}
	if dups != n-1 {
		t.Errorf("got %d duplicate routes, want %d", dups, n-1)
	}
}
