package stats

import (
	"math"
	"testing"
)

// arrange builds samples of n1 and n2 distinct values whose U is u: y is
// 1..n2 and each x lies just above as many y as it is given, filling the
// x greedily. Values in the same gap between y are spread inside it so
// that there are no ties.
func arrange(n1, n2, u int) (x, y []float64) {
	for j := range n2 {
		y = append(y, float64(j+1))
	}
	for i := range n1 {
		c := min(u, n2)
		u -= c
		x = append(x, float64(c)+float64(i+1)/float64(n1+1))
	}
	return x, y
}

func TestMannWhitneyCriticalValues(t *testing.T) {
	// Critical values of U from the published tables (e.g. Zar,
	// Biostatistical Analysis, table B.11; the tables in most statistics
	// textbooks): the largest U with p <= alpha. U is the smaller of U and
	// N1*N2-U, so x is built below y and PLess is the relevant tail.
	tests := []struct {
		n1, n2   int
		twoSided bool // alpha 0.05 two-sided, else 0.05 one-sided
		critical int
	}{
		{5, 5, true, 2},
		{8, 8, true, 13},
		{10, 10, true, 23},
		{20, 20, true, 127},
		{6, 9, true, 10},
		{5, 5, false, 4},
		{10, 10, false, 27},
		{8, 8, false, 15},
	}
	for _, tt := range tests {
		p := func(u int) float64 {
			r := MannWhitneyU(arrange(tt.n1, tt.n2, u))
			if !r.Exact {
				t.Fatalf("n1=%d n2=%d: got an approximate test, want exact", tt.n1, tt.n2)
			}
			if r.U != float64(u) {
				t.Fatalf("n1=%d n2=%d: got U %v, want %d", tt.n1, tt.n2, r.U, u)
			}
			if tt.twoSided {
				return r.P
			}
			return r.PLess
		}
		if got := p(tt.critical); got > 0.05 {
			t.Errorf("n1=%d n2=%d two-sided=%v U=%d: got p %v, want <= 0.05", tt.n1, tt.n2, tt.twoSided, tt.critical, got)
		}
		if got := p(tt.critical + 1); got <= 0.05 {
			t.Errorf("n1=%d n2=%d two-sided=%v U=%d: got p %v, want > 0.05", tt.n1, tt.n2, tt.twoSided, tt.critical+1, got)
		}
	}
}

func TestMannWhitneyKnown(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name                    string
		x, y                    []float64
		n1, n2                  int
		u, p, pLess, pGreater   float64
		exact                   bool
		rankBiserial, commonLan float64
	}{
		{
			// Complete separation: 1 arrangement of C(10, 5) = 252 has U = 0.
			name: "separated", x: []float64{1, 2, 3, 4, 5}, y: []float64{6, 7, 8, 9, 10},
			n1: 5, n2: 5, u: 0, p: 2.0 / 252, pLess: 1.0 / 252, pGreater: 1, exact: true,
			rankBiserial: -1, commonLan: 0,
		},
		{
			// The example of the SciPy mannwhitneyu documentation (exact
			// p 0.1111111111111111). By hand: U = 3+4+2+4+4 = 17; U >= 17
			// is U' <= 3 for the other side, partitions of 0..3 into at
			// most 4 parts below 6: 1+1+2+3 = 7 of C(9, 4) = 126; U <= 17 is
			// all but U' <= 2, 1+1+2 = 4.
			name: "scipy docs", x: []float64{19, 22, 16, 29, 24}, y: []float64{20, 11, 17, 12},
			n1: 5, n2: 4, u: 17, p: 14.0 / 126, pLess: 1 - 4.0/126, pGreater: 7.0 / 126, exact: true,
			rankBiserial: 2*17.0/20 - 1, commonLan: 17.0 / 20,
		},
		{
			// Ties, worked by hand: ranks 1 | 3 3 3 | 6 6 6 | 8, x has
			// 1+3+3+6 = 13, U = 13 - 10 = 3. Two groups of 3 ties:
			// sum(t^3-t) = 48, variance = 16/12 * (9 - 48/56) = 76/7.
			name: "ties", x: []float64{1, 2, 2, 3}, y: []float64{2, 3, 3, 4},
			n1: 4, n2: 4, u: 3,
			p:     2 * 0.5 * math.Erfc(4.5/math.Sqrt(76.0/7)/math.Sqrt2),
			pLess: 0.5 * math.Erfc(4.5/math.Sqrt(76.0/7)/math.Sqrt2), pGreater: 0.5 * math.Erfc(-5.5/math.Sqrt(76.0/7)/math.Sqrt2),
			rankBiserial: 2*3.0/16 - 1, commonLan: 3.0 / 16,
		},
		{
			name: "all tied", x: []float64{5, 5, 5}, y: []float64{5, 5},
			n1: 3, n2: 2, u: 3, p: 1, pLess: 1, pGreater: 1, rankBiserial: 0, commonLan: 0.5,
		},
		{
			name: "NaN left out", x: []float64{1, nan, 2}, y: []float64{3, nan},
			n1: 2, n2: 1, u: 0, p: 2.0 / 3, pLess: 1.0 / 3, pGreater: 1, exact: true,
			rankBiserial: -1, commonLan: 0,
		},
		{
			name: "empty y", x: []float64{1, 2}, y: nil,
			n1: 2, n2: 0, u: 0, p: 1, pLess: 1, pGreater: 1, rankBiserial: nan, commonLan: nan,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MannWhitneyU(tt.x, tt.y)
			if r.N1 != tt.n1 || r.N2 != tt.n2 {
				t.Errorf("got N1, N2 = %d, %d, want %d, %d", r.N1, r.N2, tt.n1, tt.n2)
			}
			if r.Exact != tt.exact {
				t.Errorf("got Exact %v, want %v", r.Exact, tt.exact)
			}
			for _, c := range []struct {
				field     string
				got, want float64
			}{
				{"U", r.U, tt.u},
				{"P", r.P, tt.p},
				{"PLess", r.PLess, tt.pLess},
				{"PGreater", r.PGreater, tt.pGreater},
				{"RankBiserial", r.RankBiserial, tt.rankBiserial},
				{"CommonLanguage", r.CommonLanguage, tt.commonLan},
			} {
				if !approx(c.got, c.want, 1e-12) {
					t.Errorf("got %s %v, want %v", c.field, c.got, c.want)
				}
			}
		})
	}
}

func TestMannWhitneyBruteForce(t *testing.T) {
	// Enumerate all C(9, 4) = 126 ways to give 4 of the values 0..8 to x
	// and the rest to y, count U for each, and check every p-value against
	// the fraction of arrangements at least as extreme.
	const n1, n2 = 4, 5
	var arrangements [][2][]float64
	count := make(map[int]int)
	for mask := 0; mask < 1<<(n1+n2); mask++ {
		var x, y []float64
		for v := range n1 + n2 {
			if mask&(1<<v) != 0 {
				x = append(x, float64(v))
			} else {
				y = append(y, float64(v))
			}
		}
		if len(x) != n1 {
			continue
		}
		u := 0
		for _, a := range x {
			for _, b := range y {
				if a > b {
					u++
				}
			}
		}
		count[u]++
		arrangements = append(arrangements, [2][]float64{x, y})
	}
	if len(arrangements) != 126 {
		t.Fatalf("got %d arrangements, want 126", len(arrangements))
	}
	for _, a := range arrangements {
		r := MannWhitneyU(a[0], a[1])
		var le, ge int
		for u, c := range count {
			if float64(u) <= r.U {
				le += c
			}
			if float64(u) >= r.U {
				ge += c
			}
		}
		wantLess, wantGreater := float64(le)/126, float64(ge)/126
		wantP := math.Min(1, 2*math.Min(wantLess, wantGreater))
		if !approx(r.PLess, wantLess, 1e-12) || !approx(r.PGreater, wantGreater, 1e-12) || !approx(r.P, wantP, 1e-12) {
			t.Errorf("x=%v y=%v U=%v: got p %v less %v greater %v, want %v %v %v",
				a[0], a[1], r.U, r.P, r.PLess, r.PGreater, wantP, wantLess, wantGreater)
		}
	}
}

func TestMannWhitneyNormalMatchesExact(t *testing.T) {
	// For 30 and 30 without ties the normal approximation with continuity
	// correction should be close to the exact distribution.
	const n1, n2 = 30, 30
	cdf := exactNullCDF(n1, n2)
	for _, u := range []int{250, 300, 320, 350, 400, 450, 500, 550, 650} {
		less, greater := normalTails(float64(u), n1, n2, 0)
		wantLess, wantGreater := cdf[u], cdf[n1*n2-u]
		if math.Abs(less-wantLess) > 0.002 || math.Abs(greater-wantGreater) > 0.002 {
			t.Errorf("U=%d: got normal %v, %v, want exact %v, %v within 0.002", u, less, greater, wantLess, wantGreater)
		}
	}
	// SciPy documentation example, method="asymptotic": p 0.11134688653314041.
	less, greater := normalTails(17, 5, 4, 0)
	if got, want := 2*math.Min(less, greater), 0.11134688653314041; !approx(got, want, 1e-9) {
		t.Errorf("normal p for U=17, 5 and 4: got %v, want %v", got, want)
	}
}

func TestMannWhitneyLargeExact(t *testing.T) {
	// 50 and 50 separated: one arrangement of C(100, 50) =
	// 100891344545564193334812497256 has U = 0.
	x, y := arrange(50, 50, 0)
	r := MannWhitneyU(x, y)
	if want := 1 / 100891344545564193334812497256.0; !r.Exact || !approx(r.PLess/want, 1, 1e-9) {
		t.Errorf("got PLess %v exact %v, want %v exact", r.PLess, r.Exact, want)
	}
	// 51 values on one side: normal approximation.
	x, y = arrange(51, 50, 51*25)
	if r := MannWhitneyU(x, y); r.Exact || r.P != 1 {
		t.Errorf("51 and 50 at the centre: got exact %v p %v, want approximate, 1", r.Exact, r.P)
	}
}

func TestMinP(t *testing.T) {
	tests := []struct {
		n1, n2 int
		want   float64
	}{
		{5, 5, 2.0 / 252},
		{3, 3, 2.0 / 20},
		{4, 4, 2.0 / 70},
		{1, 1, 1},
		{2, 1, 2.0 / 3},
		{10, 10, 2.0 / 184756},
		{0, 5, 1},
		{5, -1, 1},
	}
	for _, tt := range tests {
		if got := MinP(tt.n1, tt.n2); !approx(got, tt.want, 1e-12) {
			t.Errorf("MinP(%d, %d): got %v, want %v", tt.n1, tt.n2, got, tt.want)
		}
	}
	// MinP is the two-sided p of complete separation.
	for n := 1; n <= 12; n++ {
		x, y := arrange(n, n+1, 0)
		if got, want := MannWhitneyU(x, y).P, MinP(n, n+1); !approx(got, want, 1e-12) {
			t.Errorf("separated %d and %d: got p %v, want MinP %v", n, n+1, got, want)
		}
	}
}

func FuzzMannWhitneyU(f *testing.F) {
	f.Add(uint8(3), []byte{1, 2, 3, 4, 5, 6})
	f.Add(uint8(2), []byte{7, 7, 7, 255, 254, 253})
	f.Add(uint8(60), make([]byte, 110))
	f.Fuzz(func(t *testing.T, split uint8, data []byte) {
		if len(data) > 130 {
			data = data[:130]
		}
		vals := make([]float64, len(data))
		for i, b := range data {
			switch b {
			case 255:
				vals[i] = math.NaN()
			case 254:
				vals[i] = math.Inf(1)
			case 253:
				vals[i] = math.Inf(-1)
			default:
				vals[i] = float64(b) * 1.5
			}
		}
		k := min(int(split), len(vals))
		x, y := vals[:k], vals[k:]
		r, s := MannWhitneyU(x, y), MannWhitneyU(y, x)
		nn := float64(r.N1) * float64(r.N2)
		for _, p := range []float64{r.P, r.PLess, r.PGreater} {
			if !(p >= 0 && p <= 1) {
				t.Fatalf("x=%v y=%v: got p-value %v, want in [0, 1] (%+v)", x, y, p, r)
			}
		}
		if !(r.U >= 0 && r.U <= nn) {
			t.Fatalf("x=%v y=%v: got U %v, want in [0, %v]", x, y, r.U, nn)
		}
		if r.U+s.U != nn {
			t.Fatalf("x=%v y=%v: got U(x,y)+U(y,x) = %v, want N1*N2 = %v", x, y, r.U+s.U, nn)
		}
		if r.P != s.P || r.PLess != s.PGreater || r.PGreater != s.PLess {
			t.Fatalf("x=%v y=%v: got %+v and swapped %+v, want mirrored p-values", x, y, r, s)
		}
		if r.PLess+r.PGreater < 1-1e-9 {
			t.Fatalf("x=%v y=%v: got PLess + PGreater = %v, want >= 1", x, y, r.PLess+r.PGreater)
		}
	})
}
