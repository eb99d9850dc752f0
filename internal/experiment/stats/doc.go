// Package stats holds the statistics behind stacklab experiment: quantiles,
// the Mann-Whitney U test, a paired cluster bootstrap for the ratio of two
// variants, Holm's adjustment for a family of tests and sample-size
// planning.
//
// Everything here is pure: values in, results out, no I/O, no clock and no
// global random source (functions that draw take a *rand.Rand so that a run
// can be reproduced). The package knows nothing about stacks, invocations or
// how the observations were measured; the parent package experiment turns
// measurements into the slices these functions take.
package stats
