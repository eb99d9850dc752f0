package topic

import (
	"errors"
	"testing"
)

func str(v string) Attribute { return Attribute{DataType: "String", StringValue: v} }
func num(v string) Attribute { return Attribute{DataType: "Number", StringValue: v} }

func TestPolicyMatch(t *testing.T) {
	for _, c := range []struct {
		name   string
		policy string
		attrs  map[string]Attribute
		want   bool
	}{
		{"no policy", ``, nil, true},
		{"empty object", `{}`, map[string]Attribute{"a": str("x")}, true},
		{"exact", `{"color": ["red"]}`, map[string]Attribute{"color": str("red")}, true},
		{"exact other", `{"color": ["red"]}`, map[string]Attribute{"color": str("blue")}, false},
		{"missing", `{"color": ["red"]}`, nil, false},
		{"list is OR", `{"color": ["red", "blue"]}`, map[string]Attribute{"color": str("blue")}, true},
		{"keys are AND", `{"color": ["red"], "size": ["L"]}`, map[string]Attribute{"color": str("red"), "size": str("M")}, false},
		{"keys are AND, both", `{"color": ["red"], "size": ["L"]}`, map[string]Attribute{"color": str("red"), "size": str("L")}, true},
		{"string array", `{"tags": ["b"]}`, map[string]Attribute{"tags": {DataType: "String.Array", StringValue: `["a","b"]`}}, true},
		{"string array none", `{"tags": ["c"]}`, map[string]Attribute{"tags": {DataType: "String.Array", StringValue: `["a","b"]`}}, false},
		{"number exact", `{"n": [5]}`, map[string]Attribute{"n": num("5.0")}, true},
		{"number not string", `{"n": [5]}`, map[string]Attribute{"n": str("5")}, false},
		{"numeric range in", `{"price": [{"numeric": [">", 0, "<=", 100]}]}`, map[string]Attribute{"price": num("100")}, true},
		{"numeric range low", `{"price": [{"numeric": [">", 0, "<=", 100]}]}`, map[string]Attribute{"price": num("0")}, false},
		{"numeric range high", `{"price": [{"numeric": [">", 0, "<=", 100]}]}`, map[string]Attribute{"price": num("100.5")}, false},
		{"numeric on a string", `{"price": [{"numeric": [">", 0]}]}`, map[string]Attribute{"price": str("7")}, false},
		{"numeric equal", `{"price": [{"numeric": ["=", 3.5]}]}`, map[string]Attribute{"price": num("3.5")}, true},
		{"prefix", `{"event": [{"prefix": "order-"}]}`, map[string]Attribute{"event": str("order-placed")}, true},
		{"prefix no", `{"event": [{"prefix": "order-"}]}`, map[string]Attribute{"event": str("refund")}, false},
		{"suffix", `{"file": [{"suffix": ".png"}]}`, map[string]Attribute{"file": str("a.png")}, true},
		{"ignore case", `{"c": [{"equals-ignore-case": "RED"}]}`, map[string]Attribute{"c": str("red")}, true},
		{"anything-but value", `{"c": [{"anything-but": "red"}]}`, map[string]Attribute{"c": str("blue")}, true},
		{"anything-but same", `{"c": [{"anything-but": "red"}]}`, map[string]Attribute{"c": str("red")}, false},
		{"anything-but list", `{"c": [{"anything-but": ["red", "blue"]}]}`, map[string]Attribute{"c": str("blue")}, false},
		{"anything-but missing", `{"c": [{"anything-but": "red"}]}`, nil, false},
		{"anything-but number", `{"n": [{"anything-but": [1, 2]}]}`, map[string]Attribute{"n": num("2")}, false},
		{"anything-but number other", `{"n": [{"anything-but": [1, 2]}]}`, map[string]Attribute{"n": num("3")}, true},
		{"anything-but prefix", `{"c": [{"anything-but": {"prefix": "int-"}}]}`, map[string]Attribute{"c": str("int-x")}, false},
		{"anything-but prefix other", `{"c": [{"anything-but": {"prefix": "int-"}}]}`, map[string]Attribute{"c": str("ext-x")}, true},
		{"exists true", `{"c": [{"exists": true}]}`, map[string]Attribute{"c": str("")}, true},
		{"exists true missing", `{"c": [{"exists": true}]}`, nil, false},
		{"exists false", `{"c": [{"exists": false}]}`, nil, true},
		{"exists false present", `{"c": [{"exists": false}]}`, map[string]Attribute{"c": str("x")}, false},
		{"OR of operators", `{"c": ["red", {"prefix": "bl"}]}`, map[string]Attribute{"c": str("blue")}, true},
		{"binary never matches a value", `{"c": [{"anything-but": "x"}]}`, map[string]Attribute{"c": {DataType: "Binary", BinaryValue: []byte("y")}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var in any
			if c.policy != "" {
				in = c.policy
			}
			p, err := ParsePolicy(in)
			if err != nil {
				t.Fatalf("parse %s: %v", c.policy, err)
			}
			if got := p.Match(c.attrs); got != c.want {
				t.Errorf("%s on %v: %v, want %v", c.policy, c.attrs, got, c.want)
			}
		})
	}
}

func TestPolicyInvalid(t *testing.T) {
	for _, policy := range []string{
		`[]`, `"x"`, `{"a": "red"}`, `{"a": []}`, `{"a": {"b": ["x"]}}`, `{"$or": [{"a": ["x"]}]}`,
		`{"a": [{"numeric": [">"]}]}`, `{"a": [{"numeric": ["~", 1]}]}`, `{"a": [{"numeric": ["<", 1, ">", 0]}]}`,
		`{"a": [{"prefix": 1}]}`, `{"a": [{"exists": "yes"}]}`, `{"a": [{"nope": 1}]}`, `{"a": [{"prefix": "x", "suffix": "y"}]}`,
		`{"a": [{"anything-but": []}]}`, `{"a": [{"anything-but": {"suffix": "x"}}]}`, `{"a": [true]}`, `{"a": [null]}`, `{`,
	} {
		if _, err := ParsePolicy(policy); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", policy, err)
		}
	}
	// A decoded policy, as templates give them.
	p, err := ParsePolicy(map[string]any{"a": []any{"x", map[string]any{"numeric": []any{">=", 1}}}})
	if err != nil || !p.Match(map[string]Attribute{"a": num("2")}) || p.Match(map[string]Attribute{"a": num("0")}) {
		t.Errorf("decoded policy: %v", err)
	}
}

// FuzzPolicy parses arbitrary policies and matches them against arbitrary
// attributes: nothing panics, and matching is deterministic.
func FuzzPolicy(f *testing.F) {
	f.Add(`{"price": [{"numeric": [">", 0, "<=", 100]}], "c": ["red", {"prefix": "b"}]}`, "price", "Number", "50")
	f.Add(`{"c": [{"anything-but": ["a", 1]}], "d": [{"exists": false}]}`, "c", "String", "b")
	f.Add(`{"t": ["x"]}`, "t", "String.Array", `["x", 1]`)
	f.Add(`{"a": [{"anything-but": {"prefix": ""}}]}`, "a", "Number", "1e400")
	f.Fuzz(func(t *testing.T, policy, name, typ, value string) {
		p, err := ParsePolicy(policy)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: error %v is not ErrInvalid", policy, err)
			}
			return
		}
		attrs := map[string]Attribute{name: {DataType: typ, StringValue: value, BinaryValue: []byte(value)}}
		if p.Match(attrs) != p.Match(attrs) {
			t.Fatalf("%q: matching is not deterministic", policy)
		}
		p.Match(nil)
	})
}
