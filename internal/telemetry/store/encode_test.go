package store

import (
	"encoding/json"
	"math"
	"testing"
)

// TestEncodeAttrs checks the attributes' encoder against json.Marshal, byte
// for byte.
func TestEncodeAttrs(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    map[string]any
	}{
		{"strings", map[string]any{"faas.name": "Echo", "stacklab.resource": "Echo", "b": "", "a": "x y"}},
		{"numbers", map[string]any{"int64": int64(-42), "int": 7, "float": 1.5, "big": 1e21, "small": 1e-7, "zero": 0.0}},
		{"bools", map[string]any{"t": true, "f": false}},
		{"escaped", map[string]any{"html": "<a href=\"x\">&</a>", "ctl": "a\nb\tc\x00\x1f", "back": `c:\dir`, "uni": "héllo ✓", "bad": "\xff\xfe", "sep": "\u2028\u2029"}},
		{"escaped keys", map[string]any{"<k>": 1, "é": 2, "\"": 3}},
		{"slices", map[string]any{"s": []string{"a", "<b>"}, "i": []int64{1, 2}, "f": []float64{0.5}, "b": []bool{true}}},
		{"many keys", map[string]any{"k01": 1, "k02": 2, "k03": 3, "k04": 4, "k05": 5, "k06": 6, "k07": 7, "k08": 8, "k09": 9, "k10": 10, "k11": 11, "k12": 12, "k13": 13, "k14": 14, "k15": 15, "k16": 16, "k17": 17}},
		{"nested", map[string]any{"m": map[string]any{"z": 1, "a": "<"}, "nil": nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			if got := encodeJSON(tc.m, "{}"); got != string(want) {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
	if got := encodeJSON(map[string]any{"ok": "x", "nan": math.NaN()}, "{}"); got != "{}" {
		t.Errorf("unencodable value: got %s, want {}", got)
	}
	if got := encodeJSON(map[string]any{}, "{}"); got != "{}" {
		t.Errorf("empty map: got %s, want {}", got)
	}
}

func FuzzEncodeAttrs(f *testing.F) {
	f.Add("faas.name", "Echo", int64(1), true)
	f.Add("<&>", "\u2028\xff\"\\", int64(-1), false)
	f.Fuzz(func(t *testing.T, k, v string, n int64, b bool) {
		m := map[string]any{k: v, k + "n": n, k + "b": b, "s": v}
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeJSON(m, "{}"); got != string(want) {
			t.Errorf("got %s, want %s", got, want)
		}
	})
}
