package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

func str(v string) Attribute { return Attribute{DataType: "String", StringValue: v} }

func TestCheckAttributes(t *testing.T) {
	eleven := map[string]Attribute{}
	for i := range 11 {
		eleven[fmt.Sprintf("a%d", i)] = str("v")
	}
	ten := map[string]Attribute{}
	for i := range 10 {
		ten[fmt.Sprintf("a%d", i)] = str("v")
	}
	for _, c := range []struct {
		name  string
		attrs map[string]Attribute
		want  string // "" for valid, else a part of the error
	}{
		{"none", nil, ""},
		{"ten", ten, ""},
		{"eleven", eleven, "11 message attributes; SQS allows at most 10"},
		{"all kinds", map[string]Attribute{
			"s": str("x"), "n": {DataType: "Number", StringValue: "-1.5e3"}, "b": {DataType: "Binary", BinaryValue: []byte{0}},
			"labelled": {DataType: "Number.float", StringValue: "3"}, "img": {DataType: "Binary.png", BinaryValue: []byte{1}},
			"a.b-c_D9": str("x"), strings.Repeat("n", 256): str("x"),
		}, ""},
		{"empty name", map[string]Attribute{"": str("x")}, "empty name"},
		{"long name", map[string]Attribute{strings.Repeat("n", 257): str("x")}, "257 characters; at most 256"},
		{"space", map[string]Attribute{"my attr": str("x")}, `character ' ' at byte 3`},
		{"non-ASCII", map[string]Attribute{"größe": str("x")}, "only letters A-Z"},
		{"AWS. prefix", map[string]Attribute{"AWS.trace": str("x")}, "reserved for AWS"},
		{"aws. any case", map[string]Attribute{"aWs.x": str("x")}, "reserved for AWS"},
		{"Amazon. prefix", map[string]Attribute{"AMAZON.x": str("x")}, "reserved for AWS"},
		{"leading dot", map[string]Attribute{".x": str("x")}, "starts or ends with '.'"},
		{"trailing dot", map[string]Attribute{"x.": str("x")}, "starts or ends with '.'"},
		{"two dots", map[string]Attribute{"a..b": str("x")}, "successive dots"},
		{"no type", map[string]Attribute{"k": {StringValue: "x"}}, "DataType is missing"},
		{"bad type", map[string]Attribute{"k": {DataType: "Text", StringValue: "x"}}, `DataType "Text" is not String, Number or Binary`},
		{"lower-case type", map[string]Attribute{"k": {DataType: "string", StringValue: "x"}}, "is not String, Number or Binary"},
		{"empty label", map[string]Attribute{"k": {DataType: "String.", StringValue: "x"}}, "empty custom label"},
		{"empty string", map[string]Attribute{"k": {DataType: "String"}}, "StringValue is empty"},
		{"empty binary", map[string]Attribute{"k": {DataType: "Binary"}}, "BinaryValue is empty"},
		{"binary with a string", map[string]Attribute{"k": {DataType: "Binary", StringValue: "x"}}, "takes BinaryValue, not StringValue"},
		{"string with bytes", map[string]Attribute{"k": {DataType: "String", StringValue: "x", BinaryValue: []byte{1}}}, "takes StringValue, not BinaryValue"},
		{"not a number", map[string]Attribute{"k": {DataType: "Number", StringValue: "12abc"}}, `"12abc" is not a number`},
		{"hex number", map[string]Attribute{"k": {DataType: "Number", StringValue: "0x10"}}, "is not a number"},
		{"number too precise", map[string]Attribute{"k": {DataType: "Number", StringValue: "1." + strings.Repeat("1", 38)}}, "39 significant digits"},
		{"number too large", map[string]Attribute{"k": {DataType: "Number", StringValue: "1e126"}}, "out of the range"},
		{"number too small", map[string]Attribute{"k": {DataType: "Number", StringValue: "1e-129"}}, "out of the range"},
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
	// The error names the attribute at fault.
	err := checkAttributes(map[string]Attribute{"ok": str("x"), "price": {DataType: "Number", StringValue: "ten"}})
	if err == nil || !strings.Contains(err.Error(), `"price"`) {
		t.Errorf("a bad Number: %v, want the attribute named", err)
	}
}

func TestCheckNumber(t *testing.T) {
	for _, ok := range []string{"0", "-0", "+7", "42", "-1.5", ".5", "5.", "1e125", "9.9e125", "1E-128", "0.000", "00012.3400",
		"1" + strings.Repeat("0", 125), strings.Repeat("9", 38), "0.1e-127"} {
		if err := checkNumber(ok); err != nil {
			t.Errorf("checkNumber(%q): %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "-", ".", "e5", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "NaN", "Inf", "0x1p3", "1_000", "++1",
		"1" + strings.Repeat("0", 126), "1e126", "1e-129", "0.1e-128", strings.Repeat("9", 39), "1e9999999999999"} {
		if err := checkNumber(bad); err == nil {
			t.Errorf("checkNumber(%q): nil, want an error", bad)
		}
	}
}

// A message with bad attributes is refused whole and nothing is stored;
// in a batch only its entry fails.
func TestSendRefusesBadAttributes(t *testing.T) {
	s := newService(t, Config{ID: "Q"})
	ctx := context.Background()
	bad := SendInput{Body: "x", MessageAttributes: map[string]Attribute{"AWS.x": str("v")}}
	if _, err := s.Send(ctx, "Q", bad); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "AWS.x") {
		t.Errorf("send with a reserved attribute name: %v, want ErrInvalid naming it", err)
	}
	res, err := s.SendBatch(ctx, "Q", []SendInput{{Body: "a"}, bad, {Body: "c", MessageAttributes: map[string]Attribute{"n": {DataType: "Number", StringValue: "1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[2].Err != nil || !errors.Is(res[1].Err, ErrInvalid) {
		t.Errorf("batch results: %v, %v, %v; want only the second refused", res[0].Err, res[1].Err, res[2].Err)
	}
	got := receive(t, s, "Q", 10, time.Second)
	bodies := map[string]bool{}
	for _, m := range got {
		bodies[m.Body] = true
	}
	if len(got) != 2 || !bodies["a"] || !bodies["c"] {
		t.Errorf("received %v, want a and c only", bodies)
	}
}

// Attributes count toward the message size, and a message at the limit
// with a large binary attribute is stored and received whole.
func TestAttributesCountTowardTheSize(t *testing.T) {
	s := newService(t, Config{ID: "Q"})
	ctx := context.Background()
	a := map[string]Attribute{"meta": str(strings.Repeat("m", 100))}
	over := SendInput{Body: strings.Repeat("x", MaxMessageSize-100), MessageAttributes: a}
	if _, err := s.Send(ctx, "Q", over); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "with its attributes") {
		t.Errorf("body at the limit less 100 bytes with 114 bytes of attribute: %v, want ErrInvalid", err)
	}
	bin := bytes.Repeat([]byte{0xff}, MaxMessageSize-len("blob")-len("Binary")-len("body"))
	at := SendInput{Body: "body", MessageAttributes: map[string]Attribute{"blob": {DataType: "Binary", BinaryValue: bin}}}
	if _, err := s.Send(ctx, "Q", at); err != nil {
		t.Fatalf("a message of exactly %d bytes with its binary attribute: %v", MaxMessageSize, err)
	}
	got := receive(t, s, "Q", 1, time.Second)
	if len(got) != 1 || !bytes.Equal(got[0].MessageAttributes["blob"].BinaryValue, bin) {
		t.Fatalf("received %d messages, want the one with its binary attribute intact", len(got))
	}
}

func TestSystemAttributes(t *testing.T) {
	s := newService(t, Config{ID: "Q"})
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		attrs map[string]Attribute
		want  string
	}{
		{"other name", map[string]Attribute{"SenderId": str("x")}, "only one is AWSTraceHeader"},
		{"binary", map[string]Attribute{tracectx.AWSTraceHeader: {DataType: "Binary", BinaryValue: []byte("x")}}, "must be String"},
		{"empty", map[string]Attribute{tracectx.AWSTraceHeader: {DataType: "String"}}, "non-empty StringValue"},
	} {
		if _, err := s.Send(ctx, "Q", SendInput{Body: "x", MessageSystemAttributes: c.attrs}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrInvalid with %q", c.name, err, c.want)
		}
	}
	header := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	send(t, s, "Q", SendInput{Body: "x", MessageSystemAttributes: map[string]Attribute{tracectx.AWSTraceHeader: str(header)}})
	got := receive(t, s, "Q", 1, time.Second)
	if len(got) != 1 || got[0].Attributes[tracectx.AWSTraceHeader] != header {
		t.Fatalf("received %+v, want AWSTraceHeader %s", got, header)
	}
}

// Messages stored by earlier versions kept their attributes in a header;
// they are still read.
func TestSplitReadsBothForms(t *testing.T) {
	h := nats.Header{}
	h.Set(hdrAttrsLen, "5")
	if body, attrs := split([]byte(`{"a"}body`), h); string(body) != "body" || string(attrs) != `{"a"}` {
		t.Errorf("attributes before the body: body %q, attributes %q", body, attrs)
	}
	old := nats.Header{}
	old.Set(hdrAttrs, `{"k":{"DataType":"String","StringValue":"v"}}`)
	if body, attrs := split([]byte("body"), old); string(body) != "body" || string(attrs) != old.Get(hdrAttrs) {
		t.Errorf("attributes in a header: body %q, attributes %q", body, attrs)
	}
	if body, attrs := split([]byte("body"), nats.Header{}); string(body) != "body" || attrs != nil {
		t.Errorf("no attributes: body %q, attributes %q", body, attrs)
	}
}
