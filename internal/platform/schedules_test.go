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
		got = append(got, j.Rule+" "+j.Function+" "+j.Schedule.String()+" "+string(j.Input))
	}
	want := []string{
		"SweeperNightly sweeper cron(0 2 * * ? *) ",
		"SweeperOften sweeper rate(5 minutes) {\"mode\":\"quick\"}",
		"Tick sweeper rate(1 minute) ",
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
