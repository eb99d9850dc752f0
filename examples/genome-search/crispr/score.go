package crispr

import "strings"

// The scoring model, in points. It is ours and simple, made to have the
// shape of real on-target scores (GC content, Pol III terminators,
// secondary structure, seed composition, PAM-proximal preferences) while
// staying easy to check by hand; it is not a biological predictor.
const (
	// Base is the score of a protospacer with nothing for or against it.
	Base = 100
	// GCLow and GCHigh bound the preferred G+C count of the 20 bases
	// (40–60 %); each base outside the band costs GCPenalty.
	GCLow, GCHigh, GCPenalty = 8, 12, 5
	// PolyTPenalty is for TTTT anywhere: it ends transcription by the U6
	// promoter that expresses guides.
	PolyTPenalty = 20
	// HomopolymerPenalty is for a run of HomopolymerRun or more of one base.
	HomopolymerRun, HomopolymerPenalty = 5, 10
	// PalindromePenalty is for each 4-base window that is its own reverse
	// complement (GATC, AATT, ...): self-complementarity that folds the guide.
	PalindromePenalty = 3
	// SeedStart is where the seed begins: the 12 PAM-proximal bases. A
	// seed with fewer than SeedGCLow or more than SeedGCHigh G+C costs
	// SeedPenalty.
	SeedStart, SeedGCLow, SeedGCHigh, SeedPenalty = 8, 3, 9, 8
)

// A Weight adds Points when the protospacer has Base at Pos (0-based, 19
// is next to the PAM).
type Weight struct {
	Pos    int
	Base   byte
	Points int
}

// Weights are the position-specific preferences.
var Weights = []Weight{
	{19, 'G', 5}, {19, 'T', -5}, {18, 'C', -3}, {0, 'G', 2},
}

// Score scores one protospacer of SpacerLen bases (ACGT, 5'→3' on its
// strand):
//
//	Base
//	- GCPenalty for each G+C below GCLow or above GCHigh
//	- PolyTPenalty if it has TTTT
//	- HomopolymerPenalty if it has a run of HomopolymerRun equal bases
//	- PalindromePenalty for each self-complementary 4-base window
//	- SeedPenalty if the seed's G+C is outside [SeedGCLow, SeedGCHigh]
//	+ the Weights that match
//
// It is written for clarity; Fast computes the same from running counts.
func Score(p string) int {
	s := Base
	gc := countGC(p)
	if gc < GCLow {
		s -= GCPenalty * (GCLow - gc)
	}
	if gc > GCHigh {
		s -= GCPenalty * (gc - GCHigh)
	}
	if strings.Contains(p, "TTTT") {
		s -= PolyTPenalty
	}
	if longestRun(p) >= HomopolymerRun {
		s -= HomopolymerPenalty
	}
	for i := 0; i+4 <= len(p); i++ {
		if w := p[i : i+4]; w == ReverseComplement(w) {
			s -= PalindromePenalty
		}
	}
	if sg := countGC(p[SeedStart:]); sg < SeedGCLow || sg > SeedGCHigh {
		s -= SeedPenalty
	}
	for _, w := range Weights {
		if p[w.Pos] == w.Base {
			s += w.Points
		}
	}
	return s
}

func countGC(p string) int {
	return strings.Count(p, "G") + strings.Count(p, "C")
}

func longestRun(p string) int {
	best := 0
	for i := range p {
		n := 1
		for i+n < len(p) && p[i+n] == p[i] {
			n++
		}
		best = max(best, n)
	}
	return best
}

// complement of a base; anything but ACGT is N.
func complement(c byte) byte {
	switch c {
	case 'A':
		return 'T'
	case 'T':
		return 'A'
	case 'C':
		return 'G'
	case 'G':
		return 'C'
	}
	return 'N'
}

// ReverseComplement is the other strand of s, 5'→3'.
func ReverseComplement(s string) string {
	b := make([]byte, len(s))
	for i := range len(s) {
		b[len(s)-1-i] = complement(s[i])
	}
	return string(b)
}
