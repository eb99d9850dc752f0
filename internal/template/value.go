package template

import (
	"strconv"

	"github.com/stacklab/stacklab/internal/diag"
)

// Kind is the JSON kind of a Value.
type Kind uint8

// Value kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	List
	Map
)

func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case Number:
		return "number"
	case String:
		return "string"
	case List:
		return "list"
	case Map:
		return "map"
	}
	return "unknown"
}

// Value is a node of a template: a scalar, a list or an ordered map, with the
// position it was read from.
type Value struct {
	Kind   Kind
	Scalar string   // Bool, Number, String: the text ("true", "128", "abc")
	Items  []*Value // List
	Fields []Field  // Map, in file order
	Pos    diag.Pos
}

// Field is one key of a map.
type Field struct {
	Key    string
	KeyPos diag.Pos
	Value  *Value
}

// Get returns the value of key in a map, or nil.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Map {
		return nil
	}
	for i := range v.Fields {
		if v.Fields[i].Key == key {
			return v.Fields[i].Value
		}
	}
	return nil
}

// Field returns the field named key in a map, or nil.
func (v *Value) Field(key string) *Field {
	if v == nil || v.Kind != Map {
		return nil
	}
	for i := range v.Fields {
		if v.Fields[i].Key == key {
			return &v.Fields[i]
		}
	}
	return nil
}

// Set replaces or appends key in a map.
func (v *Value) Set(key string, val *Value) {
	for i := range v.Fields {
		if v.Fields[i].Key == key {
			v.Fields[i].Value = val
			return
		}
	}
	v.Fields = append(v.Fields, Field{Key: key, KeyPos: val.Pos, Value: val})
}

// Delete removes key from a map.
func (v *Value) Delete(key string) {
	for i := range v.Fields {
		if v.Fields[i].Key == key {
			v.Fields = append(v.Fields[:i], v.Fields[i+1:]...)
			return
		}
	}
}

// Str returns the text of a scalar and whether v is a scalar.
func (v *Value) Str() (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Kind {
	case String, Number, Bool:
		return v.Scalar, true
	}
	return "", false
}

// IsString reports whether v is a string scalar.
func (v *Value) IsString() bool { return v != nil && v.Kind == String }

// Intrinsic returns the function name and argument when v is an intrinsic
// function call: a map with exactly one key that is Ref, Condition or Fn::*.
func (v *Value) Intrinsic() (name string, arg *Value, ok bool) {
	if v == nil || v.Kind != Map || len(v.Fields) != 1 {
		return "", nil, false
	}
	k := v.Fields[0].Key
	if k == "Ref" || k == "Condition" || len(k) > 4 && k[:4] == "Fn::" {
		return k, v.Fields[0].Value, true
	}
	return "", nil, false
}

// Clone returns a deep copy of v.
func (v *Value) Clone() *Value {
	if v == nil {
		return nil
	}
	c := *v
	if v.Items != nil {
		c.Items = make([]*Value, len(v.Items))
		for i, it := range v.Items {
			c.Items[i] = it.Clone()
		}
	}
	if v.Fields != nil {
		c.Fields = make([]Field, len(v.Fields))
		for i, f := range v.Fields {
			c.Fields[i] = Field{Key: f.Key, KeyPos: f.KeyPos, Value: f.Value.Clone()}
		}
	}
	return &c
}

// Interface converts v to plain JSON values: nil, bool, float64 (or the
// string for numbers that do not fit), string, []any, map[string]any.
func (v *Value) Interface() any {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case Bool:
		return v.Scalar == "true"
	case Number:
		if f, err := strconv.ParseFloat(v.Scalar, 64); err == nil {
			return f
		}
		return v.Scalar
	case String:
		return v.Scalar
	case List:
		out := make([]any, len(v.Items))
		for i, it := range v.Items {
			out[i] = it.Interface()
		}
		return out
	case Map:
		out := make(map[string]any, len(v.Fields))
		for _, f := range v.Fields {
			out[f.Key] = f.Value.Interface()
		}
		return out
	}
	return nil
}

// FromInterface builds a Value from plain JSON values, every node at pos.
func FromInterface(x any, pos diag.Pos) *Value {
	switch t := x.(type) {
	case nil:
		return &Value{Kind: Null, Pos: pos}
	case bool:
		return &Value{Kind: Bool, Scalar: strconv.FormatBool(t), Pos: pos}
	case float64:
		return &Value{Kind: Number, Scalar: strconv.FormatFloat(t, 'f', -1, 64), Pos: pos}
	case int:
		return &Value{Kind: Number, Scalar: strconv.Itoa(t), Pos: pos}
	case string:
		return &Value{Kind: String, Scalar: t, Pos: pos}
	case []any:
		v := &Value{Kind: List, Pos: pos, Items: make([]*Value, len(t))}
		for i, it := range t {
			v.Items[i] = FromInterface(it, pos)
		}
		return v
	case []string:
		v := &Value{Kind: List, Pos: pos, Items: make([]*Value, len(t))}
		for i, it := range t {
			v.Items[i] = &Value{Kind: String, Scalar: it, Pos: pos}
		}
		return v
	case map[string]any:
		v := &Value{Kind: Map, Pos: pos}
		for _, k := range sortedKeys(t) {
			v.Fields = append(v.Fields, Field{Key: k, KeyPos: pos, Value: FromInterface(t[k], pos)})
		}
		return v
	}
	return &Value{Kind: Null, Pos: pos}
}

func str(s string, pos diag.Pos) *Value { return &Value{Kind: String, Scalar: s, Pos: pos} }
