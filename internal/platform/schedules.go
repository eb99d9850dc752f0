package platform

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stacklab/stacklab/internal/services/schedule"
	"github.com/stacklab/stacklab/internal/stack"
)

// scheduleJobs are the stack's schedules: the enabled Schedule and
// ScheduleV2 events of functions, and the enabled AWS::Events::Rule with a
// ScheduleExpression targeting functions of the stack. A bad expression or
// Input fails the deploy.
func scheduleJobs(st *stack.Stack) ([]schedule.Job, error) {
	var jobs []schedule.Job
	for _, f := range st.Functions {
		for _, e := range f.Events {
			if (e.Type != stack.EventSchedule && e.Type != stack.EventScheduleV2) || !e.Enabled || e.Schedule == "" {
				continue
			}
			j, err := scheduleJob(f.ID+e.ID, f.Name, e.Schedule, e.Input)
			if err != nil {
				return nil, fmt.Errorf("function %s event %s: %w", f.ID, e.ID, err)
			}
			jobs = append(jobs, j)
		}
	}
	for _, r := range st.Rules {
		if r.Schedule == "" || !r.Enabled {
			continue
		}
		for _, t := range r.Targets {
			fn := ruleFunction(st, t)
			if fn == "" {
				continue // not a function of this stack
			}
			j, err := scheduleJob(r.ID, fn, r.Schedule, nil)
			if err != nil {
				return nil, fmt.Errorf("rule %s: %w", r.ID, err)
			}
			jobs = append(jobs, j)
		}
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

// ruleFunction is the name of the stack's function a rule target names, or "".
func ruleFunction(st *stack.Stack, t stack.Target) string {
	for _, f := range st.Functions {
		if t.Ref == f.ID || (t.Literal != "" && (t.Literal == f.Name || strings.HasSuffix(t.Literal, ":function:"+f.Name))) {
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
