package queue

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestAckSubjectOf(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	const stream = "STACKLAB_QUEUE_Jobs"
	for _, c := range []struct {
		handle string
		ok     bool
	}{
		{enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1763800000000000000.0"), true},
		{enc("$JS.ACK.hub.ACCHASH.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1763800000000000000.0.token"), true},
		{enc("$JS.ACK.STACKLAB_QUEUE_Other.sqs.1.5.5.1.0"), false},  // another queue
		{enc("$JS.ACK.STACKLAB_QUEUE_Jobs.delay.1.5.5.1.0"), false}, // another consumer
		{enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.>"), false},
		{enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.*.1"), false},
		{enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1 2"), false},
		{enc("$JS.API.STREAM.DELETE.STACKLAB_QUEUE_Jobs.sqs.1"), false},
		{enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs..1"), false},
		{"not base64!", false},
		{"", false},
	} {
		if _, ok := ackSubjectOf(c.handle, stream); ok != c.ok {
			t.Errorf("ackSubjectOf(%q) ok = %v, want %v", c.handle, ok, c.ok)
		}
	}
}

// A receipt handle comes from outside; whatever it is, an accepted one is
// an acknowledgement subject of the queue's consumer and nothing else.
func FuzzAckSubjectOf(f *testing.F) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0"), enc("$JS.ACK.x.STACKLAB_QUEUE_Jobs.sqs.>"), "", "AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, handle string) {
		subject, ok := ackSubjectOf(handle, "STACKLAB_QUEUE_Jobs")
		if !ok {
			return
		}
		if !strings.HasPrefix(subject, "$JS.ACK.") || !strings.Contains(subject, ".STACKLAB_QUEUE_Jobs.sqs.") ||
			strings.ContainsAny(subject, " \t\r\n*>") {
			t.Fatalf("accepted %q as %q", handle, subject)
		}
	})
}
