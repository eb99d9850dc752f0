package telemetry

import (
	"encoding/json"
	"math"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// TestAppendAttrs checks the attributes' encoder against json.Marshal of
// the map toModel builds, byte for byte.
func TestAppendAttrs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs []attribute.KeyValue
	}{
		{"hop", []attribute.KeyValue{Resource("Echo"), FaaSName("Echo"), FaaSVersion("$LATEST"), FaaSTrigger("http"), FaaSInvocationID("0f8fad5b-d9cb-469f-a165-70867728950e"), FaaSMaxMemory(128)}},
		{"types", []attribute.KeyValue{attribute.Bool("b", true), attribute.Int64("i", -3), attribute.Float64("f", 0.25), attribute.Float64("big", 1e21), attribute.String("s", "x")}},
		{"slices", []attribute.KeyValue{attribute.StringSlice("ss", []string{"a", "<b>"}), attribute.Int64Slice("is", []int64{1, 2}), attribute.Float64Slice("fs", []float64{1.5}), attribute.BoolSlice("bs", []bool{false})}},
		{"escaped", []attribute.KeyValue{attribute.String("html", "<a>&</a>"), attribute.String("ctl", "a\nb\x00"), attribute.String("uni", "héllo \u2028"), attribute.String("bad", "\xff"), attribute.String("<key>", `q"\`)}},
		{"repeated key", []attribute.KeyValue{attribute.String("k", "first"), attribute.Int64("a", 1), attribute.String("k", "last")}},
		{"many", []attribute.KeyValue{
			attribute.Int("k17", 17), attribute.Int("k16", 16), attribute.Int("k15", 15), attribute.Int("k14", 14), attribute.Int("k13", 13), attribute.Int("k12", 12),
			attribute.Int("k11", 11), attribute.Int("k10", 10), attribute.Int("k09", 9), attribute.Int("k08", 8), attribute.Int("k07", 7), attribute.Int("k06", 6),
			attribute.Int("k05", 5), attribute.Int("k04", 4), attribute.Int("k03", 3), attribute.Int("k02", 2), attribute.Int("k01", 1),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(attrMap(tc.attrs))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := appendAttrs(nil, tc.attrs)
			if !ok || string(got) != string(want) {
				t.Errorf("got %s (%v), want %s", got, ok, want)
			}
		})
	}
	if _, ok := appendAttrs(nil, []attribute.KeyValue{attribute.Float64("nan", math.NaN())}); ok {
		t.Errorf("NaN encoded, want it refused as json.Marshal refuses it")
	}
}
