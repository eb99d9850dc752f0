package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a place in a template file, 1-based. The zero Pos means "unknown".
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

func (p Pos) String() string {
	switch {
	case p.Line == 0 && p.File == "":
		return "-"
	case p.Line == 0:
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Severity says whether a finding makes a template invalid.
type Severity string

const (
	// Error: the template cannot be run as written.
	Error Severity = "error"
	// Warning: the template is accepted, but something is not run, not
	// resolved or looks wrong.
	Warning Severity = "warning"
)

// Diagnostic is one finding about a template.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	Pos
	Resource string `json:"resource,omitempty"` // logical id, when the finding is inside a resource
	Property string `json:"property,omitempty"` // dotted path inside the resource or section
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"` // what to do about it
}

func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	b.WriteString(string(d.Severity))
	b.WriteString(": ")
	if d.Resource != "" {
		b.WriteString(d.Resource)
		if d.Property != "" {
			b.WriteString(".")
			b.WriteString(d.Property)
		}
		b.WriteString(": ")
	} else if d.Property != "" {
		b.WriteString(d.Property)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	if d.Fix != "" {
		b.WriteString(" (fix: ")
		b.WriteString(d.Fix)
		b.WriteString(")")
	}
	return b.String()
}

// List collects diagnostics.
type List []Diagnostic

// Errorf adds an error at pos.
func (l *List) Errorf(pos Pos, resource, property, fix, format string, args ...any) {
	*l = append(*l, Diagnostic{Severity: Error, Pos: pos, Resource: resource, Property: property, Fix: fix, Message: fmt.Sprintf(format, args...)})
}

// Warnf adds a warning at pos.
func (l *List) Warnf(pos Pos, resource, property, fix, format string, args ...any) {
	*l = append(*l, Diagnostic{Severity: Warning, Pos: pos, Resource: resource, Property: property, Fix: fix, Message: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Count returns the number of errors and warnings.
func (l List) Count() (errors, warnings int) {
	for _, d := range l {
		if d.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// Sort orders diagnostics by file, line, column and message, and drops exact
// duplicates (the same finding reached twice through two references).
func (l *List) Sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Message < b.Message
	})
	out := s[:0]
	for i, d := range s {
		if i > 0 && d == s[i-1] {
			continue
		}
		out = append(out, d)
	}
	*l = out
}

// Suggest returns ` (did you mean "X"?)` when one of names is close to name
// (a few edits apart, ignoring case), or "" when none is.
func Suggest(name string, names []string) string {
	best, bestD := "", 4
	for _, n := range names {
		if d := distance(strings.ToLower(name), strings.ToLower(n)); d < bestD && d <= max(1, len(name)/3) {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 64
	}
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
