package crispr

import (
	"container/heap"
	"slices"
)

// code is a base's 2-bit code (A, C, G, T = 0..3); anything else is 4.
var code = func() (t [256]byte) {
	for i := range t {
		t[i] = 4
	}
	t['A'], t['C'], t['G'], t['T'] = 0, 1, 2, 3
	return t
}()

// palindrome[k] is whether the 4-mer with code k (2 bits a base, first
// base highest) is its own reverse complement.
var palindrome = func() (t [256]bool) {
	for k := range t {
		rc := 0
		for j := range 4 {
			b := k >> (2 * j) & 3 // bases from the last
			rc = rc<<2 | (3 - b)
		}
		t[k] = rc == k
	}
	return t
}()

// counts are running (prefix) counts over a chunk's bases: c[k] is the
// count over the first k positions, so a window's count is two lookups.
type counts struct {
	bad, gc, tttt, aaaa, pal, run []int32 // run: positions ending a run of HomopolymerRun equal bases
}

// count makes the running counts in one pass, keeping the last four
// bases as a rolling 8-bit code.
func count(s string) *counts {
	n := len(s)
	c := &counts{make([]int32, n+1), make([]int32, n+1), make([]int32, n+1), make([]int32, n+1), make([]int32, n+1), make([]int32, n+1)}
	var (
		kmer    int   // codes of the last 4 bases
		valid   int   // how many of the last bases are ACGT, at most 4
		runLen  int   // length of the run of equal bases ending here
		tttt    int32 // the counts so far, for the 4-mers ending here
		aaaa    int32
		pal     int32
		badSum  int32
		gcSum   int32
		runSum  int32
		prevVal byte = 255
	)
	for k := range n {
		b := s[k]
		x := code[b]
		if x == 4 {
			valid, badSum = 0, badSum+1
		} else {
			valid = min(valid+1, 4)
			kmer = (kmer<<2 | int(x)) & 0xff
		}
		if x == 1 || x == 2 {
			gcSum++
		}
		if b == prevVal {
			runLen++
		} else {
			runLen, prevVal = 1, b
		}
		if runLen >= HomopolymerRun {
			runSum++
		}
		c.bad[k+1], c.gc[k+1], c.run[k+1] = badSum, gcSum, runSum
		// The 4-mer ending at k starts at k-3: record it there.
		if valid == 4 {
			switch kmer {
			case 0xff:
				tttt++
			case 0x00:
				aaaa++
			}
			if palindrome[kmer] {
				pal++
			}
		}
		if k >= 3 {
			c.tttt[k-2], c.aaaa[k-2], c.pal[k-2] = tttt, aaaa, pal
		}
	}
	for k := max(n-2, 1); k <= n; k++ { // no 4-mer starts in the last three positions
		c.tttt[k], c.aaaa[k], c.pal[k] = tttt, aaaa, pal
	}
	return c
}

// score scores the protospacer at [s, s+SpacerLen) of the + strand, read
// on the + strand (minus false) or as its reverse complement (minus true).
func (c *counts) score(bases string, s int, minus bool) int {
	e := s + SpacerLen
	sc := Base
	gc := int(c.gc[e] - c.gc[s])
	if gc < GCLow {
		sc -= GCPenalty * (GCLow - gc)
	}
	if gc > GCHigh {
		sc -= GCPenalty * (gc - GCHigh)
	}
	polyT := c.tttt
	if minus { // TTTT on the - strand is AAAA on the +
		polyT = c.aaaa
	}
	if polyT[e-3]-polyT[s] > 0 {
		sc -= PolyTPenalty
	}
	if c.run[e]-c.run[s+HomopolymerRun-1] > 0 {
		sc -= HomopolymerPenalty
	}
	sc -= PalindromePenalty * int(c.pal[e-3]-c.pal[s])
	seedLo, seedHi := s+SeedStart, e // the seed's bases on the + strand
	if minus {
		seedLo, seedHi = s, e-SeedStart
	}
	if sg := int(c.gc[seedHi] - c.gc[seedLo]); sg < SeedGCLow || sg > SeedGCHigh {
		sc -= SeedPenalty
	}
	for _, w := range Weights {
		if minus {
			if complement(bases[e-1-w.Pos]) == w.Base {
				sc += w.Points
			}
		} else if bases[s+w.Pos] == w.Base {
			sc += w.Points
		}
	}
	return sc
}

// Fast finds and scores every site of a chunk with the answer of Naive:
// one pass of running counts, then each site scored in constant time
// without building a string, the best top kept in a bounded heap (all when
// top <= 0), and strings made only for those.
func Fast(c Chunk, top int) []Target {
	b := c.Bases
	cnt := count(b)
	h := &worstFirst{}
	consider := func(t Target) {
		switch {
		case top <= 0 || h.Len() < top:
			heap.Push(h, t)
		case compare(t, (*h)[0]) < 0:
			(*h)[0] = t
			heap.Fix(h, 0)
		}
	}
	for i := 0; i < c.Span && i+SiteLen <= len(b); i++ {
		plus := b[i+SiteLen-2] == 'G' && b[i+SiteLen-1] == 'G'
		minus := b[i] == 'C' && b[i+1] == 'C'
		if !plus && !minus || cnt.bad[i+SiteLen] != cnt.bad[i] {
			continue
		}
		if plus {
			consider(Target{Seq: c.Seq, Start: c.Offset + i + 1, Strand: "+", Score: cnt.score(b, i, false)})
		}
		if minus {
			consider(Target{Seq: c.Seq, Start: c.Offset + i + 1, Strand: "-", Score: cnt.score(b, i+PAMLen, true)})
		}
	}
	out := []Target(*h)
	slices.SortFunc(out, compare)
	for k := range out {
		i := out[k].Start - 1 - c.Offset
		if out[k].Strand == "+" {
			out[k].Protospacer, out[k].PAM = b[i:i+SpacerLen], b[i+SpacerLen:i+SiteLen]
		} else {
			out[k].Protospacer, out[k].PAM = ReverseComplement(b[i+PAMLen:i+SiteLen]), ReverseComplement(b[i:i+PAMLen])
		}
	}
	return out
}

// worstFirst is a heap of targets with the worst ranked on top.
type worstFirst []Target

func (h worstFirst) Len() int           { return len(h) }
func (h worstFirst) Less(i, j int) bool { return compare(h[i], h[j]) > 0 }
func (h worstFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *worstFirst) Push(x any)        { *h = append(*h, x.(Target)) }
func (h *worstFirst) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}
