package queue

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
)

func TestAckSubjectOf(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	const stream = "STACKLAB_QUEUE_Jobs"
	for _, c := range []struct {
		name   string
		handle string
		ok     bool
		sseq   uint64
		cseq   uint64
	}{
		{"v1", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.5.6.1763800000000000000.0"), true, 5, 6},
		{"v2 as nats-server makes it", enc("$JS.ACK._.ACCHASH.STACKLAB_QUEUE_Jobs.sqs.2.7.9.1763800000000000000.3"), true, 7, 9},
		{"v2 with a token", enc("$JS.ACK.hub.ACCHASH.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1763800000000000000.0.token"), true, 5, 5},
		{"another queue", enc("$JS.ACK.STACKLAB_QUEUE_Other.sqs.1.5.5.1.0"), false, 0, 0},
		{"a queue whose name begins as ours", enc("$JS.ACK.STACKLAB_QUEUE_Jobs2.sqs.1.5.5.1.0"), false, 0, 0},
		{"the mover's consumer", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.delay.1.5.5.1.0"), false, 0, 0},
		{"v2: the mover's consumer, ours later", enc("$JS.ACK._.HASH.STACKLAB_QUEUE_Jobs.delay.1.5.5.1.0.STACKLAB_QUEUE_Jobs.sqs.x"), false, 0, 0},
		{"v2: another stream, ours later", enc("$JS.ACK._.HASH.STACKLAB_INVOKE.async.1.5.5.1.0.STACKLAB_QUEUE_Jobs.sqs.x"), false, 0, 0},
		{"v2: ours at the v1 place", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.x.y.1.5.5.1.0"), false, 0, 0},
		{"v1 with 10 tokens", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0.7"), false, 0, 0},
		{"v2 with 13 tokens", enc("$JS.ACK._.H.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0.t.u"), false, 0, 0},
		{"too short", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.5.5"), false, 0, 0},
		{"a word for a number", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.five.5.1.0"), false, 0, 0},
		{"a negative number", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.-5.5.1.0"), false, 0, 0},
		{"a signed number", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.+5.5.1.0"), false, 0, 0},
		{"a number past 64 bits", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.18446744073709551616.5.1.0"), false, 0, 0},
		{"stream sequence 0", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.0.5.1.0"), false, 0, 0},
		{"delivery count 0", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.0.5.5.1.0"), false, 0, 0},
		{"wildcard >", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.>"), false, 0, 0},
		{"wildcard *", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.*.5.5.1.0"), false, 0, 0},
		{"wildcard in v2 domain", enc("$JS.ACK.*.H.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0"), false, 0, 0},
		{"space", enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0 2"), false, 0, 0},
		{"control character in the token", enc("$JS.ACK._.H.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0.a\x00"), false, 0, 0},
		{"empty token", enc("$JS.ACK._..STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0"), false, 0, 0},
		{"trailing dot", enc("$JS.ACK._.H.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0."), false, 0, 0},
		{"not an ack", enc("$JS.API.STREAM.DELETE.STACKLAB_QUEUE_Jobs.sqs.1.5.5"), false, 0, 0},
		{"not $JS", enc("$XX.ACK.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0"), false, 0, 0},
		{"standard base64", base64.StdEncoding.EncodeToString([]byte("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0")), false, 0, 0},
		{"not base64", "not base64!", false, 0, 0},
		{"empty", "", false, 0, 0},
	} {
		r, ok := ackSubjectOf(c.handle, stream)
		if ok != c.ok {
			t.Errorf("%s: ackSubjectOf ok = %v, want %v", c.name, ok, c.ok)
			continue
		}
		if ok && (r.sseq != c.sseq || r.cseq != c.cseq) {
			t.Errorf("%s: stream sequence %d, consumer sequence %d; want %d, %d", c.name, r.sseq, r.cseq, c.sseq, c.cseq)
		}
	}
}

// A receipt handle comes from outside; whatever it is, an accepted one is
// an acknowledgement subject of the queue's consumer and nothing else, in
// one of the two forms JetStream makes, with the sequences it names.
func FuzzAckSubjectOf(f *testing.F) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		enc("$JS.ACK.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0"),
		enc("$JS.ACK._.HASH.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0"),
		enc("$JS.ACK.hub.HASH.STACKLAB_QUEUE_Jobs.sqs.1.5.5.1.0.tok"),
		enc("$JS.ACK.x.STACKLAB_QUEUE_Jobs.sqs.>"),
		enc("$JS.ACK._.HASH.STACKLAB_QUEUE_Jobs.delay.1.5.5.1.0.STACKLAB_QUEUE_Jobs.sqs.x"),
		"", "AAAA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, handle string) {
		r, ok := ackSubjectOf(handle, "STACKLAB_QUEUE_Jobs")
		if !ok {
			return
		}
		if enc(r.subject) != handle {
			t.Fatalf("accepted %q as %q, which is another handle", handle, r.subject)
		}
		tokens := strings.Split(r.subject, ".")
		at := 2
		switch len(tokens) {
		case 9:
		case 11, 12:
			at = 4
		default:
			t.Fatalf("accepted %q: %d tokens", r.subject, len(tokens))
		}
		if tokens[0] != "$JS" || tokens[1] != "ACK" || tokens[at] != "STACKLAB_QUEUE_Jobs" || tokens[at+1] != "sqs" {
			t.Fatalf("accepted %q: not an ack subject of the queue's consumer", r.subject)
		}
		if strings.ContainsAny(r.subject, " \t\r\n*>") || strings.Contains(r.subject, "..") || strings.HasSuffix(r.subject, ".") {
			t.Fatalf("accepted %q: a wildcard, a space or an empty token", r.subject)
		}
		for i, want := range []uint64{r.delivered, r.sseq, r.cseq} {
			if got, err := strconv.ParseUint(tokens[at+2+i], 10, 64); err != nil || got != want || got == 0 {
				t.Fatalf("accepted %q: token %d is %q, decoded as %d", r.subject, at+2+i, tokens[at+2+i], want)
			}
		}
	})
}
