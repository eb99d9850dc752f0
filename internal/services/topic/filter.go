package topic

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Attribute is an SNS message attribute. DataType is String, Number,
// String.Array or Binary.
type Attribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
}

// Policy is a compiled SNS filter policy on message attributes: every key
// must match (AND), and a key matches when any of its conditions does
// (OR). The zero Policy (no policy) matches every message.
type Policy struct {
	keys []key
}

type key struct {
	name  string
	conds []cond
}

// cond is one condition of a key. Exactly one kind is set.
type cond struct {
	kind   string // "string", "number", "prefix", "suffix", "ignore-case", "anything-but", "numeric", "exists"
	str    string
	num    float64
	exists bool
	// anything-but: the values (strings and numbers) or a prefix.
	butStr    []string
	butNum    []float64
	butPrefix string
	// numeric: up to two comparisons.
	ops  []string
	nums []float64
}

// ParsePolicy compiles a filter policy: a JSON object (as text or bytes),
// or an already decoded map. nil or "" is no policy.
func ParsePolicy(p any) (*Policy, error) {
	var m map[string]any
	switch v := p.(type) {
	case nil:
		return &Policy{}, nil
	case string:
		if strings.TrimSpace(v) == "" {
			return &Policy{}, nil
		}
		return ParsePolicy([]byte(v))
	case []byte:
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, fmt.Errorf("%w: the filter policy is not a JSON object: %v", ErrInvalid, err)
		}
		if m == nil {
			return &Policy{}, nil
		}
	case map[string]any:
		m = v
	default:
		return nil, fmt.Errorf("%w: the filter policy must be an object, not %T", ErrInvalid, p)
	}
	pol := &Policy{}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "$or" {
			return nil, fmt.Errorf("%w: filter policy: \"$or\" is not supported", ErrInvalid)
		}
		list, ok := m[name].([]any)
		if !ok {
			if _, nested := m[name].(map[string]any); nested {
				return nil, fmt.Errorf("%w: filter policy key %q: nested keys are for payload-based filtering, which is not supported; give a list of conditions", ErrInvalid, name)
			}
			return nil, fmt.Errorf("%w: filter policy key %q: the value must be a list of conditions, like [\"a\", \"b\"]", ErrInvalid, name)
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("%w: filter policy key %q: the list of conditions is empty", ErrInvalid, name)
		}
		k := key{name: name}
		for _, c := range list {
			cd, err := parseCond(c)
			if err != nil {
				return nil, fmt.Errorf("%w: filter policy key %q: %v", ErrInvalid, name, err)
			}
			k.conds = append(k.conds, cd)
		}
		pol.keys = append(pol.keys, k)
	}
	return pol, nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func parseCond(c any) (cond, error) {
	if s, ok := c.(string); ok {
		return cond{kind: "string", str: s}, nil
	}
	if n, ok := number(c); ok {
		return cond{kind: "number", num: n}, nil
	}
	obj, ok := c.(map[string]any)
	if !ok || len(obj) != 1 {
		return cond{}, fmt.Errorf("a condition is a string, a number or an object with one operator, not %v", c)
	}
	for op, arg := range obj {
		switch op {
		case "prefix", "suffix", "equals-ignore-case":
			s, ok := arg.(string)
			if !ok {
				return cond{}, fmt.Errorf("%q takes a string", op)
			}
			if op == "equals-ignore-case" {
				op = "ignore-case"
			}
			return cond{kind: op, str: s}, nil
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return cond{}, fmt.Errorf("\"exists\" takes true or false")
			}
			return cond{kind: "exists", exists: b}, nil
		case "anything-but":
			cd := cond{kind: "anything-but"}
			vals := []any{arg}
			if l, ok := arg.([]any); ok {
				vals = l
				if len(l) == 0 {
					return cond{}, fmt.Errorf("\"anything-but\" takes a non-empty list")
				}
			}
			if o, ok := arg.(map[string]any); ok {
				p, ok := o["prefix"].(string)
				if !ok || len(o) != 1 {
					return cond{}, fmt.Errorf("\"anything-but\" takes a value, a list of values or {\"prefix\": \"...\"}")
				}
				cd.butPrefix = p
				return cd, nil
			}
			for _, v := range vals {
				if s, ok := v.(string); ok {
					cd.butStr = append(cd.butStr, s)
				} else if n, ok := number(v); ok {
					cd.butNum = append(cd.butNum, n)
				} else {
					return cond{}, fmt.Errorf("\"anything-but\" takes strings and numbers, not %v", v)
				}
			}
			return cd, nil
		case "numeric":
			l, ok := arg.([]any)
			if !ok || (len(l) != 2 && len(l) != 4) {
				return cond{}, fmt.Errorf("\"numeric\" takes [op, number] or [op, number, op, number], like [\">\", 0, \"<=\", 100]")
			}
			cd := cond{kind: "numeric"}
			for i := 0; i < len(l); i += 2 {
				o, ok := l[i].(string)
				n, nok := number(l[i+1])
				if !ok || !nok {
					return cond{}, fmt.Errorf("\"numeric\" takes operators and numbers, like [\">\", 0]")
				}
				switch o {
				case "=", "<", "<=", ">", ">=":
				default:
					return cond{}, fmt.Errorf("\"numeric\": unknown operator %q (=, <, <=, >, >=)", o)
				}
				if len(l) == 4 && (o == "=" || (i == 0 && o[0] != '>') || (i == 2 && o[0] != '<')) {
					return cond{}, fmt.Errorf("\"numeric\": a range is a lower bound (> or >=) then an upper bound (< or <=)")
				}
				cd.ops = append(cd.ops, o)
				cd.nums = append(cd.nums, n)
			}
			return cd, nil
		default:
			return cond{}, fmt.Errorf("unknown operator %q (prefix, suffix, equals-ignore-case, anything-but, numeric, exists)", op)
		}
	}
	return cond{}, nil
}

// Match reports whether a message with these attributes passes the policy.
func (p *Policy) Match(attrs map[string]Attribute) bool {
	if p == nil {
		return true
	}
	for _, k := range p.keys {
		a, present := attrs[k.name]
		ok := false
		for _, c := range k.conds {
			if c.match(a, present) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// values are an attribute's values as strings: one, or the elements of a
// String.Array. Binary attributes have none.
func values(a Attribute) []string {
	switch {
	case strings.HasPrefix(a.DataType, "Binary"):
		return nil
	case a.DataType == "String.Array":
		var l []any
		if json.Unmarshal([]byte(a.StringValue), &l) != nil {
			return nil
		}
		out := make([]string, 0, len(l))
		for _, v := range l {
			switch x := v.(type) {
			case string:
				out = append(out, x)
			case float64:
				out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
			}
		}
		return out
	}
	return []string{a.StringValue}
}

func isNumber(a Attribute) bool {
	return strings.HasPrefix(a.DataType, "Number") || a.DataType == "String.Array"
}

func parseNum(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

func (c cond) match(a Attribute, present bool) bool {
	if c.kind == "exists" {
		return present == c.exists
	}
	if !present {
		return false
	}
	for _, v := range values(a) {
		if c.matchValue(v, isNumber(a)) {
			return true
		}
	}
	return false
}

func (c cond) matchValue(v string, numeric bool) bool {
	switch c.kind {
	case "string":
		return v == c.str
	case "prefix":
		return strings.HasPrefix(v, c.str)
	case "suffix":
		return strings.HasSuffix(v, c.str)
	case "ignore-case":
		return strings.EqualFold(v, c.str)
	case "number":
		n, ok := parseNum(v)
		return numeric && ok && n == c.num
	case "anything-but":
		if c.butPrefix != "" {
			return !strings.HasPrefix(v, c.butPrefix)
		}
		for _, s := range c.butStr {
			if v == s {
				return false
			}
		}
		if n, ok := parseNum(v); ok && numeric {
			for _, b := range c.butNum {
				if n == b {
					return false
				}
			}
		}
		return true
	case "numeric":
		n, ok := parseNum(v)
		if !numeric || !ok {
			return false
		}
		for i, op := range c.ops {
			b := c.nums[i]
			var r bool
			switch op {
			case "=":
				r = n == b
			case "<":
				r = n < b
			case "<=":
				r = n <= b
			case ">":
				r = n > b
			case ">=":
				r = n >= b
			}
			if !r {
				return false
			}
		}
		return true
	}
	return false
}
