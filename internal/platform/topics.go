package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/services/topic"
	"github.com/stacklab/stacklab/internal/stack"
)

var _ server.Topics = (*Platform)(nil)

// topicConfigs are the stack's topics as the topic service runs them: their
// lambda and sqs subscriptions, and the SNS events of functions. Other
// protocols (http, email, ...) are not delivered; they are reported. An
// endpoint that is not of the stack is refused before, by
// checkSubscriptions; here it is passed on as it is written.
func topicConfigs(st *stack.Stack) ([]topic.Config, []string) {
	var skipped []string
	var out []topic.Config
	for _, t := range st.Topics {
		c := topic.Config{ID: t.ID, Name: t.Name, Fifo: t.Fifo}
		for i, s := range t.Subscriptions {
			id := subscriptionID(s, i)
			sub := topic.Subscription{ID: id, Protocol: s.Protocol, FilterPolicy: s.FilterPolicy, Raw: s.Raw}
			switch s.Protocol {
			case topic.Lambda, topic.SQS:
				ep, err := subscriber(st, s)
				if err != nil {
					ep = s.Endpoint.String()
					if i := strings.LastIndex(ep, ":function:"); i >= 0 && s.Protocol == topic.Lambda {
						ep = ep[i+len(":function:"):]
					}
				}
				sub.Endpoint = ep
			default:
				skipped = append(skipped, fmt.Sprintf("%s: %s subscription %s", t.ID, s.Protocol, id))
				continue
			}
			c.Subscriptions = append(c.Subscriptions, sub)
		}
		for _, f := range st.Functions {
			for _, e := range f.Events {
				if e.Type != stack.EventSNS || !e.Runs || !isTopic(t, e.Source) {
					continue
				}
				c.Subscriptions = append(c.Subscriptions, topic.Subscription{ID: f.ID + "." + e.ID, Protocol: topic.Lambda, Endpoint: f.Name, FilterPolicy: e.FilterPolicy})
			}
		}
		out = append(out, c)
	}
	return out, skipped
}

// subscriptionID is the id a subscription is delivered and traced under:
// its AWS::SNS::Subscription, or SubscriptionN for the Nth of a topic's
// Subscription property.
func subscriptionID(s stack.Subscription, i int) string {
	if s.ID != "" {
		return s.ID
	}
	return fmt.Sprintf("Subscription%d", i)
}

// subscriber is what a lambda or sqs subscription's Endpoint names: a
// function of the stack (by name) or a queue (by logical id), given by
// !GetAtt, !Ref, !Sub or by its name or ARN as the platform names it (a
// function's ARN may end in a version or alias). An endpoint outside the
// stack is an error: nothing would receive the messages.
func subscriber(st *stack.Stack, s stack.Subscription) (string, error) {
	e := s.Endpoint
	var want, kind, example string
	switch s.Protocol {
	case topic.Lambda:
		if fn := ruleFunction(st, e); fn != "" {
			return fn, nil // a version or alias runs as the function
		}
		want, kind, example = "a function", "function", "Fn"
	case topic.SQS:
		for _, q := range st.Queues {
			if e.Ref == q.ID || e.Ref == "" && namesQueue(q, e.Literal) {
				return q.ID, nil
			}
		}
		want, kind, example = "a queue", "queue", "Queue"
	default:
		return "", fmt.Errorf("%s subscriptions are not delivered", s.Protocol)
	}
	fix := fmt.Sprintf("add %s to the template and point Endpoint at it with !GetAtt %s.Arn", want, example)
	if have := targetNames(st, kind); len(have) > 0 {
		fix = fmt.Sprintf("point Endpoint at %s of the template (%s) with !GetAtt %s.Arn", want, strings.Join(have, ", "), have[0])
	}
	switch {
	case e.Ref != "":
		if r := st.Lookup(e.Ref); r != nil {
			return "", fmt.Errorf("Endpoint names %s, an %s, not %s: a %s subscription delivers to %s; %s, or change the Protocol", e.Ref, r.Type, want, s.Protocol, want, fix)
		}
		return "", fmt.Errorf("Endpoint names %s, which is not a resource of the template; %s", e.Ref, fix)
	case e.Literal == "":
		return "", fmt.Errorf("the Endpoint is missing or computed from something stacklab cannot resolve; %s", fix)
	}
	return "", fmt.Errorf("Endpoint %s is not %s of this stack; stacklab runs this one stack, so nothing outside it can receive the messages: %s", e.Literal, want, fix)
}

// checkSubscriptions refuses a stack whose lambda or sqs subscriptions
// deliver to something outside it, each error at the AWS::SNS::Subscription
// or at the topic whose Subscription property has it.
func checkSubscriptions(st *stack.Stack) error {
	var errs []error
	for _, t := range st.Topics {
		for i, s := range t.Subscriptions {
			if s.Protocol != topic.Lambda && s.Protocol != topic.SQS {
				continue
			}
			if _, err := subscriber(st, s); err != nil {
				if s.ID != "" {
					errs = append(errs, fmt.Errorf("%s: subscription %s: %w", resourcePos(st, s.ID), s.ID, err))
				} else {
					errs = append(errs, fmt.Errorf("%s: topic %s: Subscription[%d]: %w", resourcePos(st, t.ID), t.ID, i, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// undeliveredSubscriptions are the subscriptions of protocols the topics
// do not deliver to (http, email, ...), as warnings at their resources.
func undeliveredSubscriptions(st *stack.Stack) []string {
	var out []string
	for _, t := range st.Topics {
		for i, s := range t.Subscriptions {
			if s.Protocol == topic.Lambda || s.Protocol == topic.SQS {
				continue
			}
			if s.ID != "" {
				out = append(out, fmt.Sprintf("%s: subscription %s: %s subscriptions are not delivered; stacklab delivers lambda and sqs subscriptions", resourcePos(st, s.ID), s.ID, s.Protocol))
			} else {
				out = append(out, fmt.Sprintf("%s: topic %s: Subscription[%d]: %s subscriptions are not delivered; stacklab delivers lambda and sqs subscriptions", resourcePos(st, t.ID), t.ID, i, s.Protocol))
			}
		}
	}
	return out
}

// resourcePos is where a resource of the stack is written.
func resourcePos(st *stack.Stack, id string) stack.Pos {
	if r := st.Lookup(id); r != nil {
		return r.Pos
	}
	return stack.Pos{}
}

// isTopic reports whether a target names the topic.
func isTopic(t *stack.Topic, target stack.Target) bool {
	if target.Ref != "" {
		return target.Ref == t.ID
	}
	name := t.Name
	if name == "" {
		name = t.ID
	}
	return target.Literal == name || strings.HasSuffix(target.Literal, ":"+name)
}

// applyTopics checks the stack's topics and serves them; a bad filter
// policy fails the deploy.
func (p *Platform) applyTopics(ctx context.Context, st *stack.Stack) error {
	cfgs, skipped := topicConfigs(st)
	for _, s := range skipped {
		p.log.Warn("topic subscription not delivered: only lambda and sqs are", "subscription", s)
	}
	return p.topics.Apply(ctx, cfgs)
}

// Topics is the platform's topic service.
func (p *Platform) Topics() *topic.Service { return p.topics }

// TopicInfo is a topic as the control API lists it.
type TopicInfo struct {
	ID            string              `json:"id"`
	Name          string              `json:"name"`
	ARN           string              `json:"arn"`
	Fifo          bool                `json:"fifo"`
	Subscriptions []TopicSubscription `json:"subscriptions"`
}

// TopicSubscription is one subscription of a TopicInfo.
type TopicSubscription struct {
	ID           string `json:"id"`
	Protocol     string `json:"protocol"`
	Endpoint     string `json:"endpoint"`
	FilterPolicy any    `json:"filterPolicy,omitempty"`
	Raw          bool   `json:"rawMessageDelivery,omitempty"`
}

// ControlTopic serves the control API's topic endpoints (server.Topics).
func (p *Platform) ControlTopic(ctx context.Context, method, name, action string, body []byte) (any, int, error) {
	v, err := p.controlTopic(ctx, method, name, action, body)
	return answer(v, err, topic.ErrNoTopic, topic.ErrInvalid)
}

func (p *Platform) controlTopic(ctx context.Context, method, name, action string, body []byte) (any, error) {
	switch {
	case method == http.MethodGet && name == "" && action == "":
		out := []TopicInfo{}
		for _, c := range p.topics.Topics() {
			ti := TopicInfo{ID: c.ID, Name: c.Name, ARN: p.topics.ARN(c), Fifo: c.Fifo, Subscriptions: []TopicSubscription{}}
			for _, s := range c.Subscriptions {
				fp := s.FilterPolicy
				if str, ok := fp.(string); ok {
					var v any
					if json.Unmarshal([]byte(str), &v) == nil {
						fp = v
					}
				}
				ti.Subscriptions = append(ti.Subscriptions, TopicSubscription{ID: s.ID, Protocol: s.Protocol, Endpoint: s.Endpoint, FilterPolicy: fp, Raw: s.Raw})
			}
			out = append(out, ti)
		}
		return out, nil
	case method == http.MethodPost && name != "" && action == "publish":
		var in topic.PublishInput
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, fmt.Errorf("%w: the body must be {\"message\": \"...\"}: %v", topic.ErrInvalid, err)
		}
		return p.topics.Publish(ctx, name, in)
	}
	return nil, fmt.Errorf("%w: %s /v1/topics/%s/%s is not a topic operation", topic.ErrInvalid, method, name, action)
}
