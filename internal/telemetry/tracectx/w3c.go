package tracectx

import (
	"encoding/hex"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/trace"
)

// Header names for the W3C Trace Context recommendation.
const (
	TraceparentHeader = "traceparent"
	TracestateHeader  = "tracestate"
)

// Errors returned by the parsers. Extract swallows them (a bad header starts a
// new trace); they are exported for callers that want to log why.
var (
	// ErrMalformed means a header does not follow its format.
	ErrMalformed = errors.New("malformed trace header")
	// ErrInvalidID means a trace or span id is all zeros.
	ErrInvalidID = errors.New("trace header has an all-zero id")
)

// ParseTraceparent parses a W3C traceparent value
// ("00-<32 hex trace id>-<16 hex span id>-<2 hex flags>") into a remote span
// context. Versions above 00 are accepted as the recommendation asks: the first
// four fields are read and anything after a further "-" is ignored. Version ff,
// upper-case hex and all-zero ids are rejected.
func ParseTraceparent(s string) (trace.SpanContext, error) {
	const size = 55 // 2+1+32+1+16+1+2
	if len(s) < size {
		return trace.SpanContext{}, fmt.Errorf("traceparent %q: %d characters, want 55: %w", clip(s), len(s), ErrMalformed)
	}
	if s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return trace.SpanContext{}, fmt.Errorf("traceparent %q: fields must be separated by '-': %w", clip(s), ErrMalformed)
	}
	var version [1]byte
	if err := decodeLowerHex(version[:], s[0:2]); err != nil || version[0] == 0xff {
		return trace.SpanContext{}, fmt.Errorf("traceparent %q: bad version: %w", clip(s), ErrMalformed)
	}
	if version[0] == 0 && len(s) != size {
		return trace.SpanContext{}, fmt.Errorf("traceparent %q: version 00 must be exactly 55 characters: %w", clip(s), ErrMalformed)
	}
	if len(s) > size && s[size] != '-' {
		return trace.SpanContext{}, fmt.Errorf("traceparent %q: extra fields must start with '-': %w", clip(s), ErrMalformed)
	}
	var cfg trace.SpanContextConfig
	if err := decodeLowerHex(cfg.TraceID[:], s[3:35]); err != nil {
		return trace.SpanContext{}, fmt.Errorf("traceparent %q: trace id: %w", clip(s), err)
	}
	if err := decodeLowerHex(cfg.SpanID[:], s[36:52]); err != nil {
		return trace.SpanContext{}, fmt.Errorf("traceparent %q: parent id: %w", clip(s), err)
	}
	var flags [1]byte
	if err := decodeLowerHex(flags[:], s[53:55]); err != nil {
		return trace.SpanContext{}, fmt.Errorf("traceparent %q: flags: %w", clip(s), err)
	}
	if !cfg.TraceID.IsValid() || !cfg.SpanID.IsValid() {
		return trace.SpanContext{}, fmt.Errorf("traceparent %q: %w", clip(s), ErrInvalidID)
	}
	cfg.TraceFlags = trace.TraceFlags(flags[0]) & trace.FlagsSampled
	cfg.Remote = true
	return trace.NewSpanContext(cfg), nil
}

// FormatTraceparent formats a span context as a version 00 traceparent value.
// It returns "" for an invalid span context.
func FormatTraceparent(sc trace.SpanContext) string {
	if !sc.IsValid() {
		return ""
	}
	tid, sid := sc.TraceID(), sc.SpanID()
	b := make([]byte, 0, 55)
	b = append(b, "00-"...)
	b = hex.AppendEncode(b, tid[:])
	b = append(b, '-')
	b = hex.AppendEncode(b, sid[:])
	if sc.IsSampled() {
		b = append(b, "-01"...)
	} else {
		b = append(b, "-00"...)
	}
	return string(b)
}

// WithTracestate returns sc with its tracestate taken from a W3C tracestate
// value. A tracestate that does not parse is dropped, as the recommendation
// asks, and the error says why.
func WithTracestate(sc trace.SpanContext, s string) (trace.SpanContext, error) {
	if s == "" {
		return sc, nil
	}
	ts, err := trace.ParseTraceState(s)
	if err != nil {
		return sc, fmt.Errorf("tracestate %q: %w", clip(s), err)
	}
	return sc.WithTraceState(ts), nil
}

// decodeLowerHex decodes exactly len(dst)*2 lower-case hex digits.
func decodeLowerHex(dst []byte, s string) error {
	if len(s) != len(dst)*2 {
		return fmt.Errorf("%d hex digits, want %d: %w", len(s), len(dst)*2, ErrMalformed)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("%q is not lower-case hex: %w", clip(s), ErrMalformed)
		}
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		return fmt.Errorf("%q: %w", clip(s), ErrMalformed)
	}
	return nil
}

// clip shortens outside input before it goes into an error message.
func clip(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
