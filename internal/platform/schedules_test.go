package platform

import (
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/stack/stacktest"
)

const schedulesTemplate = `
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Sweeper:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: sweeper
      Runtime: python3.12
      Handler: app.handler
      CodeUri: .
      Events:
        Nightly:
          Type: Schedule
          Properties:
            Schedule: cron(0 2 * * ? *)
        Often:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(5 minutes)
            Input: '{"mode":"quick"}'
        Off:
          Type: Schedule
          Properties:
            Schedule: rate(1 hour)
            Enabled: false
  Tick:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 minute)
      Targets:
        - Id: t
          Arn: !GetAtt Sweeper.Arn
  Disabled:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 minute)
      State: DISABLED
      Targets:
        - Id: t
          Arn: !GetAtt Sweeper.Arn
`

func TestScheduleJobs(t *testing.T) {
	jobs, err := scheduleJobs(stacktest.Build(t, schedulesTemplate))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		fn := j.Function
		if fn == "" {
			fn = "(the rule's targets)"
		}
		got = append(got, j.Rule+" "+fn+" "+j.Schedule.String()+" "+string(j.Input))
	}
	// A rule is one job, whatever its targets; the events service delivers
	// its ticks to them.
	want := []string{
		"SweeperNightly sweeper cron(0 2 * * ? *) ",
		"SweeperOften sweeper rate(5 minutes) {\"mode\":\"quick\"}",
		"Tick (the rule's targets) rate(1 minute) ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got jobs\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestScheduleJobsBadExpression(t *testing.T) {
	src := strings.Replace(schedulesTemplate, "cron(0 2 * * ? *)", "cron(0 2 * * * *)", 1)
	_, err := scheduleJobs(stacktest.Build(t, src))
	if err == nil || !strings.Contains(err.Error(), "Sweeper event Nightly") || !strings.Contains(err.Error(), "write ? in one of them") {
		t.Errorf("got %v, want an error naming the event and the fix", err)
	}
}

// TestScheduleJobsReportsEveryBadExpression: every bad expression or Input
// is reported, each at its function's or rule's resource with the fix,
// disabled ones and rules that target no function included.
func TestScheduleJobsReportsEveryBadExpression(t *testing.T) {
	src := strings.NewReplacer(
		"cron(0 2 * * ? *)", "cron(0 2 * * * *)",
		"rate(5 minutes)", "rate(5 minute)",
		"Schedule: rate(1 hour)", "Schedule: rate(0 hours)",
		"ScheduleExpression: rate(1 minute)\n      Targets", "ScheduleExpression: cron(61 * * * ? *)\n      Targets",
	).Replace(schedulesTemplate) + `  ToQueue:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 minutes)
      Targets: [{Id: q, Arn: !GetAtt Q.Arn}]
  Q: {Type: AWS::SQS::Queue}
`
	jobs, err := scheduleJobs(stacktest.Build(t, src))
	if err == nil || jobs != nil {
		t.Fatalf("jobs %v, error %v; want every error and no job", jobs, err)
	}
	want := []string{
		`template.yaml:5:3: function Sweeper event Nightly: Events.Nightly.Properties.Schedule: schedule expression "cron(0 2 * * * *)"`,
		`template.yaml:5:3: function Sweeper event Often: Events.Often.Properties.ScheduleExpression: schedule expression "rate(5 minute)": write rate(5 minutes)`,
		`template.yaml:5:3: function Sweeper event Off: Events.Off.Properties.Schedule: schedule expression "rate(0 hours)"`,
		`template.yaml:27:3: rule Tick: ScheduleExpression: schedule expression "cron(61 * * * ? *)"`,
		`template.yaml:42:3: rule ToQueue: ScheduleExpression: schedule expression "rate(1 minutes)": write rate(1 minute)`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d errors:\n%v\nwant %d", len(lines), err, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d: %s\nwant %s...", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[0], "write ? in one of them") {
		t.Errorf("error %q does not give the fix", lines[0])
	}
}
