// Command gensample writes the genome-search example's sample FASTA file:
// two records (100 kb and 50 kb by default; -bases for more) of pseudo-random bases from a fixed seed,
// with the stretches of N, poly-T and GC-rich repeats that real assemblies
// have, so that every rule of the scoring model is met. The same seed
// always writes the same file.
//
//	go run ./examples/genome-search/gensample -o examples/genome-search/sample/genome.fa
package main

import (
	"flag"
	"log"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/stacklab/stacklab/examples/genome-search/crispr"
)

func bases(r *rand.Rand, n int) string {
	b := make([]byte, 0, n+64)
	for len(b) < n {
		switch r.IntN(400) {
		case 0:
			b = append(b, strings.Repeat("N", 10+r.IntN(90))...)
		case 1:
			b = append(b, strings.Repeat("T", 4+r.IntN(5))...)
		case 2:
			b = append(b, strings.Repeat("GGCC", 2+r.IntN(4))...)
		default:
			b = append(b, "ACGT"[r.IntN(4)])
		}
	}
	return string(b[:n])
}

func main() {
	out := flag.String("o", "genome.fa", "`FILE` to write")
	seed := flag.Uint64("seed", 20140601, "random seed")
	size := flag.Int("bases", 150_000, "total `N` of bases: two thirds in chrA, one third in chrB")
	flag.Parse()
	r := rand.New(rand.NewPCG(*seed, *seed))
	recs := []crispr.Record{
		{Name: "chrA", Bases: bases(r, *size*2/3)},
		{Name: "chrB", Bases: bases(r, *size-*size*2/3)},
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := crispr.WriteFASTA(f, recs, 60); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
