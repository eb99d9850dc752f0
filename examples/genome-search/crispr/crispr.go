package crispr

import (
	"cmp"
	"slices"
)

// Lengths of a site: a protospacer and the PAM after it.
const (
	SpacerLen = 20
	PAMLen    = 3
	SiteLen   = SpacerLen + PAMLen
)

// Target is one candidate site, ranked by Score.
type Target struct {
	Seq string `json:"seq"` // name of the FASTA record
	// Start is the 1-based position on the + strand of the site's leftmost
	// base: the protospacer's first base on the + strand, the PAM's
	// complement (CCN) on the - strand.
	Start       int    `json:"start"`
	Strand      string `json:"strand"`      // "+" or "-"
	Protospacer string `json:"protospacer"` // 5'→3' on its strand
	PAM         string `json:"pam"`         // 5'→3' on its strand, NGG
	Score       int    `json:"score"`
}

// Chunk is part of a record to scan. Bases holds the record's bases from
// Offset (0-based) on; sites starting in the first Span of them are
// scored, and the bases after Span are there so that a site starting near
// the end is whole.
type Chunk struct {
	Seq    string `json:"seq"`
	Offset int    `json:"offset"`
	Span   int    `json:"span"`
	Bases  string `json:"bases"`
}

// Split cuts a record into chunks of size bases (the last may be
// shorter), each carrying SiteLen-1 bases of the next so that every site
// is scored in exactly one chunk.
func Split(rec Record, size int) []Chunk {
	if size < 1 {
		size = 1
	}
	var out []Chunk
	for off := 0; off < len(rec.Bases); off += size {
		span := min(size, len(rec.Bases)-off)
		end := min(off+span+SiteLen-1, len(rec.Bases))
		out = append(out, Chunk{Seq: rec.Name, Offset: off, Span: span, Bases: rec.Bases[off:end]})
	}
	return out
}

// Less is the ranking order: higher score first, then record name,
// position and strand ("+" first), so that every ranking is one order.
func Less(a, b Target) bool { return compare(a, b) < 0 }

func compare(a, b Target) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Seq, b.Seq); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Start, b.Start); c != 0 {
		return c
	}
	return cmp.Compare(a.Strand, b.Strand)
}

// Merge ranks the targets of several chunks together and keeps the best
// top of them (all when top <= 0). The best top of the whole are among
// the best top of each chunk, so chunks may be cut to top before merging.
func Merge(lists [][]Target, top int) []Target {
	var all []Target
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortFunc(all, compare)
	if top > 0 && len(all) > top {
		all = all[:top]
	}
	return all
}
