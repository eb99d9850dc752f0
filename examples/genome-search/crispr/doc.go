// Package crispr finds and scores candidate CRISPR/Cas9 target sites in
// DNA, the science of the genome-search example: every 20-nt protospacer
// followed by an NGG PAM, on both strands, scored by a simple model of
// our own (see Score and the example's README) and ranked.
//
// Two scanners give the same answer: Naive rescans every window and
// builds strings as it goes, O(n·m) for n bases and m-base windows; Fast
// makes one pass of running counts and scores each site in constant time.
// The example deploys one or the other, chosen by a template parameter, to
// compare them as architecture variants.
package crispr
