package critpath

import (
	"cmp"
	"slices"
	"time"
)

// Share is one resource's part of the critical-path time of many traces.
type Share struct {
	Resource string
	// Time is the resource's critical-path self time summed over the traces.
	Time time.Duration
	// Share is Time over the summed critical-path time of all traces (0..1).
	Share float64
	// Traces counts the traces in which the resource is on the critical path.
	Traces int
}

// Bottleneck ranks resources by their share of critical-path time over the
// given paths, largest first (ties by name). The first entry is the
// bottleneck. Time of no resource (the gaps between the roots of a trace a
// caller made with one traceparent for several requests: the caller's time,
// not the platform's) is left out of the ranking and of the shares. It
// returns nil when the paths hold no time of a resource.
func Bottleneck(paths []Path) []Share {
	byRes := map[string]*Share{}
	var total time.Duration
	for _, p := range paths {
		for res, d := range p.ByResource() {
			if d <= 0 || res == "" {
				continue
			}
			s := byRes[res]
			if s == nil {
				s = &Share{Resource: res}
				byRes[res] = s
			}
			s.Time += d
			s.Traces++
			total += d
		}
	}
	if total <= 0 {
		return nil
	}
	out := make([]Share, 0, len(byRes))
	for _, s := range byRes {
		s.Share = float64(s.Time) / float64(total)
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Share) int {
		return cmp.Or(cmp.Compare(b.Time, a.Time), cmp.Compare(a.Resource, b.Resource))
	})
	return out
}
