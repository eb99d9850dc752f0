package queue

import "testing"

// The digests are those SQS answers (as published with SDKs' tests of
// their checks), so a client that checks MD5OfMessageAttributes accepts ours.
func TestAttributesMD5(t *testing.T) {
	for _, c := range []struct {
		attrs map[string]Attribute
		want  string
	}{
		{nil, ""},
		{map[string]Attribute{"SellerName": {DataType: "String", StringValue: "Example Store"}}, "cd28f3b68aeee4b2eac9c66f2f694b58"},
		{map[string]Attribute{
			"ordinal":  {DataType: "Number", StringValue: "1"},
			"category": {DataType: "String", StringValue: "test"},
		}, "d21ae90c49061e927f57df5f5d72be1f"},
	} {
		if got := AttributesMD5(c.attrs); got != c.want {
			t.Errorf("AttributesMD5(%v) = %q, want %q", c.attrs, got, c.want)
		}
	}
	// Binary values are framed as binary (transport type 2), so the same
	// bytes as a string give another digest.
	s := AttributesMD5(map[string]Attribute{"b": {DataType: "String", StringValue: "xy"}})
	b := AttributesMD5(map[string]Attribute{"b": {DataType: "Binary", BinaryValue: []byte("xy")}})
	if s == b || b == "" {
		t.Errorf("binary and string attributes of the same bytes: digests %q and %q, want two different ones", s, b)
	}
}
