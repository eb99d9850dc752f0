// Package jsonw writes JSON documents of a known shape by appending to a
// byte slice: the API Gateway events a request becomes, the lines of the
// function logs. Reflection-based encoding cost more than the rest of an
// invocation on those paths. The output is byte for byte what
// encoding/json writes with HTML escaping off: map keys sorted, the same
// string escapes (the tests check both); AppendMarshalString writes a
// string as json.Marshal does, HTML escaping on, for the span store's
// columns. It knows nothing of what the documents mean.
package jsonw

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// Writer builds one JSON document by appending to B. The zero value is
// ready to use; set B to reuse a buffer.
type Writer struct {
	B     []byte
	comma bool // a value was written in the current object or array
}

func (w *Writer) sep() {
	if w.comma {
		w.B = append(w.B, ',')
	}
	w.comma = true
}

// Open starts an object ('{') or an array ('[').
func (w *Writer) Open(c byte) {
	w.B = append(w.B, c)
	w.comma = false
}

// Close ends an object ('}') or an array (']').
func (w *Writer) Close(c byte) {
	w.B = append(w.B, c)
	w.comma = true
}

// Key writes an object member's name; its value follows.
func (w *Writer) Key(k string) {
	w.sep()
	w.B = AppendString(w.B, k)
	w.B = append(w.B, ':')
	w.comma = false
}

// Str writes a member whose value is a string.
func (w *Writer) Str(k, v string) {
	w.Key(k)
	w.B = AppendString(w.B, v)
	w.comma = true
}

// Raw writes a member whose value is v, already JSON (null, a literal).
func (w *Writer) Raw(k, v string) {
	w.Key(k)
	w.B = append(w.B, v...)
	w.comma = true
}

// Int writes a member whose value is an integer.
func (w *Writer) Int(k string, v int64) {
	w.Key(k)
	w.B = strconv.AppendInt(w.B, v, 10)
	w.comma = true
}

// Bool writes a member whose value is a boolean.
func (w *Writer) Bool(k string, v bool) {
	w.Key(k)
	w.B = strconv.AppendBool(w.B, v)
	w.comma = true
}

// StrMap writes a map of strings with sorted keys; nil is null.
func (w *Writer) StrMap(k string, m map[string]string) {
	w.Key(k)
	if m == nil {
		w.B = append(w.B, "null"...)
		w.comma = true
		return
	}
	w.Open('{')
	for _, name := range sortedKeys(m) {
		w.Str(name, m[name])
	}
	w.Close('}')
}

// StrsMap writes a map of string lists with sorted keys; nil is null, as
// is a nil list.
func (w *Writer) StrsMap(k string, m map[string][]string) {
	w.Key(k)
	if m == nil {
		w.B = append(w.B, "null"...)
		w.comma = true
		return
	}
	w.Open('{')
	for _, name := range sortedKeys(m) {
		w.Strs(name, m[name])
	}
	w.Close('}')
}

// Strs writes a list of strings; nil is null.
func (w *Writer) Strs(k string, l []string) {
	w.Key(k)
	if l == nil {
		w.B = append(w.B, "null"...)
		w.comma = true
		return
	}
	w.Open('[')
	for _, s := range l {
		w.sep()
		w.B = AppendString(w.B, s)
	}
	w.Close(']')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// AppendString appends s as a JSON string the way encoding/json does
// without HTML escaping: control characters escaped, invalid UTF-8
// replaced by U+FFFD, U+2028 and U+2029 escaped.
func AppendString(b []byte, s string) []byte {
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

// AppendMarshalString appends s as json.Marshal writes it, HTML escaping
// included: ", \ and control characters escaped, <, > and & as \u003c,
// \u003e and \u0026, U+2028 and U+2029 as \u2028 and \u2029, and each
// byte of invalid UTF-8 as \ufffd (the SQS event and the span store's
// columns).
func AppendMarshalString(b []byte, s string) []byte {
	b = append(b, '"')
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if marshalSafe[c] {
				i++
				continue
			}
			b = append(b, s[done:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigit[c>>4], hexDigit[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[done:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[done:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigit[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		done = i
	}
	b = append(b, s[done:]...)
	return append(b, '"')
}

const hexDigit = "0123456789abcdef"

// marshalSafe are the ASCII bytes encoding/json writes in a string as they
// are (it escapes control characters, the quote, the backslash, and <, >
// and & for HTML).
var marshalSafe = func() (t [utf8.RuneSelf]bool) {
	for c := byte(' '); c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()
