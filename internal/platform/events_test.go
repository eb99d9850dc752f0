package platform

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/events"
	"github.com/stacklab/stacklab/internal/stack/stacktest"
)

// TestEventRules deploys a bus with a pattern rule to a queue and to the
// echo function (through an InputTransformer that prints the event), and a
// function's EventBridgeRule on the default bus; only the events that
// match reach them, in the shape EventBridge delivers.
func TestEventRules(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs functions")
	}
	ctx := context.Background()
	file, _ := filepath.Abs("testdata/events/template.yaml")
	p, err := New(Options{StateDir: t.TempDir(), AsyncRetryDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Deploy(ctx, file); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	res, err := p.PutEvents(ctx, []events.Entry{
		{Source: "shop", DetailType: "Order Placed", Detail: `{"amount": 250, "id": 7}`, EventBusName: "orders"},
		{Source: "shop", DetailType: "Order Placed", Detail: `{"amount": 5, "id": 8}`, EventBusName: "orders"},
		{Source: "bank", DetailType: "Order Placed", Detail: `{"amount": 900, "id": 9}`, EventBusName: "orders"},
		{Source: "shop", DetailType: "Refund", Detail: `{"print": "refund 10"}`},
		{Source: "shop", DetailType: "Refund", Detail: `{"print": "refund on the wrong bus"}`, EventBusName: "orders"},
		{Source: "shop", DetailType: "Order Placed", Detail: `{}`, EventBusName: "ghost"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.FailedEntryCount != 1 || res.Entries[5].ErrorCode != events.CodeNoBus {
		t.Fatalf("put: %+v, want only the ghost bus refused", res)
	}

	// The queue gets the big order as EventBridge delivers it.
	var got []events.Event
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < 1 && time.Now().Before(deadline) {
		msgs, err := p.Queues().Receive(ctx, "Seen", 10, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			var ev events.Event
			if err := json.Unmarshal([]byte(m.Body), &ev); err != nil {
				t.Fatalf("Seen got %s, not an event: %v", m.Body, err)
			}
			got = append(got, ev)
		}
	}
	if len(got) != 1 || got[0].ID != res.Entries[0].EventID || got[0].Source != "shop" || got[0].DetailType != "Order Placed" ||
		got[0].Version != "0" || got[0].Account != "123456789012" || got[0].Region != "us-east-1" || string(got[0].Detail) != `{"amount":250,"id":7}` ||
		got[0].Resources == nil || got[0].Time == "" {
		t.Fatalf("Seen got %+v, want the big order from shop", got)
	}

	// Echo prints what the transformer and the InputPath give it.
	for _, want := range []string{`eventbridge 250 {"version":"0","id":"` + res.Entries[0].EventID + `"`, "refund 10"} {
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(logText(p, "Echo"), want) {
			if time.Now().After(deadline) {
				t.Fatalf("Echo did not print %q; its log:\n%s", want, logText(p, "Echo"))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	time.Sleep(500 * time.Millisecond)
	log := logText(p, "Echo")
	for _, not := range []string{`"id":8`, `"id":9`, "wrong bus"} {
		if strings.Contains(log, not) {
			t.Errorf("Echo got an event that matches no rule (%s):\n%s", not, log)
		}
	}
	if n := strings.Count(log, "eventbridge 250"); n != 1 {
		t.Errorf("Echo printed the big order %d times, want once:\n%s", n, log)
	}

	// The control API lists both buses and both rules.
	v, status, err := p.ControlEvents(ctx, "GET", nil)
	info, _ := v.(EventsInfo)
	if err != nil || status != 200 || len(info.Buses) != 2 || len(info.Rules) != 2 {
		t.Fatalf("GET /v1/events: %d %v %+v", status, err, v)
	}
	if r := info.Rules[0]; r.ID != "EchoRefunds" || r.Bus != "default" || string(r.Pattern) != `{"detail-type":["Refund"]}` || r.Targets[0].InputPath != "$.detail" {
		t.Errorf("first rule %+v, want the function's EventBridgeRule", r)
	}
	if r := info.Rules[1]; r.ID != "BigOrders" || r.ARN != "arn:aws:events:us-east-1:123456789012:rule/orders/BigOrders" || len(r.Targets) != 2 {
		t.Errorf("second rule %+v, want BigOrders on orders", r)
	}
}

// TestEventRuleDeployErrors deploys rules that cannot run: the deploy
// fails naming the rule and the place, and the stack deployed before
// keeps its rules.
func TestEventRuleDeployErrors(t *testing.T) {
	ctx := context.Background()
	p, err := New(Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const good = `Resources:
  Q: {Type: AWS::SQS::Queue}
  Fine:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [shop]}
      Targets:
        - Id: T
          Arn: !GetAtt Q.Arn
          RetryPolicy: {MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120}
          DeadLetterConfig: {Arn: !GetAtt Q.Arn}
`
	if _, _, err := p.DeploySource(ctx, "good.yaml", []byte(good), nil); err != nil {
		t.Fatalf("deploying a good rule: %v", err)
	}
	for _, c := range []struct{ rule, want string }{
		{`EventPattern: {detail: {amount: [{numeric: [">", 0, "<="]}]}}
      Targets: [{Id: T, Arn: !GetAtt Q.Arn}]`, `rule Bad: EventPattern: invalid event pattern: detail.amount[0]: numeric needs pairs like [">", 0, "<=", 5]`},
		{`EventPattern: '{"source": "shop"}'
      Targets: [{Id: T, Arn: !GetAtt Q.Arn}]`, `rule Bad: EventPattern: invalid event pattern: source: a value must be a list of matches, like ["shop"]`},
		{`EventPattern: {source: [shop]}
      Targets: [{Id: T, Arn: "arn:aws:lambda:us-east-1:123456789012:function:ghost"}]`, "rule Bad: Targets[0] (Id T): arn:aws:lambda:us-east-1:123456789012:function:ghost is not a function, queue or topic of the template"},
		{`EventPattern: {source: [shop]}
      EventBusName: nope
      Targets: [{Id: T, Arn: !GetAtt Q.Arn}]`, "rule Bad: event bus does not exist: nope"},
		{`EventPattern: {source: [shop]}
      Targets: [{Id: T, Arn: !GetAtt Q.Arn, InputPath: "detail"}]`, `rule Bad: target T: invalid parameter: InputPath "detail" does not start with $`},
		{`EventPattern: {source: [shop]}
      Targets: [{Id: T, Arn: !GetAtt Q.Arn, DeadLetterConfig: {Arn: "arn:aws:sqs:us-east-1:123456789012:nope"}}]`,
			"rule Bad: Targets[0] (Id T): DeadLetterConfig.Arn arn:aws:sqs:us-east-1:123456789012:nope is not a queue of the template"},
		{`EventPattern: {source: [shop]}
      Targets: [{Id: T, Arn: !GetAtt Q.Arn, RetryPolicy: {MaximumRetryAttempts: 500}}]`, "rule Bad: target T: invalid parameter: RetryPolicy.MaximumRetryAttempts is 500; give 0 to 185"},
	} {
		src := good + "  Bad:\n    Type: AWS::Events::Rule\n    Properties:\n      " + c.rule + "\n"
		_, _, err := p.DeploySource(ctx, "bad.yaml", []byte(src), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "bad.yaml:12:3: ") {
			t.Errorf("deploy: %v\nwant an error at bad.yaml:12:3 with %q", err, c.want)
		}
	}
	if rules := p.Events().Rules(); len(rules) != 1 || rules[0].ID != "Fine" {
		t.Errorf("rules after failed deploys: %+v, want Fine only", rules)
	} else if tg := rules[0].Targets[0]; tg.DeadLetter != "Q" || tg.MaxRetries == nil || *tg.MaxRetries != 2 || tg.MaxAge != 2*time.Minute {
		t.Errorf("Fine's target %+v, want its RetryPolicy and DeadLetterConfig", tg)
	}

	// The control API's answers to bad requests.
	for _, c := range []struct {
		method, body string
		status       int
		want         string
	}{
		{"POST", `{"entries": 5}`, 400, `the body must be {"entries"`},
		{"POST", `{"entries": [{"Source": "s", "DetailType": "t", "Detail": "{}", "Time": "soon"}]}`, 400, `Time "soon" is not RFC 3339`},
		{"POST", `{"entries": []}`, 400, "give at least one entry"},
		{"DELETE", ``, 400, "GET lists, POST puts"},
	} {
		_, status, err := p.ControlEvents(ctx, c.method, []byte(c.body))
		if status != c.status || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s /v1/events %s: %d %v, want %d and %q", c.method, c.body, status, err, c.status, c.want)
		}
	}
	v, status, err := p.ControlEvents(ctx, "POST", []byte(`{"entries": [{"Source": "s", "DetailType": "t", "Detail": "{}", "Time": 1767323045}]}`))
	if res, _ := v.(events.PutResult); status != 200 || err != nil || res.FailedEntryCount != 0 || res.Entries[0].EventID == "" {
		t.Errorf("POST /v1/events: %d %v %+v, want the event put", status, err, v)
	}
}

const qualifiedTargetsTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: x, Handler: h, Runtime: python3.12, FunctionName: worker-fn}
  Orders:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [shop]}
      Targets:
        - {Id: alias, Arn: "arn:aws:lambda:us-east-1:123456789012:function:worker-fn:live"}
        - {Id: version, Arn: "arn:aws:lambda:us-east-1:123456789012:function:worker-fn:3"}
        - {Id: sub, Arn: !Sub "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${Worker}:live"}
  Tick:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 minute)
      Targets:
        - {Id: t, Arn: "TARGET"}
`

// TestRuleTargetQualifiedFunction: a rule target may be a function ARN
// with a version or alias, as AWS takes it (and as bucket notifications
// and subscriptions do here); the function runs. A qualified ARN of a
// function outside the stack is still refused.
func TestRuleTargetQualifiedFunction(t *testing.T) {
	p := &Platform{events: events.New(nil, nil, nil, nil, events.Options{})}
	src := strings.Replace(qualifiedTargetsTemplate, "TARGET", "arn:aws:lambda:us-east-1:123456789012:function:worker-fn:prod", 1)
	st := stacktest.Build(t, src)
	if diags := Check("template.yaml", st); len(diags) != 0 {
		t.Fatalf("validate: %v, want no findings", diags)
	}
	cfg, err := p.eventsConfig(st)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range cfg.Rules {
		for _, tg := range r.Targets {
			got = append(got, r.ID+" "+tg.ID+" "+tg.Kind+" "+tg.Name)
		}
	}
	want := []string{"Orders alias function worker-fn", "Orders version function worker-fn", "Orders sub function worker-fn", "Tick t function worker-fn"}
	if !slices.Equal(got, want) {
		t.Errorf("targets\n%q\nwant\n%q", got, want)
	}
	jobs, err := scheduleJobs(st)
	if err != nil || len(jobs) != 1 || jobs[0].Rule != "Tick" {
		t.Errorf("schedule jobs %+v, %v; want Tick's", jobs, err)
	}
	if skipped := skippedTargets(st); len(skipped) != 0 {
		t.Errorf("targets reported as not delivered: %v", skipped)
	}

	src = strings.Replace(qualifiedTargetsTemplate, "TARGET", "arn:aws:lambda:us-east-1:123456789012:function:ghost:live", 1)
	diags := Check("template.yaml", stacktest.Build(t, src))
	if len(diags) != 1 || diags[0].Resource != "Tick" || !strings.Contains(diags[0].Message, "function:ghost:live is not a function, queue or topic of the template") {
		t.Errorf("findings %v, want one error at Tick naming the qualified ARN", diags)
	}
}
