package crispr

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// random is a deterministic sequence of n bases with a few runs of N, GC
// rich and poly-T stretches so that every rule of the model is met.
func random(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, 0, n)
	for len(b) < n {
		switch r.IntN(200) {
		case 0:
			b = append(b, strings.Repeat("N", 1+r.IntN(30))...)
		case 1:
			b = append(b, strings.Repeat("T", 4+r.IntN(4))...)
		case 2:
			b = append(b, "GATCGGCCGGCC"...)
		default:
			b = append(b, "ACGT"[r.IntN(4)])
		}
	}
	return string(b[:n])
}

func TestScoreByHand(t *testing.T) {
	for _, tc := range []struct {
		p    string
		want int
		why  string
	}{
		{"ACAGTCAGTCAGTCAGTCAG", 100 + 5, "10 GC, seed GC 6, ends in G"},
		{"AAAAAAAAAAAAAAAAAAAA", 100 - 5*8 - 10 - 8, "no GC, homopolymer, seed GC 0"},
		{"ACTTTTCAGTCAGTCAGTCA", 100 - 20 - 3, "8 GC, TTTT, C at 18"},
		{"GCAGATCAGTCAGTCAGTCT", 100 - 3 - 5 - 3 + 2, "GATC palindrome, T at 19, C at 18, G at 0"},
		{"GGGCGGGCGGGCGGGCGGCC", 100 - 5*8 - 8 - 3 - 3 + 2, "20 GC, seed GC 12, GGCC palindrome, C at 18, G at 0"},
	} {
		if got := Score(tc.p); got != tc.want {
			t.Errorf("Score(%s) = %d, want %d (%s)", tc.p, got, tc.want, tc.why)
		}
	}
}

func TestFastEqualsNaive(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		bases := random(seed, 100_000)
		c := Chunk{Seq: "chrR", Span: len(bases), Bases: bases}
		for _, top := range []int{0, 1, 100} {
			naive, fast := Naive(c, top), Fast(c, top)
			if top == 0 && len(naive) < 5000 {
				t.Fatalf("seed %d: only %d sites in 100 kb; the test sequence is wrong", seed, len(naive))
			}
			if !reflect.DeepEqual(naive, fast) {
				t.Errorf("seed %d, top %d: Fast differs from Naive: %d vs %d targets, first difference %s", seed, top, len(naive), len(fast), firstDiff(naive, fast))
			}
		}
	}
}

func firstDiff(a, b []Target) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return "at " + itoa(i) + ": naive " + show(a[i]) + ", fast " + show(b[i])
		}
	}
	return "in length"
}

func show(t Target) string {
	return t.Strand + itoa(t.Start) + " " + t.Protospacer + " " + t.PAM + " " + itoa(t.Score)
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// TestChunksMergeToTheWhole checks that scoring chunks and merging their
// best gives the best of the whole sequence, sites across chunk borders
// included.
func TestChunksMergeToTheWhole(t *testing.T) {
	rec := Record{Name: "chrR", Bases: random(7, 30_000)}
	whole := Fast(Chunk{Seq: rec.Name, Span: len(rec.Bases), Bases: rec.Bases}, 0)
	for _, size := range []int{1000, 997, 30_000} {
		var lists [][]Target
		for _, c := range Split(rec, size) {
			lists = append(lists, Naive(c, 0))
		}
		if got := Merge(lists, 0); !reflect.DeepEqual(got, whole) {
			t.Errorf("chunks of %d: %d targets merged, want the %d of the whole (%s)", size, len(got), len(whole), firstDiff(got, whole))
		}
		lists = lists[:0]
		for _, c := range Split(rec, size) {
			lists = append(lists, Fast(c, 50))
		}
		if got := Merge(lists, 50); !reflect.DeepEqual(got, whole[:50]) {
			t.Errorf("chunks of %d, best 50 of each: merged best 50 differ from the whole's (%s)", size, firstDiff(got, whole[:50]))
		}
	}
}

func TestSitesOnBothStrands(t *testing.T) {
	// + site: 20 bases then AGG; - site: CCT then 20 bases.
	spacer := "ACAGTCAGTCAGTCAGTCAG"
	bases := "TT" + spacer + "AGG" + "TT" + "CCT" + ReverseComplement(spacer) + "TT"
	got := Naive(Chunk{Seq: "s", Span: len(bases), Bases: bases}, 0)
	var plus, minus *Target
	for i := range got {
		if got[i].Protospacer == spacer && got[i].Strand == "+" {
			plus = &got[i]
		}
		if got[i].Protospacer == spacer && got[i].Strand == "-" {
			minus = &got[i]
		}
	}
	if plus == nil || plus.Start != 3 || plus.PAM != "AGG" {
		t.Errorf("+ site: got %+v, want start 3 with PAM AGG", plus)
	}
	if minus == nil || minus.Start != 28 || minus.PAM != "AGG" {
		t.Errorf("- site: got %+v, want start 28 with PAM AGG", minus)
	}
	if f := Fast(Chunk{Seq: "s", Span: len(bases), Bases: bases}, 0); !reflect.DeepEqual(f, got) {
		t.Errorf("Fast = %+v, want %+v", f, got)
	}
}

func TestParseFASTA(t *testing.T) {
	recs, err := ParseFASTA(strings.NewReader("; a comment\n>chr1 the first\nacgt\nNNAC\n\n>chr2\nGG\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{{"chr1", "ACGTNNAC"}, {"chr2", "GG"}}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("ParseFASTA = %+v, want %+v", recs, want)
	}
	for _, tc := range []struct{ in, want string }{
		{"ACGT\n", "line 1: bases before the first header"},
		{">\nACGT\n", "line 1: a header without a name"},
		{">a\nAC-GT\n", "line 2, column 3"},
		{">a\n>b\nAC\n", `record "a" has no bases`},
		{"", "no records"},
	} {
		_, err := ParseFASTA(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFASTA(%q): error %v, want one saying %q", tc.in, err, tc.want)
		}
	}
}

func benchmark(b *testing.B, scan func(Chunk, int) []Target) {
	bases := random(1, 100_000)
	c := Chunk{Seq: "chrR", Span: len(bases), Bases: bases}
	b.SetBytes(int64(len(bases)))
	for b.Loop() {
		scan(c, 100)
	}
}

// BenchmarkNaive and BenchmarkFast scan 100 kb for its best 100 sites.
func BenchmarkNaive(b *testing.B) { benchmark(b, Naive) }

// BenchmarkFast: see BenchmarkNaive.
func BenchmarkFast(b *testing.B) { benchmark(b, Fast) }
