package topic

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/queue"
)

func TestCheckAttributes(t *testing.T) {
	s := func(v string) Attribute { return Attribute{DataType: "String", StringValue: v} }
	many := map[string]Attribute{}
	for i := range 12 {
		many[fmt.Sprintf("a%d", i)] = s("v")
	}
	for _, c := range []struct {
		name  string
		attrs map[string]Attribute
		want  string // "" for valid, else a part of the error
	}{
		{"none", nil, ""},
		{"more than ten (SNS sets no count)", many, ""},
		{"all kinds", map[string]Attribute{
			"s": s("x"), "n": {DataType: "Number", StringValue: "-2.5E3"}, "b": {DataType: "Binary", BinaryValue: []byte{0}},
			"arr": {DataType: "String.Array", StringValue: `["a", 1, true, false, null]`}, "empty-arr": {DataType: "String.Array", StringValue: `[]`},
			"labelled": {DataType: "Number.int", StringValue: "3"},
		}, ""},
		{"reserved name", map[string]Attribute{"Amazon.x": s("x")}, "reserved for AWS"},
		{"bad character", map[string]Attribute{"a b": s("x")}, "character ' '"},
		{"two dots", map[string]Attribute{"a..b": s("x")}, "successive dots"},
		{"empty name", map[string]Attribute{"": s("x")}, "empty name"},
		{"no type", map[string]Attribute{"k": {StringValue: "x"}}, "DataType is missing"},
		{"bad type", map[string]Attribute{"k": {DataType: "Weird", StringValue: "x"}}, "not String, String.Array, Number or Binary"},
		{"empty value", map[string]Attribute{"k": {DataType: "String"}}, "StringValue is empty"},
		{"binary as a string", map[string]Attribute{"k": {DataType: "Binary", StringValue: "x"}}, "takes BinaryValue"},
		{"string with bytes", map[string]Attribute{"k": {DataType: "String", BinaryValue: []byte("x")}}, "takes StringValue"},
		{"not a number", map[string]Attribute{"total": {DataType: "Number", StringValue: "many"}}, `"many" is not a number`},
		{"hex number", map[string]Attribute{"total": {DataType: "Number", StringValue: "0x10"}}, "is not a number"},
		{"infinity", map[string]Attribute{"total": {DataType: "Number", StringValue: "1e999"}}, "is not a number"},
		{"array not JSON", map[string]Attribute{"tags": {DataType: "String.Array", StringValue: "a,b"}}, "not a JSON array"},
		{"array an object", map[string]Attribute{"tags": {DataType: "String.Array", StringValue: `{"a":1}`}}, "not a JSON array"},
		{"array of arrays", map[string]Attribute{"tags": {DataType: "String.Array", StringValue: `["a", ["b"]]`}}, "element 2"},
		{"array of objects", map[string]Attribute{"tags": {DataType: "String.Array", StringValue: `[{"a":1}]`}}, "element 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkAttributes(c.attrs)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.want != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want)):
				t.Errorf("got %v, want ErrInvalid with %q", err, c.want)
			}
		})
	}
}

// Publish refuses bad attributes, naming them, and stores nothing; a
// String.Array reaches a raw queue subscription as SQS takes it (String
// with the custom label Array).
func TestPublishRefusesBadAttributes(t *testing.T) {
	inv := &invoker{}
	s, qs, stop := setup(t, t.TempDir(), inv)
	defer stop()
	s.Start()
	ctx := context.Background()
	_, err := s.Publish(ctx, "Orders", PublishInput{Message: "bad", MessageAttributes: map[string]Attribute{"tags": {DataType: "String.Array", StringValue: "a,b"}}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"tags"`) {
		t.Fatalf("publish with a String.Array that is no JSON array: %v, want ErrInvalid naming tags", err)
	}
	attrs := map[string]Attribute{"kind": {DataType: "String", StringValue: "order"}, "tags": {DataType: "String.Array", StringValue: `["a","b"]`}}
	if _, err := s.Publish(ctx, "Orders", PublishInput{Message: "ok", MessageAttributes: attrs}); err != nil {
		t.Fatal(err)
	}
	var raw []queue.Message
	eventually(t, 10*time.Second, "the raw delivery", func() bool {
		raw, err = qs.Receive(ctx, "Raw", 10, 100*time.Millisecond)
		return err == nil && len(raw) > 0
	})
	if len(raw) != 1 || raw[0].Body != "ok" || raw[0].MessageAttributes["tags"].DataType != "String.Array" {
		t.Errorf("raw queue: %+v, want the good message with its String.Array", raw)
	}
	eventually(t, 10*time.Second, "the invocation of all-fn", func() bool { return len(inv.requests()) == 1 })
	audit, err := qs.Receive(ctx, "Audit", 10, time.Second)
	if err != nil || len(audit) != 1 || !strings.Contains(audit[0].Body, `"Message":"ok"`) {
		t.Errorf("audit queue: %v, %+v; want only the good message's envelope", err, audit)
	}
}
