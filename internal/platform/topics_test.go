package platform

import (
	"slices"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
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
