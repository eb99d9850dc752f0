package crispr

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseFASTA checks that any input either parses into records that
// write back and parse again to the same, or fails with a fasta: error.
func FuzzParseFASTA(f *testing.F) {
	f.Add(">chr1 x\nACGTN\nacgt\n>chr2\nGG\n")
	f.Add("; c\n\n>a\nA\n")
	f.Add(">\nA")
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := ParseFASTA(strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fasta: ") {
				t.Fatalf("error %q does not say fasta:", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := WriteFASTA(&buf, recs, 60); err != nil {
			t.Fatal(err)
		}
		again, err := ParseFASTA(&buf)
		if err != nil || !reflect.DeepEqual(again, recs) {
			t.Fatalf("written and parsed again: %+v, %v; want %+v", again, err, recs)
		}
	})
}

// FuzzFastEqualsNaive checks that the two scanners agree on any bases,
// chunked anywhere.
func FuzzFastEqualsNaive(f *testing.F) {
	f.Add("TTACAGTCAGTCAGTCAGTCAGAGGTTCCTCTGACTGACTGACTGACTGTTTT", 10, 3)
	f.Add("CCNGGGGGGGGGGGGGGGGGGGGGGGAAAAATTTTGATC", 0, 0)
	f.Fuzz(func(t *testing.T, s string, span, top int) {
		b := make([]byte, len(s))
		for i := range len(s) {
			b[i] = "ACGTN"[int(s[i])%5]
		}
		bases := string(b)
		if span <= 0 || span > len(bases) {
			span = len(bases)
		}
		c := Chunk{Seq: "f", Offset: 7, Span: span, Bases: bases}
		top %= 50
		if naive, fast := Naive(c, top), Fast(c, top); !reflect.DeepEqual(naive, fast) {
			t.Fatalf("Naive and Fast differ on %s (span %d, top %d): %s", bases, span, top, firstDiff(naive, fast))
		}
	})
}
