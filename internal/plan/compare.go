package plan

import (
	"encoding/json"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// diffValues appends to out one PropertyChange for every deepest path at
// which a and b differ. Maps are compared key by key; lists element by
// element when they have the same length and as a whole otherwise; a
// reference ({"Ref": ...}, {"Fn::GetAtt": ...}) is one value, not a map.
// diffValues appends nothing exactly when equal(a, b).
func diffValues(out []PropertyChange, path string, a, b any) []PropertyChange {
	if a == nil && b == nil {
		return out
	}
	if a == nil || b == nil {
		return append(out, PropertyChange{Path: path, Old: a, New: b})
	}
	if am, ok := asMap(a); ok && !isIntrinsic(am) {
		if bm, ok := asMap(b); ok && !isIntrinsic(bm) {
			for _, k := range unionKeys(am, bm) {
				out = diffValues(out, keyPath(path, k), am[k], bm[k])
			}
			return out
		}
	}
	if al, ok := asList(a); ok {
		if bl, ok := asList(b); ok && len(al) == len(bl) {
			for i := range al {
				out = diffValues(out, path+"["+strconv.Itoa(i)+"]", al[i], bl[i])
			}
			return out
		}
	}
	if equal(a, b) {
		return out
	}
	return append(out, PropertyChange{Path: path, Old: a, New: b})
}

// equal reports whether two plain JSON values are the same to
// CloudFormation:
//   - maps are equal when every key has equal values, a missing key and a
//     null value being the same;
//   - lists are equal when they have the same length and equal elements;
//   - numbers are equal by value whatever their Go type, and a string
//     spelling a decimal number equals that number ("128" and 128), as does
//     "true" or "false" the boolean, because a template rewritten from YAML
//     to JSON may quote scalars differently. Two strings are compared as
//     strings: "1.10" and "1.1" differ.
func equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if am, ok := asMap(a); ok {
		bm, ok := asMap(b)
		if !ok {
			return false
		}
		for _, k := range unionKeys(am, bm) {
			if !equal(am[k], bm[k]) {
				return false
			}
		}
		return true
	}
	if al, ok := asList(a); ok {
		bl, ok := asList(b)
		if !ok || len(al) != len(bl) {
			return false
		}
		for i := range al {
			if !equal(al[i], bl[i]) {
				return false
			}
		}
		return true
	}
	return scalarEqual(a, b)
}

func scalarEqual(a, b any) bool {
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			return as == bs
		}
		return spells(as, b)
	}
	if bs, ok := b.(string); ok {
		return spells(bs, a)
	}
	if af, ok := number(a); ok {
		bf, ok := number(b)
		return ok && af == bf
	}
	if ab, ok := a.(bool); ok {
		bb, ok := b.(bool)
		return ok && ab == bb
	}
	return reflect.DeepEqual(a, b)
}

// spells reports whether the string s is how a template would quote the
// number or boolean v.
func spells(s string, v any) bool {
	if f, ok := number(v); ok {
		if !decimal.MatchString(s) {
			return false
		}
		g, err := strconv.ParseFloat(s, 64)
		return err == nil && f == g
	}
	if b, ok := v.(bool); ok {
		return s == strconv.FormatBool(b)
	}
	return false
}

// decimal matches the numbers a template may spell as a string; it leaves
// out what strconv.ParseFloat would also take (hex, "Inf", "NaN",
// underscores).
var decimal = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// number returns v as a float64 when it is a number of any Go type.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// asMap returns v as a map when it is one; map[string]string is accepted
// so that hand-built stacks need not spell every map as map[string]any.
func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[string]string:
		p := make(map[string]any, len(m))
		for k, s := range m {
			p[k] = s
		}
		return p, true
	}
	return nil, false
}

// asList returns v as a list when it is one; []string is accepted as for
// asMap.
func asList(v any) ([]any, bool) {
	switch l := v.(type) {
	case []any:
		return l, true
	case []string:
		p := make([]any, len(l))
		for i, s := range l {
			p[i] = s
		}
		return p, true
	}
	return nil, false
}

// isIntrinsic reports whether m is an unresolved intrinsic function such as
// {"Ref": "Id"} or {"Fn::GetAtt": ["Id", "Arn"]}, which is compared and
// reported as one value.
func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// unionKeys returns the keys of a and b whose values are not null, sorted.
func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k, v := range a {
		if v != nil {
			keys = append(keys, k)
		}
	}
	for k, v := range b {
		if v != nil && a[k] == nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// keyPath returns the path of the property key under parent.
func keyPath(parent, key string) string {
	if !plainKey(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// plainKey reports whether key can be written bare in a dotted path.
func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if r == '.' || r == '[' || r == ']' || r == '"' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
