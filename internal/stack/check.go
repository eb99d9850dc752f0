package stack

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/template"
)

// checker reads the properties of one resource, reporting every value of the
// wrong type at its position. A value that is still an intrinsic function
// (a reference to another resource, a parameter without a value) is taken
// as valid: it is only known when the stack is deployed.
type checker struct {
	diags *diag.List
	res   string
}

func (c *checker) errorf(v *template.Value, path, fix, format string, args ...any) {
	c.diags.Errorf(v.Pos, c.res, path, fix, format, args...)
}

func (c *checker) warnf(v *template.Value, path, fix, format string, args ...any) {
	c.diags.Warnf(v.Pos, c.res, path, fix, format, args...)
}

func isFn(v *template.Value) bool {
	_, _, ok := v.Intrinsic()
	return ok
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// str reads a string (numbers and booleans are accepted as their text, as
// CloudFormation does). ok is false when v is absent or not yet known.
func (c *checker) str(v *template.Value, path string) (s string, ok bool) {
	if v == nil || isFn(v) || v.Kind == template.Null {
		return "", false
	}
	if s, ok := v.Str(); ok {
		return s, true
	}
	c.errorf(v, path, "write a single string value", "%s should be a string, not a %s", last(path), v.Kind)
	return "", false
}

// integer reads a whole number within [lo, hi].
func (c *checker) integer(v *template.Value, path string, lo, hi int) (n int, ok bool) {
	if v == nil || isFn(v) {
		return 0, false
	}
	s, isScalar := v.Str()
	f, err := strconv.ParseFloat(s, 64)
	if !isScalar || v.Kind == template.Bool || err != nil || f != math.Trunc(f) {
		c.errorf(v, path, "write a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi), "%s should be an integer, not %s", last(path), describe(v))
		return 0, false
	}
	if f < float64(lo) || f > float64(hi) {
		c.errorf(v, path, "use a value from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi), "%s is %s, outside %d..%d", last(path), s, lo, hi)
		return 0, false
	}
	return int(f), true
}

// boolean reads true or false (or the strings "true"/"false").
func (c *checker) boolean(v *template.Value, path string) (b, ok bool) {
	if v == nil || isFn(v) {
		return false, false
	}
	s, isScalar := v.Str()
	switch strings.ToLower(s) {
	case "true":
		return true, isScalar
	case "false":
		return false, isScalar
	}
	c.errorf(v, path, "write true or false", "%s should be a boolean, not %s", last(path), describe(v))
	return false, false
}

// mapping checks that v is a map.
func (c *checker) mapping(v *template.Value, path string) bool {
	if v == nil || isFn(v) {
		return false
	}
	if v.Kind != template.Map {
		c.errorf(v, path, "write it as a map of names to values", "%s should be a map, not %s", last(path), describe(v))
		return false
	}
	return true
}

// list returns the items of a list; a single value counts as a list of one
// when one is true.
func (c *checker) list(v *template.Value, path string, one bool) []*template.Value {
	if v == nil || isFn(v) {
		return nil
	}
	if v.Kind == template.List {
		return v.Items
	}
	if one {
		return []*template.Value{v}
	}
	c.errorf(v, path, "write it as a list", "%s should be a list, not %s", last(path), describe(v))
	return nil
}

// strings reads a string or a list of strings.
func (c *checker) strs(v *template.Value, path string) []string {
	var out []string
	for i, it := range c.list(v, path, true) {
		if s, ok := c.str(it, path+"["+strconv.Itoa(i)+"]"); ok {
			out = append(out, s)
		}
	}
	return out
}

// oneOf reads a string that must be one of the allowed values.
func (c *checker) oneOf(v *template.Value, path string, allowed ...string) (string, bool) {
	s, ok := c.str(v, path)
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, s) {
		c.errorf(v, path, "use one of "+strings.Join(allowed, ", "), "%s is %q, not one of the valid values", last(path), s)
		return "", false
	}
	return s, true
}

// require reports a missing property.
func (c *checker) require(m *template.Value, key, path, fix string) *template.Value {
	v := m.Get(key)
	if v == nil && m != nil && m.Kind == template.Map {
		c.errorf(m, join(path, key), fix, "missing required property %s", key)
	}
	return v
}

// known reports properties that the resource type does not have.
func (c *checker) known(m *template.Value, path, typ string, names []string) {
	if m == nil || m.Kind != template.Map {
		return
	}
	for _, f := range m.Fields {
		if !slices.Contains(names, f.Key) {
			c.diags.Errorf(f.KeyPos, c.res, join(path, f.Key), "remove it, or use one of "+strings.Join(names, ", ")+suggest(f.Key, names), "%s has no property %q", typ, f.Key)
		}
	}
}

func describe(v *template.Value) string {
	switch v.Kind {
	case template.List, template.Map:
		return "a " + v.Kind.String()
	case template.Null:
		return "null"
	}
	return strconv.Quote(v.Scalar)
}

func last(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// target reads a reference to another resource: Ref, Fn::GetAtt, Fn::Sub
// "${Id.Arn}", or a literal name or ARN.
func target(v *template.Value) Target {
	if v == nil {
		return Target{}
	}
	if name, arg, ok := v.Intrinsic(); ok {
		switch name {
		case "Ref":
			if s, ok := arg.Str(); ok {
				s, _, _ = strings.Cut(s, ".")
				return Target{Ref: s}
			}
		case "Fn::GetAtt":
			if arg.Kind == template.List && len(arg.Items) > 0 {
				if s, ok := arg.Items[0].Str(); ok {
					return Target{Ref: s}
				}
			}
		case "Fn::Sub":
			t := arg
			if arg.Kind == template.List && len(arg.Items) > 0 {
				t = arg.Items[0]
			}
			if s, ok := t.Str(); ok {
				if i := strings.Index(s, "${"); i >= 0 {
					if j := strings.IndexByte(s[i:], '}'); j > 0 {
						id, _, _ := strings.Cut(s[i+2:i+j], ".")
						if !strings.HasPrefix(id, "AWS::") && !strings.HasPrefix(id, "!") {
							return Target{Ref: id}
						}
					}
				}
			}
		case "Fn::If":
			if arg.Kind == template.List && len(arg.Items) == 3 {
				if t := target(arg.Items[1]); !t.IsZero() {
					return t
				}
				return target(arg.Items[2])
			}
		}
		return Target{}
	}
	if s, ok := v.Str(); ok {
		return Target{Literal: s}
	}
	return Target{}
}

func plain(v *template.Value) any {
	if v == nil {
		return nil
	}
	return v.Interface()
}

func plainMap(v *template.Value) map[string]any {
	if v == nil || v.Kind != template.Map {
		return nil
	}
	m, _ := v.Interface().(map[string]any)
	return m
}

// suggest returns " (did you mean X?)" for a close name.
func suggest(name string, names []string) string { return diag.Suggest(name, names) }
