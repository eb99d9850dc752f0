package platform

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/stacklab/stacklab/internal/services/schedule"
	"github.com/stacklab/stacklab/internal/stack"
)

// scheduleJobs are the stack's schedules: the enabled Schedule and
// ScheduleV2 events of functions, each invoking its function, and the
// enabled AWS::Events::Rule with a ScheduleExpression and a target of the
// stack, each one job whose ticks the events service delivers to all the
// rule's targets (functions, queues, topics; eventsConfig checks them). A
// bad expression or Input fails the deploy; every one is reported, each at
// its function's or rule's resource, disabled ones too (AWS refuses them as
// well).
func scheduleJobs(st *stack.Stack) ([]schedule.Job, error) {
	var jobs []schedule.Job
	var errs []error
	for _, f := range st.Functions {
		for _, e := range f.Events {
			if (e.Type != stack.EventSchedule && e.Type != stack.EventScheduleV2) || !e.Runs || e.Schedule == "" {
				continue
			}
			key := "Schedule"
			if e.Type == stack.EventScheduleV2 {
				key = "ScheduleExpression"
			}
			j, err := scheduleJob(f.ID+e.ID, f.Name, e.Schedule, e.Input)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: function %s event %s: Events.%s.Properties.%s: %w", resourcePos(st, f.ID), f.ID, e.ID, e.ID, key, err))
				continue
			}
			if e.Enabled {
				jobs = append(jobs, j)
			}
		}
	}
	for _, r := range st.Rules {
		if r.Schedule == "" {
			continue
		}
		s, err := schedule.Parse(r.Schedule)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: rule %s: ScheduleExpression: %w", resourcePos(st, r.ID), r.ID, err))
			continue
		}
		if r.Enabled && slices.ContainsFunc(r.Targets, func(t stack.Target) bool {
			kind, _, _, err := ruleTarget(st, t)
			return err == nil && kind != ""
		}) {
			jobs = append(jobs, schedule.Job{Rule: r.ID, Schedule: s})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return jobs, nil
}

func scheduleJob(rule, fn, expr string, input any) (schedule.Job, error) {
	s, err := schedule.Parse(expr)
	if err != nil {
		return schedule.Job{}, err
	}
	j := schedule.Job{Rule: rule, Function: fn, Schedule: s}
	switch in := input.(type) {
	case nil:
	case string:
		if !json.Valid([]byte(in)) {
			return j, fmt.Errorf("the Input %q is not JSON; write it as a JSON text", in)
		}
		j.Input = []byte(in)
	default:
		if j.Input, err = json.Marshal(in); err != nil {
			return j, fmt.Errorf("encoding Input: %w", err)
		}
	}
	return j, nil
}

// ruleFunction is the name of the stack's function a rule target (or a
// subscription's Endpoint) names, or "": by logical id, or by its name or
// ARN, whole or partial. A function ARN may end in a version or an alias
// (function:Name:live, function:Name:3), as AWS accepts; stacklab runs one
// version of a function, so it is the function that runs, as for bucket
// notifications and topic subscriptions.
func ruleFunction(st *stack.Stack, t stack.Target) string {
	name := t.Literal
	if i := strings.LastIndex(name, ":function:"); i >= 0 {
		name, _, _ = strings.Cut(name[i+len(":function:"):], ":") // a version or alias
	}
	for _, f := range st.Functions {
		if t.Ref == f.ID || (t.Ref == "" && name != "" && name == f.Name) {
			return f.Name
		}
	}
	return ""
}

// startSchedules runs the deployed stack's schedules, replacing the ones
// of the previous deployment.
func (p *Platform) startSchedules(jobs []schedule.Job) {
	p.schedules.Start(jobs)
	if len(jobs) > 0 {
		p.log.Info("schedules started", "count", len(jobs))
	}
}
