package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of a pattern.
const maxDepth = 64

// Pattern is a compiled EventBridge event pattern. Every field of an object
// must match (AND); a field's list matches when any of its entries does
// (OR); an event field that is an array matches when any element does.
// A Pattern is immutable and safe for concurrent use.
type Pattern struct {
	root *object
	text string
}

// object is one level of a pattern: its fields and its $or alternatives.
type object struct {
	fields []field
	ors    [][]*object // each $or needs one alternative to match
}

// field is one key of an object: a nested object, or a leaf's matches.
type field struct {
	name  string
	sub   *object
	conds []cond
}

// op is the kind of a leaf match.
type op uint8

const (
	opEqual op = iota
	opPrefix
	opSuffix
	opIgnoreCase
	opWildcard
	opNumeric
	opExists
	opCIDR
	opAnythingBut
)

// cond is one entry of a leaf's list.
type cond struct {
	op     op
	val    value        // opEqual
	str    string       // opPrefix, opSuffix, opIgnoreCase (lower case when fold)
	fold   bool         // opPrefix, opSuffix: equals-ignore-case
	glob   []string     // opWildcard: the literal runs between the stars
	bounds []bound      // opNumeric
	exists bool         // opExists
	cidr   netip.Prefix // opCIDR
	but    []cond       // opAnythingBut: matches when none of these does
}

type bound struct {
	op string // =, <, <=, >, >=
	n  float64
}

// value is a JSON scalar of a pattern or an event.
type value struct {
	kind byte // 's' string, 'n' number, 'b' bool, '0' null
	s    string
	n    float64
	b    bool
}

// Compile checks and compiles an event pattern: a JSON object as text or
// bytes, or an already decoded value (map[string]any, as templates give).
// A malformed pattern's error wraps ErrPattern and names the JSON path of
// the bad part and how to write it.
func Compile(p any) (*Pattern, error) {
	v, err := normalize(p)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf(`%w: the pattern must be a JSON object, like {"source": ["my.app"]}, not %s`, ErrPattern, describe(v))
	}
	root, err := compileObject(m, "", 0)
	if err != nil {
		return nil, err
	}
	text, _ := json.Marshal(v)
	return &Pattern{root: root, text: string(text)}, nil
}

// String is the pattern as compact JSON.
func (p *Pattern) String() string { return p.text }

// normalize turns any pattern into JSON values with numbers kept as
// json.Number.
func normalize(p any) (any, error) {
	var data []byte
	switch v := p.(type) {
	case nil:
		return nil, fmt.Errorf(`%w: the pattern is empty; give a JSON object, like {"source": ["my.app"]}`, ErrPattern)
	case string:
		data = []byte(v)
	case []byte:
		data = v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%w: the pattern cannot be written as JSON: %v", ErrPattern, err)
		}
		data = b
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf(`%w: the pattern is empty; give a JSON object, like {"source": ["my.app"]}`, ErrPattern)
	}
	v, err := decodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%w: the pattern is not JSON: %v", ErrPattern, err)
	}
	return v, nil
}

// decodeJSON decodes one JSON value, numbers as json.Number.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("text follows the JSON value")
	}
	return v, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func fail(path, format string, args ...any) error {
	if path == "" {
		path = "(top)"
	}
	return fmt.Errorf("%w: %s: %s", ErrPattern, path, fmt.Sprintf(format, args...))
}

// describe names the JSON type of a value for errors.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case json.Number:
		return "the number " + x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func compileObject(m map[string]any, path string, depth int) (*object, error) {
	if depth > maxDepth {
		return nil, fail(path, "the pattern is nested deeper than %d levels", maxDepth)
	}
	if len(m) == 0 {
		return nil, fail(path, `an empty object matches nothing; give at least one field, like {"source": ["my.app"]}`)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := &object{}
	for _, k := range keys {
		fp := join(path, k)
		switch v := m[k].(type) {
		case map[string]any:
			if k == "$or" {
				return nil, fail(fp, `$or takes a list of patterns, like [{"a": ["x"]}, {"b": ["y"]}]`)
			}
			sub, err := compileObject(v, fp, depth+1)
			if err != nil {
				return nil, err
			}
			o.fields = append(o.fields, field{name: k, sub: sub})
		case []any:
			if k == "$or" {
				alts, err := compileOr(v, fp, depth)
				if err != nil {
					return nil, err
				}
				o.ors = append(o.ors, alts)
				continue
			}
			if len(v) == 0 {
				return nil, fail(fp, `an empty list matches nothing; give at least one value, like ["a"]`)
			}
			f := field{name: k}
			for i, e := range v {
				c, err := compileCond(e, fmt.Sprintf("%s[%d]", fp, i))
				if err != nil {
					return nil, err
				}
				f.conds = append(f.conds, c)
			}
			o.fields = append(o.fields, f)
		default:
			return nil, fail(fp, `a value must be a list of matches, like [%s], or a nested object, not %s`, exampleOf(v), describe(v))
		}
	}
	return o, nil
}

// exampleOf is v as it should have been written inside a list.
func exampleOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil || v == nil {
		return `"a"`
	}
	return string(b)
}

func compileOr(list []any, path string, depth int) ([]*object, error) {
	if len(list) < 2 {
		return nil, fail(path, `$or needs at least two patterns, like [{"a": ["x"]}, {"b": ["y"]}]`)
	}
	var alts []*object
	for i, e := range list {
		m, ok := e.(map[string]any)
		ip := fmt.Sprintf("%s[%d]", path, i)
		if !ok {
			return nil, fail(ip, `each $or entry is a pattern object, like {"a": ["x"]}, not %s`, describe(e))
		}
		alt, err := compileObject(m, ip, depth+1)
		if err != nil {
			return nil, err
		}
		alts = append(alts, alt)
	}
	return alts, nil
}

// scalar converts a JSON scalar to a value.
func scalar(v any) (value, bool) {
	switch x := v.(type) {
	case string:
		return value{kind: 's', s: x}, true
	case json.Number:
		n, err := strconv.ParseFloat(x.String(), 64)
		if err != nil || math.IsInf(n, 0) {
			return value{}, false
		}
		return value{kind: 'n', n: n}, true
	case float64:
		return value{kind: 'n', n: x}, true
	case bool:
		return value{kind: 'b', b: x}, true
	case nil:
		return value{kind: '0'}, true
	}
	return value{}, false
}

const operators = "prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists or cidr"

func compileCond(e any, path string) (cond, error) {
	switch x := e.(type) {
	case []any:
		return cond{}, fail(path, `a list inside a list is not a match; write the values in one list, like ["a", "b"]`)
	case map[string]any:
		if len(x) != 1 {
			return cond{}, fail(path, `a match object has exactly one operator (%s), like {"prefix": "a"}; this one has %d`, operators, len(x))
		}
		for name, arg := range x {
			return compileOperator(name, arg, path)
		}
	}
	v, ok := scalar(e)
	if !ok {
		return cond{}, fail(path, "%s is not a number EventBridge can compare", describe(e))
	}
	return cond{op: opEqual, val: v}, nil
}

func compileOperator(name string, arg any, path string) (cond, error) {
	switch name {
	case "prefix", "suffix":
		o := opPrefix
		if name == "suffix" {
			o = opSuffix
		}
		if s, ok := arg.(string); ok {
			return cond{op: o, str: s}, nil
		}
		if m, ok := arg.(map[string]any); ok && len(m) == 1 {
			if s, ok := m["equals-ignore-case"].(string); ok {
				return cond{op: o, str: strings.ToLower(s), fold: true}, nil
			}
		}
		return cond{}, fail(path, `%s takes a string, like {"%s": "a"}, or {"%s": {"equals-ignore-case": "a"}}, not %s`, name, name, name, describe(arg))
	case "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return cond{}, fail(path, `equals-ignore-case takes a string, like {"equals-ignore-case": "a"}, not %s`, describe(arg))
		}
		return cond{op: opIgnoreCase, str: s}, nil
	case "wildcard":
		s, ok := arg.(string)
		if !ok {
			return cond{}, fail(path, `wildcard takes a string with * in it, like {"wildcard": "dir/*.png"}, not %s`, describe(arg))
		}
		return compileWildcard(s, path)
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return cond{}, fail(path, `exists takes true or false, like {"exists": true}, not %s`, describe(arg))
		}
		return cond{op: opExists, exists: b}, nil
	case "cidr":
		s, ok := arg.(string)
		pfx, err := netip.ParsePrefix(s)
		if !ok || err != nil {
			return cond{}, fail(path, `cidr takes an IP range, like {"cidr": "10.0.0.0/24"}, not %s`, describe(arg))
		}
		return cond{op: opCIDR, cidr: pfx.Masked()}, nil
	case "numeric":
		return compileNumeric(arg, path)
	case "anything-but":
		return compileAnythingBut(arg, path)
	}
	return cond{}, fail(path, "unknown operator %q; use %s", name, operators)
}

const numericHelp = `numeric needs pairs like [">", 0, "<=", 5]`

func compileNumeric(arg any, path string) (cond, error) {
	l, ok := arg.([]any)
	if !ok || (len(l) != 2 && len(l) != 4) {
		return cond{}, fail(path, numericHelp)
	}
	c := cond{op: opNumeric}
	lower, upper := 0, 0
	for i := 0; i < len(l); i += 2 {
		o, ok := l[i].(string)
		if !ok {
			return cond{}, fail(path, "%s; %s is not an operator (=, <, <=, >, >=)", numericHelp, describe(l[i]))
		}
		v, ok := scalar(l[i+1])
		if !ok || v.kind != 'n' {
			return cond{}, fail(path, "%s; %s is not a number", numericHelp, describe(l[i+1]))
		}
		switch o {
		case "=":
			if len(l) == 4 {
				return cond{}, fail(path, `numeric: "=" stands alone, like ["=", 5]; a range is [">", 0, "<=", 5]`)
			}
		case ">", ">=":
			lower++
		case "<", "<=":
			upper++
		default:
			return cond{}, fail(path, "numeric: %q is not an operator; use =, <, <=, > or >=", o)
		}
		c.bounds = append(c.bounds, bound{op: o, n: v.n})
	}
	if len(l) == 4 {
		if lower != 1 || upper != 1 {
			return cond{}, fail(path, `numeric: a range is one lower bound (> or >=) and one upper bound (< or <=), like [">", 0, "<=", 5]`)
		}
		lo, hi := c.bounds[0], c.bounds[1]
		if lo.op[0] == '<' {
			lo, hi = hi, lo
		}
		if lo.n > hi.n || (lo.n == hi.n && (lo.op == ">" || hi.op == "<")) {
			return cond{}, fail(path, "numeric: the range %s %v, %s %v holds no number; put the lower bound below the upper", lo.op, lo.n, hi.op, hi.n)
		}
	}
	return c, nil
}

func compileAnythingBut(arg any, path string) (cond, error) {
	c := cond{op: opAnythingBut}
	const help = `anything-but takes a string, a number, a list of strings or of numbers, or one of {"prefix": "a"}, {"suffix": "a"}, {"equals-ignore-case": "a"}, {"wildcard": "a*"}`
	switch x := arg.(type) {
	case string, json.Number, float64:
		v, ok := scalar(x)
		if !ok {
			return cond{}, fail(path, "%s; %s is not a number EventBridge can compare", help, describe(x))
		}
		c.but = []cond{{op: opEqual, val: v}}
	case []any:
		if len(x) == 0 {
			return cond{}, fail(path, "anything-but: the list is empty; give the values to leave out, like [\"a\", \"b\"]")
		}
		var kind byte
		for _, e := range x {
			v, ok := scalar(e)
			if !ok || (v.kind != 's' && v.kind != 'n') {
				return cond{}, fail(path, "anything-but: a list holds strings or numbers, not %s", describe(e))
			}
			if kind != 0 && v.kind != kind {
				return cond{}, fail(path, "anything-but: a list holds only strings or only numbers, not both")
			}
			kind = v.kind
			c.but = append(c.but, cond{op: opEqual, val: v})
		}
	case map[string]any:
		if len(x) != 1 {
			return cond{}, fail(path, help)
		}
		for name, a := range x {
			switch name {
			case "prefix", "suffix":
				s, ok := a.(string)
				if !ok {
					return cond{}, fail(path, `anything-but: %s takes a string, like {"anything-but": {"%s": "a"}}`, name, name)
				}
				o := opPrefix
				if name == "suffix" {
					o = opSuffix
				}
				c.but = []cond{{op: o, str: s}}
			case "equals-ignore-case", "wildcard":
				list, ok := a.([]any)
				if !ok {
					list = []any{a}
				}
				if len(list) == 0 {
					return cond{}, fail(path, "anything-but: %s: the list is empty", name)
				}
				for _, e := range list {
					s, ok := e.(string)
					if !ok {
						return cond{}, fail(path, `anything-but: %s takes a string or a list of strings, like {"anything-but": {"%s": ["a", "b"]}}`, name, name)
					}
					sub, err := compileOperator(name, s, path)
					if err != nil {
						return cond{}, err
					}
					c.but = append(c.but, sub)
				}
			default:
				return cond{}, fail(path, "anything-but: %q cannot be used inside it; %s", name, help)
			}
		}
	default:
		return cond{}, fail(path, "%s; not %s", help, describe(arg))
	}
	return c, nil
}

// compileWildcard splits a wildcard at its stars. \* is a literal star and
// \\ a literal backslash.
func compileWildcard(s, path string) (cond, error) {
	var parts []string
	var cur strings.Builder
	star := false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return cond{}, fail(path, `wildcard: a backslash escapes only * or \ (write \\* for a literal star)`)
			}
			i++
			cur.WriteByte(s[i])
			star = false
		case '*':
			if star {
				return cond{}, fail(path, "wildcard: consecutive * are not allowed; one * matches any run of characters")
			}
			parts = append(parts, cur.String())
			cur.Reset()
			star = true
		default:
			cur.WriteByte(ch)
			star = false
		}
	}
	parts = append(parts, cur.String())
	return cond{op: opWildcard, glob: parts}, nil
}

// Match reports whether an event, a JSON object, matches the pattern.
func (p *Pattern) Match(event []byte) (bool, error) {
	v, err := decodeJSON(event)
	if err != nil {
		return false, fmt.Errorf("%w: the event is not JSON: %v", ErrInvalid, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false, fmt.Errorf("%w: the event must be a JSON object, not %s", ErrInvalid, describe(v))
	}
	return p.MatchValue(m), nil
}

// MatchValue reports whether a decoded event matches the pattern. Numbers
// may be float64 or json.Number.
func (p *Pattern) MatchValue(event map[string]any) bool {
	return p != nil && p.root.match(event)
}

func (o *object) match(m map[string]any) bool {
	for i := range o.fields {
		f := &o.fields[i]
		v, present := m[f.name]
		if f.sub != nil {
			if !f.sub.matchNested(v) {
				return false
			}
		} else if !f.matchLeaf(v, present) {
			return false
		}
	}
	for _, alts := range o.ors {
		ok := false
		for _, a := range alts {
			if a.match(m) {
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

// matchNested matches a nested pattern against an event value: an object,
// any object of an array, or — for anything else — no fields at all (so
// that exists: false holds).
func (o *object) matchNested(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return o.match(x)
	case []any:
		seen := false
		for _, e := range x {
			switch e.(type) {
			case map[string]any, []any:
				seen = true
				if o.matchNested(e) {
					return true
				}
			}
		}
		if seen {
			return false
		}
	}
	return o.match(nil)
}

// leafValues are the scalars of an event value: itself, or the scalars of
// an array, flattened. Objects have none.
func leafValues(v any, out []value) []value {
	switch x := v.(type) {
	case map[string]any:
		return out
	case []any:
		for _, e := range x {
			out = leafValues(e, out)
		}
		return out
	}
	if s, ok := scalar(v); ok {
		out = append(out, s)
	}
	return out
}

func (f *field) matchLeaf(v any, present bool) bool {
	var vals []value
	if present {
		vals = leafValues(v, nil)
	}
	for i := range f.conds {
		c := &f.conds[i]
		if c.op == opExists {
			if (len(vals) > 0) == c.exists {
				return true
			}
			continue
		}
		for _, x := range vals {
			if c.match(x) {
				return true
			}
		}
	}
	return false
}

func (c *cond) match(v value) bool {
	switch c.op {
	case opEqual:
		return v.kind == c.val.kind && v.s == c.val.s && v.n == c.val.n && v.b == c.val.b
	case opPrefix:
		if v.kind != 's' {
			return false
		}
		if c.fold {
			return strings.HasPrefix(strings.ToLower(v.s), c.str)
		}
		return strings.HasPrefix(v.s, c.str)
	case opSuffix:
		if v.kind != 's' {
			return false
		}
		if c.fold {
			return strings.HasSuffix(strings.ToLower(v.s), c.str)
		}
		return strings.HasSuffix(v.s, c.str)
	case opIgnoreCase:
		return v.kind == 's' && strings.EqualFold(v.s, c.str)
	case opWildcard:
		return v.kind == 's' && globMatch(c.glob, v.s)
	case opNumeric:
		if v.kind != 'n' {
			return false
		}
		for _, b := range c.bounds {
			if !compare(v.n, b) {
				return false
			}
		}
		return true
	case opCIDR:
		if v.kind != 's' {
			return false
		}
		a, err := netip.ParseAddr(v.s)
		return err == nil && c.cidr.Contains(a.Unmap())
	case opAnythingBut:
		for i := range c.but {
			if c.but[i].match(v) {
				return false
			}
		}
		return true
	}
	return false
}

func compare(n float64, b bound) bool {
	switch b.op {
	case "=":
		return n == b.n
	case "<":
		return n < b.n
	case "<=":
		return n <= b.n
	case ">":
		return n > b.n
	case ">=":
		return n >= b.n
	}
	return false
}

// globMatch matches s against literal parts that stars separate: the first
// is a prefix, the last a suffix, the ones between appear in order.
func globMatch(parts []string, s string) bool {
	if len(parts) == 1 {
		return s == parts[0]
	}
	first, last := parts[0], parts[len(parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(mid, p)
		if i < 0 {
			return false
		}
		mid = mid[i+len(p):]
	}
	return true
}
