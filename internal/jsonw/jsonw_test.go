package jsonw

import (
	"bytes"
	"encoding/json"
	"testing"
)

// jsonString is what encoding/json writes for s with HTML escaping off.
func jsonString(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ back`, "<a href='x'>&amp;</a>", "\x00\x01\b\f\n\r\t\x1f\x7f", "é ü 日本 🎉", "\u2028\u2029", "bad \xff\xfe utf-8 \xe2\x82"} {
		if got, want := AppendString(nil, s), jsonString(s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("hello \"world\"\n")
	f.Add("\xff\u2028<>&")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := AppendString([]byte("x"), s), append([]byte("x"), jsonString(s)...); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}

func TestJSONWriterMaps(t *testing.T) {
	w := Writer{}
	w.Open('{')
	w.StrMap("a", map[string]string{"z": "1", "b": "2", "ä": "3"})
	w.StrMap("n", nil)
	w.StrsMap("m", map[string][]string{"k": {"x", "y"}, "e": nil})
	w.Strs("l", []string{})
	w.Int("i", -7)
	w.Bool("t", true)
	w.Close('}')
	want, _ := json.Marshal(map[string]any{
		"a": map[string]string{"z": "1", "b": "2", "ä": "3"},
		"n": nil,
		"m": map[string][]string{"k": {"x", "y"}, "e": nil},
		"l": []string{},
		"i": -7,
		"t": true,
	})
	var got, wantV any
	json.Unmarshal(w.B, &got)
	json.Unmarshal(want, &wantV)
	if !json.Valid(w.B) || !bytes.Equal(mustMarshal(got), mustMarshal(wantV)) {
		t.Errorf("got %s, want %s", w.B, want)
	}
	if !bytes.HasPrefix(w.B, []byte(`{"a":{"b":"2","z":"1","ä":"3"},"n":null,"m":{"e":null,"k":["x","y"]}`)) {
		t.Errorf("keys not sorted as encoding/json sorts them: %s", w.B)
	}
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestAppendMarshalString: the bytes are json.Marshal's for every string.
func TestAppendMarshalString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\`, "<a&b>", "tab\there", "é ünïcode", "\u2028", "bad \xff utf8", "ctl \x01"} {
		want, _ := json.Marshal(s)
		if got := AppendMarshalString(nil, s); string(got) != string(want) {
			t.Errorf("AppendMarshalString(%q) = %s, want %s", s, got, want)
		}
	}
}

// FuzzAppendMarshalString checks that strings are written as encoding/json
// writes them, whatever their bytes.
func FuzzAppendMarshalString(f *testing.F) {
	for _, s := range []string{"", "plain", `"quoted" \ <tag> &`, "\x00\x1f\x7f\b\f\n\r\t", "\u2028\u2029é日本", "\xff\xc3(", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendMarshalString(nil, s); string(got) != string(want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	})
}
