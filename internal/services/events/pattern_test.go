package events

import (
	"errors"
	"strings"
	"testing"
)

const order = `{"version": "0", "id": "1", "source": "shop.orders", "detail-type": "Order Placed", "account": "123456789012",
 "time": "2026-11-22T10:00:00Z", "region": "us-east-1", "resources": ["arn:aws:ec2:us-east-1:1:instance/i-1", "arn:x"],
 "detail": {"id": 7, "amount": 42.5, "currency": "EUR", "state": "placed", "note": null, "gift": true, "empty": "",
  "file": "photos/2026/cat.PNG", "ip": "10.0.0.7", "tags": ["red", "big"], "counts": [1, 5, 9], "none": [],
  "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 3}], "customer": {"tier": "gold", "address": {"country": "DE"}}}}`

func TestPatternMatch(t *testing.T) {
	for _, c := range []struct {
		name, pattern string
		want          bool
	}{
		{"source", `{"source": ["shop.orders"]}`, true},
		{"source other", `{"source": ["shop.refunds"]}`, false},
		{"list is OR", `{"source": ["x", "shop.orders"]}`, true},
		{"fields are AND", `{"source": ["shop.orders"], "detail-type": ["Refund"]}`, false},
		{"nested", `{"detail": {"customer": {"address": {"country": ["DE"]}}}}`, true},
		{"nested other", `{"detail": {"customer": {"address": {"country": ["FR"]}}}}`, false},
		{"missing field", `{"detail": {"coupon": ["X"]}}`, false},
		{"number", `{"detail": {"id": [7]}}`, true},
		{"number as float", `{"detail": {"id": [7.0]}}`, true},
		{"number is not a string", `{"detail": {"id": ["7"]}}`, false},
		{"string is not a number", `{"detail": {"currency": [7]}}`, false},
		{"null", `{"detail": {"note": [null]}}`, true},
		{"null is not missing", `{"detail": {"coupon": [null]}}`, false},
		{"bool", `{"detail": {"gift": [true]}}`, true},
		{"empty string", `{"detail": {"empty": [""]}}`, true},
		{"prefix", `{"time": [{"prefix": "2026-11"}]}`, true},
		{"prefix other", `{"time": [{"prefix": "2025"}]}`, false},
		{"prefix ignore case", `{"source": [{"prefix": {"equals-ignore-case": "SHOP."}}]}`, true},
		{"prefix on a number", `{"detail": {"id": [{"prefix": "7"}]}}`, false},
		{"suffix", `{"detail": {"file": [{"suffix": ".PNG"}]}}`, true},
		{"suffix case", `{"detail": {"file": [{"suffix": ".png"}]}}`, false},
		{"suffix ignore case", `{"detail": {"file": [{"suffix": {"equals-ignore-case": ".png"}}]}}`, true},
		{"equals-ignore-case", `{"detail": {"currency": [{"equals-ignore-case": "eur"}]}}`, true},
		{"anything-but string", `{"detail": {"state": [{"anything-but": "cancelled"}]}}`, true},
		{"anything-but same", `{"detail": {"state": [{"anything-but": "placed"}]}}`, false},
		{"anything-but list", `{"detail": {"state": [{"anything-but": ["new", "placed"]}]}}`, false},
		{"anything-but number", `{"detail": {"id": [{"anything-but": [1, 2]}]}}`, true},
		{"anything-but number same", `{"detail": {"id": [{"anything-but": 7}]}}`, false},
		{"anything-but missing", `{"detail": {"coupon": [{"anything-but": "x"}]}}`, false},
		{"anything-but prefix", `{"detail": {"state": [{"anything-but": {"prefix": "pl"}}]}}`, false},
		{"anything-but prefix other", `{"detail": {"state": [{"anything-but": {"prefix": "ca"}}]}}`, true},
		{"anything-but suffix", `{"detail": {"file": [{"anything-but": {"suffix": ".PNG"}}]}}`, false},
		{"anything-but ignore case", `{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["PLACED"]}}]}}`, false},
		{"anything-but wildcard", `{"detail": {"file": [{"anything-but": {"wildcard": "*/2026/*"}}]}}`, false},
		{"numeric range", `{"detail": {"amount": [{"numeric": [">", 0, "<=", 42.5]}]}}`, true},
		{"numeric range out", `{"detail": {"amount": [{"numeric": [">", 0, "<", 42.5]}]}}`, false},
		{"numeric upper first", `{"detail": {"amount": [{"numeric": ["<", 100, ">=", 42.5]}]}}`, true},
		{"numeric equal", `{"detail": {"id": [{"numeric": ["=", 7]}]}}`, true},
		{"numeric on a string", `{"detail": {"currency": [{"numeric": [">", 0]}]}}`, false},
		{"exists", `{"detail": {"state": [{"exists": true}]}}`, true},
		{"exists null", `{"detail": {"note": [{"exists": true}]}}`, true},
		{"exists missing", `{"detail": {"coupon": [{"exists": true}]}}`, false},
		{"not exists", `{"detail": {"coupon": [{"exists": false}]}}`, true},
		{"not exists present", `{"detail": {"state": [{"exists": false}]}}`, false},
		{"exists on an object", `{"detail": {"customer": [{"exists": true}]}}`, false},
		{"exists empty array", `{"detail": {"none": [{"exists": false}]}}`, true},
		{"not exists under a missing object", `{"detail": {"shipping": {"carrier": [{"exists": false}]}}}`, true},
		{"wildcard", `{"detail": {"file": [{"wildcard": "photos/*/*.PNG"}]}}`, true},
		{"wildcard no", `{"detail": {"file": [{"wildcard": "videos/*"}]}}`, false},
		{"wildcard exact", `{"detail": {"currency": [{"wildcard": "EUR"}]}}`, true},
		{"wildcard star only", `{"detail": {"currency": [{"wildcard": "*"}]}}`, true},
		{"wildcard escaped star", `{"detail": {"currency": [{"wildcard": "E\\*"}]}}`, false},
		{"cidr", `{"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}`, true},
		{"cidr other", `{"detail": {"ip": [{"cidr": "10.0.1.0/24"}]}}`, false},
		{"array field any", `{"detail": {"tags": ["big"]}}`, true},
		{"array field none", `{"detail": {"tags": ["small"]}}`, false},
		{"array intersects", `{"resources": ["arn:y", "arn:x"]}`, true},
		{"array numeric", `{"detail": {"counts": [{"numeric": [">", 8]}]}}`, true},
		{"array of objects", `{"detail": {"items": {"sku": ["b"], "qty": [3]}}}`, true},
		{"array of objects, one element", `{"detail": {"items": {"sku": ["a"], "qty": [3]}}}`, false},
		{"$or first", `{"$or": [{"source": ["shop.orders"]}, {"detail-type": ["x"]}]}`, true},
		{"$or second", `{"$or": [{"source": ["x"]}, {"detail": {"state": ["placed"]}}]}`, true},
		{"$or none", `{"$or": [{"source": ["x"]}, {"detail": {"state": ["y"]}}]}`, false},
		{"$or nested and sibling", `{"detail": {"currency": ["EUR"], "$or": [{"id": [1]}, {"amount": [{"numeric": [">", 40]}]}]}}`, true},
		{"$or and failing sibling", `{"source": ["y"], "$or": [{"detail-type": ["Order Placed"]}, {"region": ["x"]}]}`, false},
		{"exists or value", `{"detail": {"coupon": [{"exists": false}, "X"]}}`, true},
		{"unicode ignore case", `{"detail": {"customer": {"tier": [{"equals-ignore-case": "GOLD"}]}}}`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Compile(c.pattern)
			if err != nil {
				t.Fatalf("Compile(%s): %v", c.pattern, err)
			}
			got, err := p.Match([]byte(order))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("Match(%s) = %v, want %v", c.pattern, got, c.want)
			}
		})
	}
}

func TestPatternErrors(t *testing.T) {
	for _, c := range []struct {
		pattern any
		want    string
	}{
		{nil, "the pattern is empty"},
		{"", "the pattern is empty"},
		{`{"source": `, "not JSON"},
		{`{"a": ["x"]} trailing`, "not JSON"},
		{`["a"]`, "must be a JSON object"},
		{`{}`, "(top): an empty object matches nothing"},
		{`{"detail": {}}`, "detail: an empty object"},
		{`{"source": "shop"}`, `source: a value must be a list of matches, like ["shop"]`},
		{`{"detail": {"n": 5}}`, "detail.n: a value must be a list"},
		{`{"source": []}`, "source: an empty list matches nothing"},
		{`{"source": [["a"]]}`, "source[0]: a list inside a list"},
		{`{"source": [{"prefix": "a", "suffix": "b"}]}`, "source[0]: a match object has exactly one operator"},
		{`{"source": [{"begins": "a"}]}`, `source[0]: unknown operator "begins"`},
		{`{"source": [{"prefix": 5}]}`, "source[0]: prefix takes a string"},
		{`{"source": [{"prefix": {"equals-ignore-case": 5}}]}`, "prefix takes a string"},
		{`{"source": [{"equals-ignore-case": ["a"]}]}`, "equals-ignore-case takes a string"},
		{`{"detail": {"amount": [{"numeric": [">", 0, "<="]}]}}`, `detail.amount[0]: numeric needs pairs like [">", 0, "<=", 5]`},
		{`{"detail": {"amount": [{"numeric": ">"}]}}`, "detail.amount[0]: numeric needs pairs"},
		{`{"detail": {"amount": [{"numeric": [">", "0"]}]}}`, `"0" is not a number`},
		{`{"detail": {"amount": [{"numeric": ["!=", 0]}]}}`, `"!=" is not an operator`},
		{`{"detail": {"amount": [{"numeric": [">", 0, ">", 5]}]}}`, "one lower bound"},
		{`{"detail": {"amount": [{"numeric": ["=", 0, "<", 5]}]}}`, `"=" stands alone`},
		{`{"detail": {"amount": [{"numeric": [">", 5, "<", 1]}]}}`, "holds no number"},
		{`{"detail": {"amount": [{"numeric": [">", 1e999]}]}}`, "not a number"},
		{`{"a": [1e999]}`, "not a number EventBridge can compare"},
		{`{"a": [{"exists": "yes"}]}`, "a[0]: exists takes true or false"},
		{`{"a": [{"cidr": "10.0.0.0"}]}`, "a[0]: cidr takes an IP range"},
		{`{"a": [{"wildcard": "a**b"}]}`, "consecutive * are not allowed"},
		{`{"a": [{"wildcard": "a\\b"}]}`, "a backslash escapes only"},
		{`{"a": [{"wildcard": 3}]}`, "wildcard takes a string"},
		{`{"a": [{"anything-but": []}]}`, "anything-but: the list is empty"},
		{`{"a": [{"anything-but": ["x", 1]}]}`, "only strings or only numbers"},
		{`{"a": [{"anything-but": [true]}]}`, "a list holds strings or numbers"},
		{`{"a": [{"anything-but": null}]}`, "anything-but takes a string"},
		{`{"a": [{"anything-but": {"numeric": [">", 1]}}]}`, `"numeric" cannot be used inside it`},
		{`{"a": [{"anything-but": {"prefix": ["x"]}}]}`, "anything-but: prefix takes a string"},
		{`{"a": [{"anything-but": {"wildcard": ["a**"]}}]}`, "consecutive *"},
		{`{"$or": [{"a": ["x"]}]}`, "$or: $or needs at least two patterns"},
		{`{"$or": {"a": ["x"]}}`, "$or: $or takes a list of patterns"},
		{`{"$or": [{"a": ["x"]}, "b"]}`, "$or[1]: each $or entry is a pattern object"},
		{`{"x": {"$or": [{"a": ["x"]}, {"b": "y"}]}}`, "x.$or[1].b: a value must be a list"},
		{map[string]any{"detail": map[string]any{"amount": []any{map[string]any{"numeric": []any{">", 0, "<="}}}}}, "detail.amount[0]: numeric needs pairs"},
	} {
		_, err := Compile(c.pattern)
		if err == nil || !errors.Is(err, ErrPattern) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Compile(%v) = %v, want an ErrPattern with %q", c.pattern, err, c.want)
		}
	}
}

func TestPatternFromDecodedValues(t *testing.T) {
	// Templates give patterns as decoded values with float64 numbers.
	p, err := Compile(map[string]any{"source": []any{"shop.orders"}, "detail": map[string]any{"amount": []any{map[string]any{"numeric": []any{">=", 42.5}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := p.Match([]byte(order)); !got {
		t.Errorf("decoded pattern %s did not match the order", p)
	}
	if want := `{"detail":{"amount":[{"numeric":["\u003e=",42.5]}]},"source":["shop.orders"]}`; p.String() != want {
		t.Errorf("String() = %s, want %s", p, want)
	}
	if _, err := p.Match([]byte(`[1]`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("matching a list: %v, want ErrInvalid", err)
	}
}

// FuzzPattern compiles and matches arbitrary patterns and events: neither
// panics, and every refused pattern says why with ErrPattern.
func FuzzPattern(f *testing.F) {
	for _, s := range []string{
		`{"source": ["a"]}`, `{"detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}}`, `{"a": [{"anything-but": {"wildcard": ["*x*"]}}]}`,
		`{"$or": [{"a": [1]}, {"b": [{"exists": false}]}]}`, `{"a": [{"wildcard": "a\\*b*c"}]}`, `{"a": [{"cidr": "::1/128"}]}`,
		`{"a": [{"prefix": {"equals-ignore-case": "X"}}]}`, `{"a": {"b": {"c": [null, true, "", 0]}}}`,
	} {
		f.Add(s, order)
		f.Add(s, `{"a": [[{"b": [1]}], "x"], "detail": {"n": [3, "4"]}}`)
	}
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := Compile(pattern)
		if err != nil {
			if !errors.Is(err, ErrPattern) || err.Error() == "" {
				t.Fatalf("Compile(%q): %v is not an ErrPattern", pattern, err)
			}
			return
		}
		if _, err := p.Match([]byte(event)); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("Match: %v is not an ErrInvalid", err)
		}
		// A compiled pattern compiles again from its text to the same text.
		q, err := Compile(p.String())
		if err != nil || q.String() != p.String() {
			t.Fatalf("recompiling %s: %v, %v", p, q, err)
		}
	})
}

// BenchmarkMatch matches an order against a pattern of several operators.
func BenchmarkMatch(b *testing.B) {
	p, err := Compile(`{"source": ["shop.orders"], "detail": {"amount": [{"numeric": [">", 10, "<=", 100]}],
		"file": [{"wildcard": "photos/*.PNG"}], "tags": [{"anything-but": ["small"]}], "customer": {"tier": ["gold", "silver"]}}}`)
	if err != nil {
		b.Fatal(err)
	}
	event := []byte(order)
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := p.Match(event); !ok {
			b.Fatal("no match")
		}
	}
}

// BenchmarkMatchValue is BenchmarkMatch without decoding the event.
func BenchmarkMatchValue(b *testing.B) {
	p, err := Compile(`{"source": ["shop.orders"], "detail": {"amount": [{"numeric": [">", 10, "<=", 100]}],
		"file": [{"wildcard": "photos/*.PNG"}], "tags": [{"anything-but": ["small"]}], "customer": {"tier": ["gold", "silver"]}}}`)
	if err != nil {
		b.Fatal(err)
	}
	v, _ := decodeJSON([]byte(order))
	event := v.(map[string]any)
	b.ReportAllocs()
	for b.Loop() {
		if !p.MatchValue(event) {
			b.Fatal("no match")
		}
	}
}
