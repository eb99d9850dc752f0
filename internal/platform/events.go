package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/services/events"
	"github.com/stacklab/stacklab/internal/services/topic"
	"github.com/stacklab/stacklab/internal/stack"
)

var _ server.Events = (*Platform)(nil)

// topicPublisher publishes rule deliveries through the topic service.
type topicPublisher struct{ p *Platform }

func (t topicPublisher) Publish(ctx context.Context, name, message string) error {
	_, err := t.p.topics.Publish(ctx, name, topic.PublishInput{Message: message})
	return err
}

// newEvents returns the platform's events service; it delivers to the
// runtime, the queues and the topics. The default bus takes events before
// the first deploy; they are matched against the rules once one is made.
func newEvents(p *Platform) *events.Service {
	s := events.New(p.bus.JetStream(), p.rt, p.queues, topicPublisher{p}, events.Options{
		Region: p.opts.Region, AccountID: p.opts.AccountID, Logger: p.opts.Logger, RetryDelay: p.opts.AsyncRetryDelay, Telemetry: p.tel})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Apply(ctx, events.Config{}); err != nil {
		p.log.Warn("the default event bus takes no events until a deploy", "err", err)
	}
	return s
}

// eventsConfig is the stack's buses and rules as the events service runs
// them, checked: AWS::Events::EventBus resources, the AWS::Events::Rule
// resources with an EventPattern or a ScheduleExpression (the scheduler
// says when the latter fire, scheduleJobs), and the EventBridgeRule and
// CloudWatchEvent events of functions. A target that names nothing of
// the stack, or a bad pattern, fails the deploy; a target of a kind that
// is not delivered (state machines, streams, ...) is reported.
func (p *Platform) eventsConfig(st *stack.Stack) (events.Config, error) {
	var cfg events.Config
	var where []stack.Pos // of each rule's resource, for errors
	at := func(id string) stack.Pos {
		if r := st.Lookup(id); r != nil {
			return r.Pos
		}
		return stack.Pos{}
	}
	for _, b := range st.EventBuses {
		cfg.Buses = append(cfg.Buses, events.Bus{ID: b.ID, Name: b.Name})
	}
	for _, r := range st.Rules {
		if r.Pattern == nil && r.Schedule == "" {
			continue
		}
		rc, err := ruleConfig(st, r)
		if err != nil {
			return cfg, fmt.Errorf("%s: rule %s: %w", at(r.ID), r.ID, err)
		}
		cfg.Rules = append(cfg.Rules, rc)
		where = append(where, at(r.ID))
	}
	for _, f := range st.Functions {
		for _, e := range f.Events {
			if (e.Type != stack.EventEventBridgeRule && e.Type != stack.EventCloudWatchEvent) || !e.Runs {
				continue
			}
			id := f.ID + e.ID
			if e.Pattern == nil {
				return cfg, fmt.Errorf("%s: function %s event %s: a %s event needs a Pattern, like {source: [my.app]}", at(f.ID), f.ID, e.ID, e.Type)
			}
			bus, err := ruleBus(st, e.Source)
			if err != nil {
				return cfg, fmt.Errorf("%s: function %s event %s: %w", at(f.ID), f.ID, e.ID, err)
			}
			t := events.Target{ID: id + "LambdaTarget", Kind: events.Function, Name: f.Name}
			if tp, ok := e.Properties["Target"].(map[string]any); ok {
				t.ID = firstNonEmpty(strProp(tp["Id"]), t.ID)
			}
			if err := targetInput(st, &t, e.Properties); err != nil {
				return cfg, fmt.Errorf("%s: function %s event %s: %w", at(f.ID), f.ID, e.ID, err)
			}
			cfg.Rules = append(cfg.Rules, events.Rule{ID: id, Name: firstNonEmpty(strProp(e.Properties["RuleName"]), id), Bus: bus,
				Pattern: e.Pattern, Enabled: e.Enabled, Targets: []events.Target{t}})
			where = append(where, at(f.ID))
		}
	}
	// Each rule on its own first, so that an error has its place.
	for i, rc := range cfg.Rules {
		if err := p.events.Check(events.Config{Buses: cfg.Buses, Rules: []events.Rule{rc}}); err != nil {
			return cfg, fmt.Errorf("%s: %w", where[i], err)
		}
	}
	if err := p.events.Check(cfg); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// ruleConfig is one AWS::Events::Rule with an EventPattern or a
// ScheduleExpression.
func ruleConfig(st *stack.Stack, r *stack.Rule) (events.Rule, error) {
	rc := events.Rule{ID: r.ID, Name: r.ID, Pattern: r.Pattern, Schedule: r.Schedule, Enabled: r.Enabled}
	var props map[string]any
	if res := st.Lookup(r.ID); res != nil {
		props = res.Properties
	}
	rc.Name = firstNonEmpty(strProp(props["Name"]), r.ID)
	bus, err := ruleBus(st, r.EventBus)
	if err != nil {
		return rc, err
	}
	rc.Bus = bus
	raw, _ := props["Targets"].([]any)
	for i, tt := range r.Targets {
		var tp map[string]any
		if i < len(raw) {
			tp, _ = raw[i].(map[string]any)
		}
		t := events.Target{ID: firstNonEmpty(strProp(tp["Id"]), fmt.Sprintf("Target%d", i))}
		kind, name, skip, err := ruleTarget(st, tt)
		if err != nil {
			return rc, fmt.Errorf("Targets[%d] (Id %s): %w", i, t.ID, err)
		}
		if skip != "" {
			continue // logged by applyEvents (skippedTargets)
		}
		t.Kind, t.Name = kind, name
		if err := targetInput(st, &t, tp); err != nil {
			return rc, fmt.Errorf("Targets[%d] (Id %s): %w", i, t.ID, err)
		}
		if kind == events.Queue {
			if sp, ok := tp["SqsParameters"].(map[string]any); ok {
				t.GroupID = strProp(sp["MessageGroupId"])
			}
			for _, q := range st.Queues {
				if q.ID == name && q.Fifo && t.GroupID == "" {
					return rc, fmt.Errorf("Targets[%d] (Id %s): %s is a FIFO queue; add SqsParameters: {MessageGroupId: ...} to the target", i, t.ID, q.ID)
				}
			}
		}
		rc.Targets = append(rc.Targets, t)
	}
	return rc, nil
}

// ruleBus is the name of the bus a rule or event names; "" is the default.
func ruleBus(st *stack.Stack, t stack.Target) (string, error) {
	if t.Ref != "" {
		for _, b := range st.EventBuses {
			if b.ID == t.Ref {
				return b.Name, nil
			}
		}
		return "", fmt.Errorf("EventBusName: %s is not an AWS::Events::EventBus of the template; add one, or leave EventBusName out for the default bus", t.Ref)
	}
	return t.Literal, nil
}

// ruleTarget finds what a rule's target Arn names: a function (by name;
// its ARN may end in a version or alias, and the function runs), a queue
// or a topic (by logical id). skip is set for resources of the stack
// and ARNs of services whose targets are not delivered; a Lambda, SQS or
// SNS ARN or a Ref that names nothing of the stack is an error.
func ruleTarget(st *stack.Stack, t stack.Target) (kind, name, skip string, err error) {
	if fn := ruleFunction(st, t); fn != "" {
		return events.Function, fn, "", nil
	}
	for _, q := range st.Queues {
		if t.Ref == q.ID || t.Ref == "" && namesQueue(q, t.Literal) {
			return events.Queue, q.ID, "", nil
		}
	}
	for _, tp := range st.Topics {
		if isTopic(tp, t) {
			return events.Topic, tp.ID, "", nil
		}
	}
	const fix = "point Arn at a function (!GetAtt Fn.Arn), queue (!GetAtt Queue.Arn) or topic (!Ref Topic) of the template"
	if t.Ref != "" {
		if r := st.Lookup(t.Ref); r != nil {
			return "", "", r.Type, nil
		}
		return "", "", "", fmt.Errorf("Arn names %s, which is not a resource of the template; %s", t.Ref, fix)
	}
	if t.Literal == "" {
		return "", "", "", fmt.Errorf("the Arn is missing or computed from something stacklab cannot resolve; %s", fix)
	}
	lit := t.Literal
	if !strings.HasPrefix(lit, "arn:") || strings.HasPrefix(lit, "arn:aws:lambda:") || strings.HasPrefix(lit, "arn:aws:sqs:") || strings.HasPrefix(lit, "arn:aws:sns:") {
		return "", "", "", fmt.Errorf("%s is not a function, queue or topic of the template; %s; %s", lit, outside, fix)
	}
	return "", "", t.Literal, nil
}

// targetInput reads a target's Input, InputPath, InputTransformer,
// RetryPolicy and DeadLetterConfig.
func targetInput(st *stack.Stack, t *events.Target, props map[string]any) error {
	if err := targetRetries(st, t, props); err != nil {
		return err
	}
	switch in := props["Input"].(type) {
	case nil:
	case string:
		t.Input = in
	default:
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("Input: %v", err)
		}
		t.Input = string(b)
	}
	t.InputPath = strProp(props["InputPath"])
	if tr, ok := props["InputTransformer"].(map[string]any); ok {
		t.Transformer = &events.Transformer{PathsMap: map[string]string{}, Template: strProp(tr["InputTemplate"])}
		m, _ := tr["InputPathsMap"].(map[string]any)
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("InputTransformer.InputPathsMap.%s must be a JSONPath text, like $.detail.state", k)
			}
			t.Transformer.PathsMap[k] = s
		}
	}
	return nil
}

// targetRetries reads a target's RetryPolicy and DeadLetterConfig; the
// dead-letter queue must be a queue of the stack.
func targetRetries(st *stack.Stack, t *events.Target, props map[string]any) error {
	if rp, ok := props["RetryPolicy"].(map[string]any); ok {
		if v, ok := rp["MaximumRetryAttempts"]; ok {
			n, ok := intProp(v)
			if !ok {
				return fmt.Errorf("RetryPolicy.MaximumRetryAttempts must be a number from 0 to 185, not %v", v)
			}
			t.MaxRetries = &n
		}
		if v, ok := rp["MaximumEventAgeInSeconds"]; ok {
			n, ok := intProp(v)
			if !ok {
				return fmt.Errorf("RetryPolicy.MaximumEventAgeInSeconds must be a number from 60 to 86400, not %v", v)
			}
			t.MaxAge = time.Duration(n) * time.Second
		}
	}
	dl, ok := props["DeadLetterConfig"].(map[string]any)
	if !ok {
		return nil
	}
	arn, ok := dl["Arn"]
	if !ok {
		return fmt.Errorf("DeadLetterConfig: stacklab does not create the queue SAM makes for Type; add an AWS::SQS::Queue and give its Arn (!GetAtt Queue.Arn)")
	}
	ref := symbolicTarget(arn)
	for _, q := range st.Queues {
		if ref.Ref == q.ID || ref.Ref == "" && namesQueue(q, ref.Literal) {
			t.DeadLetter = q.ID
			return nil
		}
	}
	return fmt.Errorf("DeadLetterConfig.Arn %s is not a queue of the template; %s: point it at one with !GetAtt Queue.Arn", ref, outside)
}

// symbolicTarget is what a resolved property names: {"Ref": id},
// {"Fn::GetAtt": [id, attr]} or a literal name or ARN.
func symbolicTarget(v any) stack.Target {
	switch x := v.(type) {
	case string:
		return stack.Target{Literal: x}
	case map[string]any:
		if id, ok := x["Ref"].(string); ok {
			return stack.Target{Ref: id}
		}
		switch ga := x["Fn::GetAtt"].(type) {
		case []any:
			if len(ga) > 0 {
				if id, ok := ga[0].(string); ok {
					return stack.Target{Ref: id}
				}
			}
		case string:
			id, _, _ := strings.Cut(ga, ".")
			return stack.Target{Ref: id}
		}
	}
	return stack.Target{}
}

// intProp reads a whole number of a resolved property.
func intProp(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		return int(n), n == float64(int(n))
	case int:
		return n, true
	case int64:
		return int(n), true
	case string:
		i, err := strconv.Atoi(n)
		return i, err == nil
	}
	return 0, false
}

func strProp(v any) string {
	s, _ := v.(string)
	return s
}

// skippedTargets are the targets of rules that are not delivered, for the
// deploy's log.
func skippedTargets(st *stack.Stack) []string {
	var out []string
	for _, r := range st.Rules {
		if r.Pattern == nil && r.Schedule == "" {
			continue
		}
		for i, t := range r.Targets {
			if _, _, skip, err := ruleTarget(st, t); err == nil && skip != "" {
				out = append(out, fmt.Sprintf("rule %s Targets[%d]: %s", r.ID, i, skip))
			}
		}
	}
	return out
}

// applyEvents serves the buses and rules checked by eventsConfig.
func (p *Platform) applyEvents(ctx context.Context, st *stack.Stack, cfg events.Config) error {
	for _, s := range skippedTargets(st) {
		p.log.Warn("event rule target not delivered: rules deliver to functions, queues and topics", "target", s)
	}
	return p.events.Apply(ctx, cfg)
}

// Events is the platform's events service.
func (p *Platform) Events() *events.Service { return p.events }

// PutEvents puts events on the stack's buses, as EventBridge's PutEvents:
// each entry gets an EventId once stored, or an ErrorCode.
func (p *Platform) PutEvents(ctx context.Context, entries []events.Entry) (events.PutResult, error) {
	return p.events.Put(ctx, entries)
}

// EventsInfo is the buses and rules as the control API lists them.
type EventsInfo struct {
	Buses []EventBusInfo  `json:"buses"`
	Rules []EventRuleInfo `json:"rules"`
}

// EventBusInfo is one bus of an EventsInfo.
type EventBusInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

// EventRuleInfo is one rule of an EventsInfo.
type EventRuleInfo struct {
	ID      string          `json:"id"`
	Name    string          `json:"name"`
	ARN     string          `json:"arn"`
	Bus     string          `json:"bus"`
	Enabled bool            `json:"enabled"`
	Pattern json.RawMessage `json:"pattern"`
	// Schedule is a scheduled rule's ScheduleExpression.
	Schedule string          `json:"schedule,omitempty"`
	Targets  []events.Target `json:"targets"`
}

// PutEventsRequest is the body of POST /v1/events.
type PutEventsRequest struct {
	Entries []events.Entry `json:"entries"`
}

// ControlEvents serves the control API's event endpoints (server.Events).
func (p *Platform) ControlEvents(ctx context.Context, method string, body []byte) (any, int, error) {
	v, err := p.controlEvents(ctx, method, body)
	return answer(v, err, events.ErrNoBus, events.ErrInvalid)
}

func (p *Platform) controlEvents(ctx context.Context, method string, body []byte) (any, error) {
	switch method {
	case http.MethodGet:
		out := EventsInfo{Buses: []EventBusInfo{}, Rules: []EventRuleInfo{}}
		for _, b := range p.events.Buses() {
			out.Buses = append(out.Buses, EventBusInfo{ID: b.ID, Name: b.Name, ARN: p.events.BusARN(b.Name)})
		}
		for _, r := range p.events.Rules() {
			pat, _ := events.Compile(r.Pattern)
			ri := EventRuleInfo{ID: r.ID, Name: r.Name, ARN: p.events.RuleARN(r), Bus: r.Bus, Enabled: r.Enabled, Schedule: r.Schedule, Targets: r.Targets}
			if pat != nil && r.Pattern != nil {
				ri.Pattern = json.RawMessage(pat.String())
			}
			if ri.Targets == nil {
				ri.Targets = []events.Target{}
			}
			out.Rules = append(out.Rules, ri)
		}
		return out, nil
	case http.MethodPost:
		var in PutEventsRequest
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, fmt.Errorf(`%w: the body must be {"entries": [{"Source", "DetailType", "Detail", "EventBusName"}]}: %v`, events.ErrInvalid, err)
		}
		return p.events.Put(ctx, in.Entries)
	}
	return nil, fmt.Errorf("%w: %s /v1/events is not an events operation (GET lists, POST puts)", events.ErrInvalid, method)
}
