package gateway

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// The events are written with these append-based helpers rather than
// encoding/json: an event is a fixed shape of strings, string maps and
// numbers, and reflection over it cost more than the rest of a request.
// The output is byte for byte what encoding/json writes with HTML escaping
// off: map keys sorted, the same escapes (jsonw_test.go checks both).

// jsonw builds one JSON document.
type jsonw struct {
	b     []byte
	comma bool // a value was written in the current object or array
}

func (w *jsonw) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.comma = true
}

func (w *jsonw) open(c byte) {
	w.b = append(w.b, c)
	w.comma = false
}

func (w *jsonw) close(c byte) {
	w.b = append(w.b, c)
	w.comma = true
}

// key writes an object member's name; the value follows.
func (w *jsonw) key(k string) {
	w.sep()
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':')
	w.comma = false
}

func (w *jsonw) str(k, v string) {
	w.key(k)
	w.b = appendJSONString(w.b, v)
	w.comma = true
}

func (w *jsonw) raw(k, v string) {
	w.key(k)
	w.b = append(w.b, v...)
	w.comma = true
}

func (w *jsonw) int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
	w.comma = true
}

func (w *jsonw) bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
	w.comma = true
}

// strMap writes a map of strings with sorted keys; nil is null.
func (w *jsonw) strMap(k string, m map[string]string) {
	w.key(k)
	if m == nil {
		w.b = append(w.b, "null"...)
		w.comma = true
		return
	}
	w.open('{')
	for _, name := range sortedKeys(m) {
		w.str(name, m[name])
	}
	w.close('}')
}

// strsMap writes a map of string lists with sorted keys; nil is null, as
// is a nil list.
func (w *jsonw) strsMap(k string, m map[string][]string) {
	w.key(k)
	if m == nil {
		w.b = append(w.b, "null"...)
		w.comma = true
		return
	}
	w.open('{')
	for _, name := range sortedKeys(m) {
		w.strs(name, m[name])
	}
	w.close('}')
}

// strs writes a list of strings; nil is null.
func (w *jsonw) strs(k string, l []string) {
	w.key(k)
	if l == nil {
		w.b = append(w.b, "null"...)
		w.comma = true
		return
	}
	w.open('[')
	for _, s := range l {
		w.sep()
		w.b = appendJSONString(w.b, s)
	}
	w.close(']')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendJSONString appends s as a JSON string the way encoding/json does
// without HTML escaping: control characters escaped, invalid UTF-8
// replaced by U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
