package crispr

import (
	"slices"
	"strings"
)

// Naive finds and scores every site of a chunk the obvious way: at each
// position it copies out the window, checks it, builds the protospacer
// (reverse-complementing base by base for the - strand) and scores it by
// rescanning it with Score; then it sorts every site found and keeps the
// best top (all when top <= 0). O(n·m) time and a string per site.
func Naive(c Chunk, top int) []Target {
	var all []Target
	for i := 0; i < c.Span && i+SiteLen <= len(c.Bases); i++ {
		window := string([]byte(c.Bases[i : i+SiteLen]))
		if !allBases(window) {
			continue
		}
		if strings.HasSuffix(window, "GG") {
			p := window[:SpacerLen]
			all = append(all, Target{Seq: c.Seq, Start: c.Offset + i + 1, Strand: "+", Protospacer: p, PAM: window[SpacerLen:], Score: Score(p)})
		}
		if strings.HasPrefix(window, "CC") {
			p := ""
			for j := SiteLen - 1; j >= PAMLen; j-- {
				p += string(complement(window[j]))
			}
			pam := ""
			for j := PAMLen - 1; j >= 0; j-- {
				pam += string(complement(window[j]))
			}
			all = append(all, Target{Seq: c.Seq, Start: c.Offset + i + 1, Strand: "-", Protospacer: p, PAM: pam, Score: Score(p)})
		}
	}
	slices.SortFunc(all, compare)
	if top > 0 && len(all) > top {
		all = all[:top]
	}
	if all == nil {
		all = []Target{}
	}
	return all
}

func allBases(s string) bool {
	for i := range len(s) {
		switch s[i] {
		case 'A', 'C', 'G', 'T':
		default:
			return false
		}
	}
	return true
}
