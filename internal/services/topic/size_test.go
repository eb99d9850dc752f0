package topic

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestPublishSizeLimit checks SNS's 256 KB limit on the message with its
// attributes: exactly the limit is published, one byte more is refused
// with an error giving both sizes.
func TestPublishSizeLimit(t *testing.T) {
	s, _, stop := setup(t, t.TempDir(), &invoker{})
	defer stop()
	ctx := context.Background()
	attrs := map[string]Attribute{"kind": {DataType: "String", StringValue: "order"}} // 4 + 6 + 5 bytes
	if _, err := s.Publish(ctx, "Orders", PublishInput{Message: strings.Repeat("m", MaxMessageSize-15), MessageAttributes: attrs}); err != nil {
		t.Errorf("a message of exactly 256 KB with its attributes: %v", err)
	}
	for _, in := range []PublishInput{
		{Message: strings.Repeat("m", MaxMessageSize+1)},
		{Message: strings.Repeat("m", MaxMessageSize-14), MessageAttributes: attrs},
	} {
		_, err := s.Publish(ctx, "Orders", in)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "262145 bytes, more than the 262144 bytes SNS allows") {
			t.Errorf("a message one byte over 256 KB with its attributes: %v, want ErrInvalid giving both sizes", err)
		}
	}
}
