package plan

import (
	"encoding/json"
	"testing"
)

// FuzzDiffValues checks, on arbitrary JSON values, that diffValues and equal
// agree, that both are symmetric, and that a value never differs from itself.
func FuzzDiffValues(f *testing.F) {
	f.Add(`{"MemorySize":128}`, `{"MemorySize":"128"}`)
	f.Add(`{"A":[1,2,{"B":null}]}`, `{"A":[1,2,{}]}`)
	f.Add(`{"Ref":"X"}`, `{"Ref":"Y"}`)
	f.Add(`[true,"false"]`, `["true",false,1]`)
	f.Add(`{"a.b":{"c d":"1e3"}}`, `{"a.b":{"c d":1000}}`)
	f.Fuzz(func(t *testing.T, x, y string) {
		var a, b any
		if json.Unmarshal([]byte(x), &a) != nil || json.Unmarshal([]byte(y), &b) != nil {
			t.Skip()
		}
		if !equal(a, a) || len(diffValues(nil, "P", a, a)) != 0 {
			t.Fatalf("%s differs from itself", x)
		}
		eq := equal(a, b)
		if eq != equal(b, a) {
			t.Fatalf("equal is not symmetric for %s and %s", x, y)
		}
		ab, ba := diffValues(nil, "P", a, b), diffValues(nil, "P", b, a)
		if (len(ab) == 0) != eq || len(ab) != len(ba) {
			t.Fatalf("diffValues(%s, %s): %d changes one way, %d the other, equal %v", x, y, len(ab), len(ba), eq)
		}
		for i, c := range ab {
			if c.Path != ba[i].Path || c.Path == "" {
				t.Fatalf("paths differ by direction: %q and %q", c.Path, ba[i].Path)
			}
			if c.Old == nil && c.New == nil {
				t.Fatalf("change at %q has neither old nor new value", c.Path)
			}
		}
		if _, err := json.Marshal(ChangeSet{Changes: []Change{{ID: "X", Action: Modify, Properties: ab}}}); err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
	})
}
