package tracectx

import (
	"encoding/hex"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// XRayHeader is the HTTP header AWS X-Ray uses; Lambda passes the same value
// to functions as Lambda-Runtime-Trace-Id and _X_AMZN_TRACE_ID.
const XRayHeader = "X-Amzn-Trace-Id"

// ParseXRay parses an X-Ray trace header such as
// "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".
//
// The mapping is the one the OpenTelemetry X-Ray propagator uses: the 8 hex
// digits of the root's timestamp followed by its 24 hex digits of random id are
// the 32 hex digits of the W3C trace id; Parent is the span id; Sampled=1 sets
// the sampled flag (0 clears it, "?" or absent leaves the decision to us and
// counts as sampled, since stacklab records every invocation). Fields other
// than Root, Parent and Sampled (Self, Lineage, ...) are ignored. Root and
// Parent are both required: without a parent there is nothing to continue.
// Hex digits may be upper or lower case; ids are returned lower case.
func ParseXRay(s string) (trace.SpanContext, error) {
	var (
		cfg                 trace.SpanContextConfig
		haveRoot, haveParen bool
	)
	cfg.TraceFlags = trace.FlagsSampled
	for field := range strings.SplitSeq(s, ";") {
		key, value, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			if strings.TrimSpace(field) == "" {
				continue
			}
			return trace.SpanContext{}, fmt.Errorf("%s %q: field %q has no '=': %w", XRayHeader, clip(s), clip(field), ErrMalformed)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch key {
		case "Root":
			id, err := parseXRayRoot(value)
			if err != nil {
				return trace.SpanContext{}, fmt.Errorf("%s %q: Root: %w", XRayHeader, clip(s), err)
			}
			cfg.TraceID, haveRoot = id, true
		case "Parent":
			if err := decodeLowerHex(cfg.SpanID[:], strings.ToLower(value)); err != nil {
				return trace.SpanContext{}, fmt.Errorf("%s %q: Parent: %w", XRayHeader, clip(s), err)
			}
			haveParen = true
		case "Sampled":
			switch value {
			case "1", "?", "":
				cfg.TraceFlags = trace.FlagsSampled
			case "0":
				cfg.TraceFlags = 0
			default:
				return trace.SpanContext{}, fmt.Errorf("%s %q: Sampled must be 0, 1 or ?: %w", XRayHeader, clip(s), ErrMalformed)
			}
		}
	}
	if !haveRoot || !haveParen {
		return trace.SpanContext{}, fmt.Errorf("%s %q: needs both Root and Parent: %w", XRayHeader, clip(s), ErrMalformed)
	}
	if !cfg.TraceID.IsValid() || !cfg.SpanID.IsValid() {
		return trace.SpanContext{}, fmt.Errorf("%s %q: %w", XRayHeader, clip(s), ErrInvalidID)
	}
	cfg.Remote = true
	return trace.NewSpanContext(cfg), nil
}

// parseXRayRoot reads "1-<8 hex>-<24 hex>" into a trace id.
func parseXRayRoot(v string) (trace.TraceID, error) {
	var id trace.TraceID
	if len(v) != 35 || v[0] != '1' || v[1] != '-' || v[10] != '-' {
		return id, fmt.Errorf("%q is not 1-<8 hex>-<24 hex>: %w", clip(v), ErrMalformed)
	}
	if err := decodeLowerHex(id[:], strings.ToLower(v[2:10]+v[11:])); err != nil {
		return id, err
	}
	return id, nil
}

// XRayRoot formats a trace id as an X-Ray root ("1-<8 hex>-<24 hex>").
func XRayRoot(id trace.TraceID) string {
	h := id.String()
	return "1-" + h[:8] + "-" + h[8:]
}

// FormatXRay formats a span context as an X-Ray trace header. It returns ""
// for an invalid span context.
func FormatXRay(sc trace.SpanContext) string {
	if !sc.IsValid() {
		return ""
	}
	tid, sid := sc.TraceID(), sc.SpanID()
	b := make([]byte, 0, 81)
	b = append(b, "Root=1-"...)
	b = hex.AppendEncode(b, tid[:4])
	b = append(b, '-')
	b = hex.AppendEncode(b, tid[4:])
	b = append(b, ";Parent="...)
	b = hex.AppendEncode(b, sid[:])
	if sc.IsSampled() {
		b = append(b, ";Sampled=1"...)
	} else {
		b = append(b, ";Sampled=0"...)
	}
	return string(b)
}
