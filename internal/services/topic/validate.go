package topic

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/stacklab/stacklab/internal/services/queue"
)

// number is the form of a Number attribute's value: a decimal number.
var decimalNumber = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// checkAttributes checks a publish's message attributes as SNS does: each
// with a valid name (the rules of SQS, queue.CheckAttributeName), a data
// type String, String.Array, Number or Binary (String, Number and Binary
// may take a custom label after a dot), and one non-empty value of that
// type: StringValue for String, Number (a decimal number) and
// String.Array (a JSON array of strings, numbers, true, false and null),
// BinaryValue for Binary. SNS sets no count: up to 10 reach a queue
// subscribed with RawMessageDelivery, as SQS takes no more. The attributes
// are checked in name order, so the first fault named is always the same.
func checkAttributes(attrs map[string]Attribute) error {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := queue.CheckAttributeName(name); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if err := checkAttribute(attrs[name]); err != nil {
			return fmt.Errorf("%w: message attribute %q: %v", ErrInvalid, name, err)
		}
	}
	return nil
}

func checkAttribute(a Attribute) error {
	base, err := queue.CheckAttributeType(a.DataType, a.StringValue, a.BinaryValue, "String, String.Array, Number or Binary")
	if err != nil {
		return err
	}
	switch {
	case base == "Number":
		if _, ok := parseNum(a.StringValue); !ok || !decimalNumber.MatchString(a.StringValue) {
			return fmt.Errorf("StringValue %q is not a number; write a decimal number such as 42, -1.5 or 2.5E3", shorten(a.StringValue))
		}
	case a.DataType == "String.Array":
		return checkArray(a.StringValue)
	}
	return nil
}

// checkArray checks a String.Array value: a JSON array of strings,
// numbers, true, false and null.
func checkArray(v string) error {
	var l []json.RawMessage
	if err := json.Unmarshal([]byte(v), &l); err != nil {
		return fmt.Errorf(`StringValue %q is not a JSON array; a String.Array is written as ["a", "b", 3]`, shorten(v))
	}
	for i, e := range l {
		switch t := strings.TrimSpace(string(e)); {
		case t == "", t[0] == '{', t[0] == '[':
			return fmt.Errorf("element %d of the String.Array is %s; the elements are strings, numbers, true, false or null", i+1, shorten(t))
		}
	}
	return nil
}

// shorten cuts a long value for an error message.
func shorten(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
