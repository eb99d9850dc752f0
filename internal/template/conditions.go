package template

import "github.com/stacklab/stacklab/internal/diag"

// Tri is a condition's value: true, false, or unknown when it depends on a
// parameter that has no value.
type Tri int8

// Tri values.
const (
	Unknown Tri = iota
	False
	True
)

func tri(b bool) Tri {
	if b {
		return True
	}
	return False
}

func (t Tri) String() string {
	switch t {
	case True:
		return "true"
	case False:
		return "false"
	}
	return "unknown"
}

func (l *loader) conditions(v *Value) {
	l.condDefs = map[string]*Value{}
	l.condState = map[string]int{}
	if v == nil {
		return
	}
	if v.Kind != Map {
		l.diags.Errorf(v.Pos, "", "Conditions", "write Conditions as a map of names to condition functions", "Conditions must be a map, not a %s", v.Kind)
		return
	}
	for _, f := range v.Fields {
		l.condDefs[f.Key] = f.Value
	}
	for _, f := range v.Fields {
		l.condition(f.Key, f.KeyPos)
	}
}

// condition evaluates a named condition once, detecting cycles.
func (l *loader) condition(name string, at diag.Pos) Tri {
	if t, ok := l.t.Conditions[name]; ok && l.condState[name] == 2 {
		return t
	}
	def, ok := l.condDefs[name]
	if !ok {
		return Unknown
	}
	if l.condState[name] == 1 {
		l.diags.Errorf(at, "", "Conditions."+name, "break the cycle between the conditions", "condition %s refers to itself through Condition", name)
		return Unknown
	}
	l.condState[name] = 1
	rs := &resolver{l: l, refs: map[string]bool{}, section: "Conditions." + name, inCondition: true}
	t := rs.condValue(def, "")
	l.condState[name] = 2
	l.t.Conditions[name] = t
	return t
}
