package platform

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/services/events"
	"github.com/stacklab/stacklab/internal/services/schedule"
	"github.com/stacklab/stacklab/internal/services/topic"
	"github.com/stacklab/stacklab/internal/stack/stacktest"
)

const scheduledQueueTopicTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Ticks: {Type: AWS::SQS::Queue}
  Notified: {Type: AWS::SQS::Queue}
  Alarms: {Type: AWS::SNS::Topic}
  ToNotified:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Alarms, Protocol: sqs, Endpoint: !GetAtt Notified.Arn}
  Every:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 minute)
      Targets:
        - {Id: q, Arn: !GetAtt Ticks.Arn}
        - {Id: t, Arn: !Ref Alarms, Input: '{"alarm": "tick"}'}
`

// TestScheduledRuleToQueueAndTopic: an AWS::Events::Rule with a
// ScheduleExpression and only a queue and a topic as targets runs. Two
// platforms share one NATS and one clock; through three ticks the queue
// gets three scheduled events, one a minute, and the topic three times the
// target's Input: each tick is claimed once for the rule, then delivered to
// every target.
func TestScheduledRuleToQueueAndTopic(t *testing.T) {
	ctx := context.Background()
	nats, err := bus.Start(ctx, bus.Options{Dir: t.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer nats.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(file, []byte(scheduledQueueTopicTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	clock := schedule.NewManualClock(time.Date(2026, 11, 22, 9, 59, 30, 0, time.UTC))
	var ps []*Platform
	for range 2 {
		p, err := New(Options{StateDir: t.TempDir(), BusURL: nats.ClientURL(), Clock: clock, Region: "eu-west-1", AccountID: "111122223333"})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if _, err := p.Deploy(ctx, file); err != nil {
			t.Fatalf("deploy: %v", err)
		}
		ps = append(ps, p)
	}
	const ticks = 3
	for range ticks {
		waitUntil(t, "both platforms to wait for the tick", func() bool { return clock.Pending() == len(ps) })
		clock.Advance(time.Minute)
	}
	waitUntil(t, "both platforms to wait again", func() bool { return clock.Pending() == len(ps) })

	receive := func(q string, n int) []string {
		var bodies []string
		deadline := time.Now().Add(20 * time.Second)
		for len(bodies) < n && time.Now().Before(deadline) {
			msgs, err := ps[0].Queues().Receive(ctx, q, 10, 200*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				bodies = append(bodies, m.Body)
				if err := ps[0].Queues().Delete(ctx, q, m.ReceiptHandle); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Nothing more comes: each tick reaches each target once.
		more, _ := ps[1].Queues().Receive(ctx, q, 10, 500*time.Millisecond)
		for _, m := range more {
			bodies = append(bodies, m.Body)
		}
		return bodies
	}
	var times []string
	for _, b := range receive("Ticks", ticks) {
		var ev events.Event
		if err := json.Unmarshal([]byte(b), &ev); err != nil {
			t.Fatalf("Ticks got %s: %v", b, err)
		}
		if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || ev.Account != "111122223333" || ev.Region != "eu-west-1" ||
			!slices.Equal(ev.Resources, []string{"arn:aws:events:eu-west-1:111122223333:rule/Every"}) || string(ev.Detail) != "{}" {
			t.Errorf("Ticks got %s, want the rule's scheduled event", b)
		}
		times = append(times, ev.Time)
	}
	slices.Sort(times)
	if want := []string{"2026-11-22T10:00:00Z", "2026-11-22T10:01:00Z", "2026-11-22T10:02:00Z"}; !slices.Equal(times, want) {
		t.Errorf("Ticks got events at %v, want one at each of %v", times, want)
	}
	notified := receive("Notified", ticks)
	if len(notified) != ticks {
		t.Errorf("Notified got %d messages, want %d: %v", len(notified), ticks, notified)
	}
	for _, b := range notified {
		var env topic.Envelope
		if err := json.Unmarshal([]byte(b), &env); err != nil || env.Message != `{"alarm": "tick"}` || !strings.HasSuffix(env.TopicArn, ":Alarms") {
			t.Errorf("Notified got %s, want the target's Input published to Alarms", b)
		}
	}
}

// A scheduled rule's targets are checked as a pattern rule's: one outside
// the stack fails validate, at the rule.
func TestScheduledRuleTargetOutsideTheStack(t *testing.T) {
	src := strings.Replace(scheduledQueueTopicTemplate, "!GetAtt Ticks.Arn", "arn:aws:sqs:eu-west-1:111122223333:elsewhere", 1)
	diags := Check("template.yaml", stacktest.Build(t, src))
	if len(diags) != 1 || diags[0].Resource != "Every" || !strings.Contains(diags[0].Message, "elsewhere is not a function, queue or topic of the template") {
		t.Errorf("findings %v, want one error at Every naming the target", diags)
	}
}
