package tracectx

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"
)

const (
	validTP   = "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01"
	validXRay = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
)

func TestParseTraceparent(t *testing.T) {
	tests := []struct {
		name, in    string
		wantErr     error
		wantTrace   string
		wantSpan    string
		wantSampled bool
	}{
		{name: "valid sampled", in: validTP, wantTrace: "5759e988bd862e3fe1be46a994272793", wantSpan: "53995c3f42cd8ad8", wantSampled: true},
		{name: "not sampled", in: "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00", wantTrace: "5759e988bd862e3fe1be46a994272793", wantSpan: "53995c3f42cd8ad8"},
		{name: "future version with extra field", in: "01-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01-xyz", wantTrace: "5759e988bd862e3fe1be46a994272793", wantSpan: "53995c3f42cd8ad8", wantSampled: true},
		{name: "version ff", in: "ff-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01", wantErr: ErrMalformed},
		{name: "version 00 too long", in: validTP + "-x", wantErr: ErrMalformed},
		{name: "upper case", in: "00-5759E988BD862E3FE1BE46A994272793-53995c3f42cd8ad8-01", wantErr: ErrMalformed},
		{name: "zero trace id", in: "00-00000000000000000000000000000000-53995c3f42cd8ad8-01", wantErr: ErrInvalidID},
		{name: "zero span id", in: "00-5759e988bd862e3fe1be46a994272793-0000000000000000-01", wantErr: ErrInvalidID},
		{name: "short", in: "00-abc-def-01", wantErr: ErrMalformed},
		{name: "empty", in: "", wantErr: ErrMalformed},
		{name: "wrong separators", in: "00_5759e988bd862e3fe1be46a994272793_53995c3f42cd8ad8_01", wantErr: ErrMalformed},
		{name: "non-hex flags", in: "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-zz", wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := ParseTraceparent(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseTraceparent(%q) error = %v, want %v", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTraceparent(%q): %v", tt.in, err)
			}
			if got := sc.TraceID().String(); got != tt.wantTrace {
				t.Errorf("trace id = %s, want %s", got, tt.wantTrace)
			}
			if got := sc.SpanID().String(); got != tt.wantSpan {
				t.Errorf("span id = %s, want %s", got, tt.wantSpan)
			}
			if sc.IsSampled() != tt.wantSampled {
				t.Errorf("sampled = %v, want %v", sc.IsSampled(), tt.wantSampled)
			}
			if !sc.IsRemote() {
				t.Error("span context is not marked remote")
			}
		})
	}
}

func TestParseXRay(t *testing.T) {
	tests := []struct {
		name, in    string
		wantErr     error
		wantTrace   string
		wantSampled bool
	}{
		{name: "valid", in: validXRay, wantTrace: "5759e988bd862e3fe1be46a994272793", wantSampled: true},
		{name: "not sampled", in: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0", wantTrace: "5759e988bd862e3fe1be46a994272793"},
		{name: "deferred sampling and extra fields", in: "Self=1-67891234-12456789abcdef012345678;Root=1-5759E988-BD862E3FE1BE46A994272793; Parent=53995C3F42CD8AD8 ;Sampled=?;Lineage=a:1", wantTrace: "5759e988bd862e3fe1be46a994272793", wantSampled: true},
		{name: "no sampled field", in: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", wantTrace: "5759e988bd862e3fe1be46a994272793", wantSampled: true},
		{name: "root only", in: "Root=1-5759e988-bd862e3fe1be46a994272793", wantErr: ErrMalformed},
		{name: "bad version", in: "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", wantErr: ErrMalformed},
		{name: "short random part", in: "Root=1-5759e988-bd862e3f;Parent=53995c3f42cd8ad8", wantErr: ErrMalformed},
		{name: "bad sampled", in: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=yes", wantErr: ErrMalformed},
		{name: "zero ids", in: "Root=1-00000000-000000000000000000000000;Parent=0000000000000000", wantErr: ErrInvalidID},
		{name: "garbage", in: "hello", wantErr: ErrMalformed},
		{name: "empty", in: "", wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := ParseXRay(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseXRay(%q) error = %v, want %v", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseXRay(%q): %v", tt.in, err)
			}
			if got := sc.TraceID().String(); got != tt.wantTrace {
				t.Errorf("trace id = %s, want %s", got, tt.wantTrace)
			}
			if got := sc.SpanID().String(); got != "53995c3f42cd8ad8" {
				t.Errorf("span id = %s, want 53995c3f42cd8ad8", got)
			}
			if sc.IsSampled() != tt.wantSampled {
				t.Errorf("sampled = %v, want %v", sc.IsSampled(), tt.wantSampled)
			}
		})
	}
}

func TestXRayAndW3CMapToEachOther(t *testing.T) {
	w3c, err := ParseTraceparent(validTP)
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatXRay(w3c); got != validXRay {
		t.Errorf("FormatXRay = %q, want %q", got, validXRay)
	}
	xr, err := ParseXRay(validXRay)
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatTraceparent(xr); got != validTP {
		t.Errorf("FormatTraceparent = %q, want %q", got, validTP)
	}
	if got := XRayRoot(w3c.TraceID()); got != "1-5759e988-bd862e3fe1be46a994272793" {
		t.Errorf("XRayRoot = %q", got)
	}
	if FormatXRay(trace.SpanContext{}) != "" || FormatTraceparent(trace.SpanContext{}) != "" {
		t.Error("formatting an invalid span context should give an empty string")
	}
}

func TestCarriersRoundTrip(t *testing.T) {
	parent, err := ParseTraceparent(validTP)
	if err != nil {
		t.Fatal(err)
	}
	parent, err = WithTracestate(parent, "stacklab=abc,other=1")
	if err != nil {
		t.Fatal(err)
	}
	ctx := trace.ContextWithSpanContext(context.Background(), parent)

	httpH := http.Header{}
	natsH := nats.Header{}
	meta := map[string]string{}
	for name, c := range map[string]interface {
		Get(string) string
		Set(string, string)
		Keys() []string
	}{"http": HTTP(httpH), "nats": NATS(natsH), "map": Map(meta)} {
		t.Run(name, func(t *testing.T) {
			Inject(ctx, c)
			got := trace.SpanContextFromContext(Extract(context.Background(), c))
			if got.TraceID() != parent.TraceID() || got.SpanID() != parent.SpanID() {
				t.Errorf("extracted %s/%s, want %s/%s", got.TraceID(), got.SpanID(), parent.TraceID(), parent.SpanID())
			}
			if got.TraceState().String() != "stacklab=abc,other=1" {
				t.Errorf("tracestate = %q, want stacklab=abc,other=1", got.TraceState().String())
			}
			if c.Get(XRayHeader) != validXRay {
				t.Errorf("%s = %q, want %q", XRayHeader, c.Get(XRayHeader), validXRay)
			}
		})
	}
	if meta["x-amzn-trace-id"] == "" {
		t.Errorf("map keys should be lower case, got %v", meta)
	}
}

func TestExtractFallsBackAndIgnoresGarbage(t *testing.T) {
	t.Run("x-ray when traceparent is garbage", func(t *testing.T) {
		c := Map(map[string]string{"traceparent": "garbage", "X-Amzn-Trace-Id": validXRay})
		got := trace.SpanContextFromContext(Extract(context.Background(), c))
		if got.TraceID().String() != "5759e988bd862e3fe1be46a994272793" {
			t.Errorf("trace id = %s, want the X-Ray root", got.TraceID())
		}
	})
	t.Run("garbage everywhere leaves ctx alone", func(t *testing.T) {
		h := nats.Header{"Traceparent": {"00-zz"}, "X-Amzn-Trace-Id": {"Root=nope"}}
		got := trace.SpanContextFromContext(Extract(context.Background(), NATS(h)))
		if got.IsValid() {
			t.Errorf("got valid span context %v from garbage", got)
		}
	})
	t.Run("nats header found case-insensitively", func(t *testing.T) {
		h := nats.Header{"Traceparent": {validTP}}
		if _, ok := SpanContextFrom(NATS(h)); !ok {
			t.Error("did not find Traceparent")
		}
	})
	t.Run("bad tracestate is dropped, traceparent kept", func(t *testing.T) {
		c := Map(map[string]string{"traceparent": validTP, "tracestate": "=,=bad"})
		sc, ok := SpanContextFrom(c)
		if !ok || sc.TraceState().Len() != 0 {
			t.Errorf("ok=%v tracestate=%q, want ok and empty", ok, sc.TraceState().String())
		}
	})
	t.Run("nothing to inject", func(t *testing.T) {
		m := map[string]string{}
		Inject(context.Background(), Map(m))
		if len(m) != 0 {
			t.Errorf("injected %v from an empty context", m)
		}
	})
}

func FuzzParseTraceparent(f *testing.F) {
	for _, s := range []string{validTP, "", "00-", "ff-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01", "01-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseTraceparent(s)
		if err != nil {
			if sc.IsValid() {
				t.Fatalf("error %v with a valid span context", err)
			}
			return
		}
		if !sc.IsValid() {
			t.Fatalf("ParseTraceparent(%q) gave an invalid span context without error", s)
		}
		again, err := ParseTraceparent(FormatTraceparent(sc))
		if err != nil || again.TraceID() != sc.TraceID() || again.SpanID() != sc.SpanID() || again.IsSampled() != sc.IsSampled() {
			t.Fatalf("round trip of %q: %v", s, err)
		}
	})
}

func FuzzParseXRay(f *testing.F) {
	for _, s := range []string{validXRay, "", ";", "Root=", "Root=1-5759e988-bd862e3fe1be46a994272793", "Parent=53995c3f42cd8ad8;Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseXRay(s)
		if err != nil {
			if sc.IsValid() {
				t.Fatalf("error %v with a valid span context", err)
			}
			return
		}
		again, err := ParseXRay(FormatXRay(sc))
		if err != nil || again.TraceID() != sc.TraceID() || again.SpanID() != sc.SpanID() || again.IsSampled() != sc.IsSampled() {
			t.Fatalf("round trip of %q: %v", s, err)
		}
		w3c, err := ParseTraceparent(FormatTraceparent(sc))
		if err != nil || w3c.TraceID() != sc.TraceID() {
			t.Fatalf("X-Ray %q does not map to traceparent: %v", s, err)
		}
	})
}

func TestFromXRay(t *testing.T) {
	ctx := FromXRay(context.Background(), validXRay)
	if got := XRay(ctx); got != validXRay {
		t.Errorf("XRay(FromXRay(h)) = %q, want %q", got, validXRay)
	}
	for _, h := range []string{"", "Root=garbage"} {
		if sc := trace.SpanContextFromContext(FromXRay(context.Background(), h)); sc.IsValid() {
			t.Errorf("FromXRay(%q) gave a valid span context", h)
		}
	}
}

func TestAWSTraceHeader(t *testing.T) {
	sc, err := ParseXRay(validXRay)
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]string{"ApproximateReceiveCount": "1"}
	InjectAWSTraceHeader(trace.ContextWithSpanContext(context.Background(), sc), attrs)
	if attrs[AWSTraceHeader] != validXRay {
		t.Errorf("AWSTraceHeader = %q, want %q", attrs[AWSTraceHeader], validXRay)
	}
	got := trace.SpanContextFromContext(FromAWSTraceHeader(context.Background(), attrs))
	if got.TraceID() != sc.TraceID() || got.SpanID() != sc.SpanID() {
		t.Errorf("read back %v, want %v", got, sc)
	}
	InjectAWSTraceHeader(context.Background(), attrs) // no span: leaves the old value
	InjectAWSTraceHeader(trace.ContextWithSpanContext(context.Background(), sc), nil)
	if attrs[AWSTraceHeader] != validXRay {
		t.Error("injecting an empty context changed the attribute")
	}
	if FromAWSTraceHeader(context.Background(), nil) != context.Background() {
		t.Error("no attributes should leave ctx unchanged")
	}
}
