package platform

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stacklab/stacklab/internal/stack"
)

// notificationKinds are a bucket notification's kinds as its
// NotificationConfiguration spells them: the list and the target's field.
var notificationKinds = map[string]struct{ list, field, noun string }{
	"function": {"LambdaConfigurations", "Function", "function"},
	"queue":    {"QueueConfigurations", "Queue", "queue"},
	"topic":    {"TopicConfigurations", "Topic", "topic"},
}

// checkNotifications refuses a stack whose buckets notify a function,
// queue or topic that is not part of it: this platform runs only the
// stack's own, so the events for it would be lost. The error names the
// bucket, the path of the notification and the targets there are.
func checkNotifications(st *stack.Stack) error {
	var errs []error
	for _, b := range st.Buckets {
		seen := map[string]int{}
		for _, n := range b.Notifications {
			k, ok := notificationKinds[n.Kind]
			if !ok {
				continue
			}
			i := seen[n.Kind]
			seen[n.Kind]++
			if n.Target.IsZero() || hasTarget(st, n.Kind, n.Target) {
				continue
			}
			have := targetNames(st, n.Kind)
			hint := fmt.Sprintf("the stack has no %ss; add one, or remove the notification", k.noun)
			if len(have) > 0 {
				hint = fmt.Sprintf("name one of the stack's %ss (%s) with !GetAtt or !Ref", k.noun, strings.Join(have, ", "))
			}
			errs = append(errs, fmt.Errorf("bucket %s: NotificationConfiguration.%s[%d].%s is %q, which is not a %s of this stack, so its events could not be delivered: %s",
				b.ID, k.list, i, k.field, n.Target.String(), k.noun, hint))
		}
	}
	return errors.Join(errs...)
}

// hasTarget reports whether a notification's target is one of the stack's
// functions, queues or topics: by logical id, or by name, ARN or URL.
func hasTarget(st *stack.Stack, kind string, t stack.Target) bool {
	name := t.Literal
	if kind == "function" {
		if i := strings.LastIndex(name, ":function:"); i >= 0 {
			name, _, _ = strings.Cut(name[i+len(":function:"):], ":") // a version or alias
		}
	} else if i := strings.LastIndexAny(name, ":/"); i >= 0 {
		name = name[i+1:]
	}
	for _, n := range targetNames(st, kind) {
		if t.Ref == n || (t.Ref == "" && name == n) {
			return true
		}
	}
	if t.Ref != "" {
		return false
	}
	switch kind {
	case "function":
		for _, f := range st.Functions {
			if f.Name == name {
				return true
			}
		}
	case "queue":
		for _, q := range st.Queues {
			// The name the queue service gives a queue without a QueueName.
			if q.Name == name || (q.Name == "" && q.Fifo && name == q.ID+".fifo") {
				return true
			}
		}
	case "topic":
		for _, tp := range st.Topics {
			if tp.Name == name {
				return true
			}
		}
	}
	return false
}

// targetNames are the logical ids of the stack's resources of a kind.
func targetNames(st *stack.Stack, kind string) []string {
	var out []string
	switch kind {
	case "function":
		for _, f := range st.Functions {
			out = append(out, f.ID)
		}
	case "queue":
		for _, q := range st.Queues {
			out = append(out, q.ID)
		}
	case "topic":
		for _, t := range st.Topics {
			out = append(out, t.ID)
		}
	}
	return out
}
