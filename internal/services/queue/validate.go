package queue

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// Limits of SQS message attributes (SendMessage, SendMessageBatch).
const (
	// MaxAttributes is the most message attributes a message has.
	MaxAttributes = 10
	// MaxAttributeName is the longest attribute name, and data type.
	MaxAttributeName = 256
)

// checkAttributes checks a message's attributes as SQS does: at most
// MaxAttributes, each with a valid name (CheckAttributeName), a data type
// String, Number or Binary (optionally followed by "." and a custom
// label), and one non-empty value of that type: StringValue for String and
// Number (a number SQS can hold), BinaryValue for Binary. The attributes
// are checked in name order, so the first fault named is always the same.
func checkAttributes(attrs map[string]Attribute) error {
	if len(attrs) > MaxAttributes {
		return fmt.Errorf("%w: the message has %d message attributes; SQS allows at most %d (put the rest in the body)", ErrInvalid, len(attrs), MaxAttributes)
	}
	for _, name := range sortedNames(attrs) {
		if err := CheckAttributeName(name); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if err := checkAttribute(name, attrs[name]); err != nil {
			return fmt.Errorf("%w: message attribute %q: %v", ErrInvalid, name, err)
		}
	}
	return nil
}

func checkAttribute(name string, a Attribute) error {
	base, err := CheckAttributeType(a.DataType, a.StringValue, a.BinaryValue, "String, Number or Binary")
	if err != nil {
		return err
	}
	if base == "Number" {
		if err := checkNumber(a.StringValue); err != nil {
			return fmt.Errorf("StringValue %q is not a number SQS accepts: %v", short(a.StringValue), err)
		}
	}
	return nil
}

// CheckAttributeType checks a message attribute's DataType and value as
// SQS and SNS do: a DataType of at most 256 characters whose base is
// String, Number or Binary, optionally followed by '.' and a custom label;
// one non-empty value, BinaryValue for Binary and StringValue for the
// others. kinds names the DataTypes the service takes, for the error
// ("String, Number or Binary"). It returns the base; what a Number or a
// service's own type (SNS's String.Array) must hold is the caller's.
func CheckAttributeType(dataType, stringValue string, binaryValue []byte, kinds string) (string, error) {
	base, label, labelled := strings.Cut(dataType, ".")
	switch {
	case dataType == "":
		return "", fmt.Errorf("DataType is missing; give %s", kinds)
	case len(dataType) > MaxAttributeName:
		return "", fmt.Errorf("DataType is %d characters; at most %d", len(dataType), MaxAttributeName)
	case base != "String" && base != "Number" && base != "Binary":
		return "", fmt.Errorf("DataType %q is not %s (a custom label goes after a dot, as in Number.float)", short(dataType), kinds)
	case labelled && label == "":
		return "", fmt.Errorf("DataType %q has an empty custom label; write %s or %s.LABEL", dataType, base, base)
	}
	if base == "Binary" {
		if stringValue != "" {
			return "", fmt.Errorf("a %s attribute takes BinaryValue, not StringValue", dataType)
		}
		if len(binaryValue) == 0 {
			return "", fmt.Errorf("BinaryValue is empty; a %s attribute needs a non-empty value", dataType)
		}
		return base, nil
	}
	if len(binaryValue) > 0 {
		return "", fmt.Errorf("a %s attribute takes StringValue, not BinaryValue (use DataType Binary for bytes)", dataType)
	}
	if stringValue == "" {
		return "", fmt.Errorf("StringValue is empty; a %s attribute needs a non-empty value", dataType)
	}
	return base, nil
}

// CheckAttributeName checks a message attribute name as SQS and SNS do: 1
// to 256 characters of A-Z, a-z, 0-9, '_', '-' and '.'; not starting with
// the reserved prefixes "AWS." or "Amazon." in any case; not starting or
// ending with '.', and no ".." within. The error says what is wrong.
func CheckAttributeName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("a message attribute has an empty name; a name is 1 to %d characters", MaxAttributeName)
	case len(name) > MaxAttributeName:
		return fmt.Errorf("message attribute name %q is %d characters; at most %d", short(name), len(name), MaxAttributeName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("message attribute name %q has the character %q at byte %d; a name has only letters A-Z and a-z, digits, '_', '-' and '.'", short(name), rune(c), i+1)
		}
	}
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon."):
		return fmt.Errorf("message attribute name %q starts with a prefix reserved for AWS (AWS. or Amazon., in any case); rename it", short(name))
	case name[0] == '.' || name[len(name)-1] == '.':
		return fmt.Errorf("message attribute name %q starts or ends with '.'; a name may not", short(name))
	case strings.Contains(name, ".."):
		return fmt.Errorf("message attribute name %q has successive dots (..); a name may not", short(name))
	}
	return nil
}

// checkNumber checks a Number attribute's value as SQS does: a decimal
// number (an optional sign, digits with an optional fraction, an optional
// exponent) of at most 38 significant digits, zero or of magnitude 1E-128
// to below 1E+126.
func checkNumber(s string) error {
	digits, exp, ok := decimal(s)
	if !ok {
		return fmt.Errorf("write a decimal number such as 42, -1.5 or 2.5E3")
	}
	if digits == "" {
		return nil // zero
	}
	if len(digits) > 38 {
		return fmt.Errorf("it has %d significant digits; at most 38", len(digits))
	}
	// The value is 0.digits × 10^exp: its magnitude is 10^(exp-1) to
	// below 10^exp.
	if exp-1 < -128 || exp > 126 {
		return fmt.Errorf("its magnitude is out of the range 1E-128 to 1E+126")
	}
	return nil
}

// decimal parses a decimal number into its significant digits (no leading
// or trailing zeros; "" for zero) and the exponent e with value =
// 0.digits × 10^e. ok is false if s is not a decimal number.
func decimal(s string) (digits string, exp int, ok bool) {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	mant, e, hasExp := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return "", 0, false
	}
	if hasExp {
		neg := strings.HasPrefix(e, "-")
		if neg || strings.HasPrefix(e, "+") {
			e = e[1:]
		}
		if e == "" || !allDigits(e) {
			return "", 0, false
		}
		// An exponent of more than 6 digits is out of any range: it is
		// taken as 999999, which no number of digits brings back.
		if e = strings.TrimLeft(e, "0"); len(e) > 6 {
			e = "999999"
		}
		exp, _ = strconv.Atoi("0" + e)
		if neg {
			exp = -exp
		}
	}
	all := intPart + frac
	lead := len(all) - len(strings.TrimLeft(all, "0"))
	digits = strings.TrimRight(all[lead:], "0")
	if digits == "" {
		return "", 0, true
	}
	return digits, exp + len(intPart) - lead, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkSystemAttributes checks a message's system attributes: SQS takes
// only AWSTraceHeader, a non-empty String.
func checkSystemAttributes(attrs map[string]Attribute) error {
	for _, name := range sortedNames(attrs) {
		a := attrs[name]
		switch {
		case name != tracectx.AWSTraceHeader:
			return fmt.Errorf("%w: message system attribute %q is not one SQS takes; the only one is %s", ErrInvalid, short(name), tracectx.AWSTraceHeader)
		case a.DataType != "String":
			return fmt.Errorf("%w: message system attribute %s has DataType %q; it must be String", ErrInvalid, name, short(a.DataType))
		case len(a.BinaryValue) > 0 || a.StringValue == "":
			return fmt.Errorf("%w: message system attribute %s needs a non-empty StringValue (an X-Ray trace header, as Root=1-...;Parent=...;Sampled=1)", ErrInvalid, name)
		}
	}
	return nil
}

// attributesSize is what SQS counts of a message's attributes against
// MaxMessageSize: each one's name, data type and value.
func attributesSize(attrs map[string]Attribute) int {
	n := 0
	for k, a := range attrs {
		n += len(k) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}

func sortedNames(attrs map[string]Attribute) []string {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
