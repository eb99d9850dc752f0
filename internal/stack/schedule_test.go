package stack_test

import (
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/diag"
)

const scheduleKindsTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: x
      Handler: h
      Runtime: python3.12
      Events:
        Rule: {Type: Schedule, Properties: {Schedule: "%RULE%"}}
        Scheduler: {Type: ScheduleV2, Properties: {ScheduleExpression: "%V2%"}}
  Tick:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: "%RES%"
      Targets: [{Id: t, Arn: !GetAtt Fn.Arn}]
`

// EventBridge rules (a SAM Schedule event, an AWS::Events::Rule) take
// rate() and cron() only; at() is for EventBridge Scheduler (ScheduleV2).
func TestScheduleExpressionKinds(t *testing.T) {
	src := func(rule, v2, res string) string {
		return strings.NewReplacer("%RULE%", rule, "%V2%", v2, "%RES%", res).Replace(scheduleKindsTemplate)
	}
	s, diags := build(t, src("rate(5 minutes)", "at(2026-12-25T08:00:00)", "cron(0 2 * * ? *)"))
	if diags.HasErrors() {
		t.Fatalf("rate, at on ScheduleV2 and cron: findings %v", diags)
	}
	if got := s.Functions[0].Events[1].Schedule; got != "at(2026-12-25T08:00:00)" {
		t.Errorf("ScheduleV2 expression %q", got)
	}

	_, diags = build(t, src("at(2026-12-25T08:00:00)", "rate(1 hour)", "at(2026-12-25T08:00:00)"))
	if !hasError(diags, "Fn", "Events.Rule.Properties.Schedule", "a Schedule event makes an EventBridge rule", "not at()", "make it a ScheduleV2 event") {
		t.Errorf("at() on a Schedule event: findings %v, want an error with the fix", diags)
	}
	if !hasError(diags, "Tick", "ScheduleExpression", "an EventBridge rule takes rate() and cron() expressions, not at()", "ScheduleV2") {
		t.Errorf("at() on an AWS::Events::Rule: findings %v, want an error with the fix", diags)
	}
	if n, _ := diags.Count(); n != 2 {
		t.Errorf("findings %v, want the two errors only", diags)
	}

	_, diags = build(t, src("every 5 minutes", "daily(1)", "5 minutes"))
	for _, c := range []struct{ res, prop, fix string }{
		{"Fn", "Events.Rule.Properties.Schedule", "write rate(5 minutes) or cron(0 12 * * ? *)"},
		{"Fn", "Events.Scheduler.Properties.ScheduleExpression", "or at(2026-01-01T00:00:00)"},
		{"Tick", "ScheduleExpression", "write rate(5 minutes) or cron(0 12 * * ? *)"},
	} {
		if !hasError(diags, c.res, c.prop, "is not a schedule expression", c.fix) {
			t.Errorf("findings %v, want an error on %s %s with %q", diags, c.res, c.prop, c.fix)
		}
	}
	for _, d := range diags {
		if d.Severity == diag.Error && strings.Contains(d.Fix, "at(") && d.Property != "Events.Scheduler.Properties.ScheduleExpression" {
			t.Errorf("%s: the fix offers at(), which the rule does not take", d)
		}
	}
}
