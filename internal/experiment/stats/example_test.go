package stats_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/stacklab/stacklab/internal/experiment/stats"
)

func ExampleMannWhitneyU() {
	// Per-round median latencies (ms) of two variants.
	a := []float64{19, 22, 16, 29, 24}
	b := []float64{20, 11, 17, 12}
	r := stats.MannWhitneyU(a, b)
	fmt.Printf("U=%v p=%.4f exact=%v P(a>b)=%.2f\n", r.U, r.P, r.Exact, r.CommonLanguage)
	// Output: U=17 p=0.1111 exact=true P(a>b)=0.85
}

func ExampleBootstrapRatio() {
	// Three requests a round, four rounds; B is about 8% slower: the pooled
	// medians are 13 and 14 ms.
	a := [][]float64{{10, 11, 12}, {20, 21, 19}, {15, 14, 16}, {11, 12, 10}}
	b := [][]float64{{11, 12, 13}, {22, 23, 21}, {16, 15, 18}, {12, 13, 11}}
	iv, err := stats.BootstrapRatio(a, b, stats.Median, 0.95, 2000, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("B/A = %.3f\n", iv.Estimate)
	fmt.Println(iv.Lo > 1, iv.Hi < 1.2)
	// Output:
	// B/A = 1.077
	// true true
}

func ExampleHolm() {
	fmt.Println(stats.Holm([]float64{0.01, 0.04, 0.03, 0.005}))
	// Output: [0.03 0.06 0.06 0.02]
}
