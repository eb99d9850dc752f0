package store

import (
	"cmp"
	"slices"
	"strconv"
	"time"
)

// VersionChange compares one version of a function with the version before
// it, over the same kind of window.
type VersionChange struct {
	Function string
	From, To string
	// Over is how long after each of the two went live its invocations
	// were counted (the same for both; set by the caller that chose the
	// windows).
	Over time.Duration
	// Before and After are the two versions' stats.
	Before, After FunctionStats
	// P50Ratio and P95Ratio are After/Before of the duration percentiles
	// (0 when Before's is 0): 0.8 means 20% faster.
	P50Ratio, P95Ratio float64
	// ErrorRateDelta is After's error rate minus Before's.
	ErrorRateDelta float64
	// CostPerInvocationRatio is After/Before of cost per invocation.
	CostPerInvocationRatio float64
}

// CompareVersions pairs each version of a function with the one before it in
// stats split by version (Stats with ByVersion). Versions are ordered
// numerically when both are numbers, else as strings.
func CompareVersions(stats []FunctionStats) []VersionChange {
	byFn := map[string][]FunctionStats{}
	for _, s := range stats {
		byFn[s.Function] = append(byFn[s.Function], s)
	}
	fns := make([]string, 0, len(byFn))
	for fn := range byFn {
		fns = append(fns, fn)
	}
	slices.Sort(fns)
	var out []VersionChange
	for _, fn := range fns {
		vs := byFn[fn]
		slices.SortFunc(vs, func(a, b FunctionStats) int { return compareVersion(a.Version, b.Version) })
		for i := 1; i < len(vs); i++ {
			before, after := vs[i-1], vs[i]
			out = append(out, VersionChange{
				Function: fn, From: before.Version, To: after.Version, Before: before, After: after,
				P50Ratio:               ratio(float64(after.Duration.P50), float64(before.Duration.P50)),
				P95Ratio:               ratio(float64(after.Duration.P95), float64(before.Duration.P95)),
				ErrorRateDelta:         after.ErrorRate - before.ErrorRate,
				CostPerInvocationRatio: ratio(perInvocation(after), perInvocation(before)),
			})
		}
	}
	return out
}

func compareVersion(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return cmp.Compare(a, b)
}

func perInvocation(s FunctionStats) float64 {
	if s.Invocations == 0 {
		return 0
	}
	return s.Cost / float64(s.Invocations)
}

func ratio(after, before float64) float64 {
	if before == 0 {
		return 0
	}
	return after / before
}
