package template

import (
	"strings"

	"github.com/stacklab/stacklab/internal/diag"
)

// Resolving can make a template much larger than its text: Fn::ForEach loops
// nested in each other multiply, and every Ref to a long list parameter,
// every Fn::FindInMap of a large mapping value and every Globals property
// copies a value. maxResolved bounds the values, and maxResolvedBytes the
// bytes of keys and strings, that resolving one template may visit or
// create, so that a small file cannot make Load use unbounded time or
// memory. A 2,000-resource template (stacktest.Generate) stays far below
// both: about 60,000 values and 1 MB.
const (
	maxResolved      = 1_000_000
	maxResolvedBytes = 16 << 20
)

// budget counts what resolving a template has visited and created.
type budget struct {
	values, bytes int
	over          bool
}

// spend records that values values and bytes bytes are about to be made and
// reports whether they fit in the budget. The first time they do not, it
// reports an error at pos; the caller then leaves its value unresolved.
func (l *loader) spend(values, bytes int, pos diag.Pos) bool {
	b := &l.budget
	if b.over {
		return false
	}
	b.values += values
	b.bytes += bytes
	if b.values <= maxResolved && b.bytes <= maxResolvedBytes {
		return true
	}
	b.over = true
	if pos.File == "" {
		pos = diag.Pos{File: l.file, Line: 1, Col: 1}
	}
	l.diags.Errorf(pos, "", "", "use fewer or smaller Fn::ForEach loops, and fewer references to large parameters and mappings",
		"the template expands to more than %d values or %d MB of text when resolved; the rest of it is not resolved", maxResolved, maxResolvedBytes>>20)
	return false
}

// size returns the number of values in v and the bytes of its keys and
// scalars.
func size(v *Value) (values, bytes int) {
	values, bytes, _ = measure(v, "")
	return values, bytes
}

// measure is size, and also counts the times sub occurs in v's keys and
// scalars (when sub is not "").
func measure(v *Value, sub string) (values, bytes, uses int) {
	if v == nil {
		return 0, 0, 0
	}
	count := func(s string) int {
		if sub == "" {
			return 0
		}
		return strings.Count(s, sub)
	}
	values, bytes, uses = 1, len(v.Scalar), count(v.Scalar)
	for _, it := range v.Items {
		n, b, u := measure(it, sub)
		values, bytes, uses = values+n, bytes+b, uses+u
	}
	for _, f := range v.Fields {
		n, b, u := measure(f.Value, sub)
		values, bytes, uses = values+n, bytes+len(f.Key)+b, uses+count(f.Key)+u
	}
	return values, bytes, uses
}
