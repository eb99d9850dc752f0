package platform

import (
	"context"
	"fmt"
	"strings"

	"github.com/stacklab/stacklab/internal/services/bucket"
	"github.com/stacklab/stacklab/internal/services/queue"
	"github.com/stacklab/stacklab/internal/services/topic"
	"github.com/stacklab/stacklab/internal/stack"
)

// newBuckets is the platform's bucket service: notifications go to
// functions as async invocations and to the platform's queues and topics.
func newBuckets(p *Platform) *bucket.Service {
	return bucket.New(p.bus.JetStream(), bucket.Options{Region: p.opts.Region, AccountID: p.opts.AccountID, Logger: p.opts.Logger,
		Invoker: p.rt, MaxObjectSize: p.opts.MaxObjectSize, Telemetry: p.tel,
		SendToQueue: func(ctx context.Context, q, body string) error {
			_, err := p.queues.Send(ctx, q, queue.SendInput{Body: body})
			return err
		},
		PublishToTopic: func(ctx context.Context, t, subject, message string) error {
			_, err := p.topics.Publish(ctx, t, topic.PublishInput{Subject: subject, Message: message})
			return err
		}})
}

// bucketConfigs are the stack's buckets with their notifications: the
// SAM S3 events of functions and the buckets' NotificationConfiguration
// Lambda and queue configurations.
func bucketConfigs(st *stack.Stack) []bucket.Config {
	function := func(t stack.Target) string {
		for _, f := range st.Functions {
			if t.Ref == f.ID {
				return f.Name
			}
		}
		fn := t.String()
		if i := strings.LastIndex(fn, ":function:"); i >= 0 {
			fn = fn[i+len(":function:"):]
			fn, _, _ = strings.Cut(fn, ":") // a version or alias
		}
		return fn
	}
	var out []bucket.Config
	for _, b := range st.Buckets {
		c := bucket.Config{ID: b.ID, Name: b.Name}
		for i, n := range b.Notifications {
			bn := bucket.Notification{ID: fmt.Sprintf("%s-%s-%d", b.ID, n.Kind, i+1), Events: []string{n.Event}, Prefix: n.Prefix, Suffix: n.Suffix}
			switch n.Kind {
			case "function":
				bn.Function = function(n.Target)
			case "queue":
				bn.Queue = n.Target.String()
			case "topic":
				bn.Topic = n.Target.String()
			default:
				continue
			}
			c.Notifications = append(c.Notifications, bn)
		}
		for _, f := range st.Functions {
			for _, e := range f.Events {
				if e.Type != stack.EventS3 || !e.Runs || e.Source.Ref != b.ID {
					continue
				}
				c.Notifications = append(c.Notifications, bucket.Notification{ID: f.ID + e.ID, Events: e.S3Events,
					Prefix: e.Prefix, Suffix: e.Suffix, Function: f.Name})
			}
		}
		out = append(out, c)
	}
	return out
}

// applyBuckets creates the object stores of the stack's buckets.
func (p *Platform) applyBuckets(ctx context.Context, st *stack.Stack) error {
	return p.buckets.Apply(ctx, bucketConfigs(st))
}

// Buckets is the platform's bucket service (server.Buckets).
func (p *Platform) Buckets() *bucket.Service { return p.buckets }
