package store

import (
	"encoding/json"
	"github.com/stacklab/stacklab/internal/jsonw"
	"slices"
	"strconv"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// encodeJSON encodes v, or returns empty for nil, empty or unencodable values
// (an attribute that cannot be encoded must not cost the whole span).
func encodeJSON(v any, empty string) string {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return empty
		}
		// Span attributes, every span: encoded without reflection.
		b, ok := appendAttrs(make([]byte, 0, 256), x)
		if !ok {
			return empty
		}
		return string(b)
	case []model.Link:
		if len(x) == 0 {
			return empty
		}
	case []model.Event:
		if len(x) == 0 {
			return empty
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return empty
	}
	return string(b)
}

// appendAttrs appends m encoded as json.Marshal encodes it (keys sorted,
// the same escaping), byte for byte: strings, integers and booleans
// directly, other values through json.Marshal. It reports false when a
// value cannot be encoded.
func appendAttrs(b []byte, m map[string]any) ([]byte, bool) {
	var keys [16]string
	ks := keys[:0]
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	b = append(b, '{')
	for i, k := range ks {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendMarshalString(b, k)
		b = append(b, ':')
		switch x := m[k].(type) {
		case string:
			b = jsonw.AppendMarshalString(b, x)
		case int64:
			b = strconv.AppendInt(b, x, 10)
		case int:
			b = strconv.AppendInt(b, int64(x), 10)
		case bool:
			b = strconv.AppendBool(b, x)
		default:
			v, err := json.Marshal(x)
			if err != nil {
				return b, false
			}
			b = append(b, v...)
		}
	}
	return append(b, '}'), true
}
