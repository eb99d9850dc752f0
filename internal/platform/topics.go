package platform

import (
	"context"
	"encoding/json"
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
// protocols (http, email, ...) are not delivered; they are reported.
func topicConfigs(st *stack.Stack) ([]topic.Config, []string) {
	var skipped []string
	fnName := func(t stack.Target) string {
		for _, f := range st.Functions {
			if t.Ref == f.ID || (t.Literal != "" && (t.Literal == f.Name || strings.HasSuffix(t.Literal, ":function:"+f.Name))) {
				return f.Name
			}
		}
		s := t.String()
		if i := strings.LastIndex(s, ":function:"); i >= 0 {
			s = s[i+len(":function:"):]
		}
		return s
	}
	var out []topic.Config
	for _, t := range st.Topics {
		c := topic.Config{ID: t.ID, Name: t.Name, Fifo: t.Fifo}
		for i, s := range t.Subscriptions {
			id := s.ID
			if id == "" {
				id = fmt.Sprintf("Subscription%d", i)
			}
			sub := topic.Subscription{ID: id, Protocol: s.Protocol, FilterPolicy: s.FilterPolicy, Raw: s.Raw}
			switch s.Protocol {
			case topic.Lambda:
				sub.Endpoint = fnName(s.Endpoint)
			case topic.SQS:
				sub.Endpoint = s.Endpoint.String()
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
