package plan

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/stacklab/stacklab/internal/stack"
)

// Action is what happens to one resource.
type Action string

// The actions, in the order a summary counts them.
const (
	Add     Action = "add"     // in the new stack only
	Modify  Action = "modify"  // in both; updated in place
	Replace Action = "replace" // in both; deleted and created again
	Remove  Action = "remove"  // in the old stack only
)

// Change is one resource's change.
type Change struct {
	ID   string `json:"id"`
	Type string `json:"type"` // the new type; the old one for Remove
	// OldType is the type in the old stack when it differs from Type; such a
	// change is always a Replace.
	OldType string `json:"oldType,omitempty"`
	Action  Action `json:"action"`
	// Properties lists, for Modify and Replace, every changed property path
	// (a change to DependsOn last, with path "DependsOn"). Empty for Add and
	// Remove.
	Properties []PropertyChange `json:"properties,omitempty"`
}

// PropertyChange names one changed property by its path and gives its old
// and new values as plain JSON values (map[string]any, []any, string,
// float64, bool).
//
// A path is the property names from the top of Properties joined by dots,
// with list indexes in brackets: "MemorySize", "Environment.Variables.TABLE",
// "Events.Upload.Properties.Bucket", "Policies[0]". A name that contains a
// dot, a bracket, a quote or a space is written as a quoted index instead:
// `Tags["app.kubernetes.io/name"]`.
//
// Old is nil when the property was added and New is nil when it was removed;
// both are then left out of the JSON. A property whose value is null counts
// as absent. Old and New share memory with the stacks given to Diff.
type PropertyChange struct {
	Path string `json:"path"`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
	// Replaces is true when changing this property forces CloudFormation to
	// replace the resource (see replace.go).
	Replaces bool `json:"replaces,omitempty"`
}

// ChangeSet is the change between two versions of a stack.
//
// Changes are in a fixed order: resources of the new stack in template order
// (additions, modifications and replacements interleaved as they appear),
// then removals in the old stack's template order. Unchanged counts the
// resources present in both versions with nothing changed.
type ChangeSet struct {
	Changes   []Change `json:"changes"`
	Unchanged int      `json:"unchanged"`
}

// MarshalJSON writes Changes as [] rather than null when there are none.
func (c ChangeSet) MarshalJSON() ([]byte, error) {
	type plain ChangeSet // without this method
	if c.Changes == nil {
		c.Changes = []Change{}
	}
	return json.Marshal(plain(c))
}

// Empty reports whether the change set changes nothing.
func (c ChangeSet) Empty() bool { return len(c.Changes) == 0 }

// Count returns how many resources the action applies to.
func (c ChangeSet) Count(a Action) int {
	n := 0
	for _, ch := range c.Changes {
		if ch.Action == a {
			n++
		}
	}
	return n
}

// Summary returns one line counting the changes, as in
// "2 to add, 1 to modify, 1 to replace, 0 to remove".
func (c ChangeSet) Summary() string {
	return fmt.Sprintf("%d to add, %d to modify, %d to replace, %d to remove",
		c.Count(Add), c.Count(Modify), c.Count(Replace), c.Count(Remove))
}

// Diff returns the changes that turn the stack from into the stack to. A nil
// stack counts as empty, so Diff(nil, s) adds every resource of s. Resources
// are matched by logical id; should an id appear twice in one stack (the
// template package rejects that), its first occurrence counts.
//
// A resource is replaced when its type changed or when a property that
// CloudFormation cannot update in place changed; otherwise a change to its
// properties or its DependsOn modifies it. DependsOn is compared as a set.
//
// Properties are compared as JSON values, deeply: maps key by key, lists
// element by element when their lengths agree and as a whole when not, and
// a reference ({"Ref": ...}, {"Fn::GetAtt": ...}) as one value. A change is
// reported at the deepest path where the values differ (see PropertyChange).
// Numbers are equal by value whatever their Go type, and a string spelling a
// decimal number equals that number ("128" and 128), as "true" and "false"
// equal the booleans, so that a template rewritten from YAML to JSON shows no
// change; two strings are compared as strings ("1.10" and "1.1" differ). A
// null property is the same as an absent one.
//
// Kind, Runs and Pos are derived or cosmetic and not compared.
func Diff(from, to *stack.Stack) ChangeSet {
	oldOrder, oldByID := resources(from)
	newOrder, _ := resources(to)

	cs := ChangeSet{Changes: []Change{}}
	for _, r := range newOrder {
		o, ok := oldByID[r.ID]
		if !ok {
			cs.Changes = append(cs.Changes, Change{ID: r.ID, Type: r.Type, Action: Add})
			continue
		}
		delete(oldByID, r.ID)
		c, changed := diffResource(o, r)
		if !changed {
			cs.Unchanged++
			continue
		}
		cs.Changes = append(cs.Changes, c)
	}
	for _, o := range oldOrder {
		if _, left := oldByID[o.ID]; left {
			cs.Changes = append(cs.Changes, Change{ID: o.ID, Type: o.Type, Action: Remove})
		}
	}
	return cs
}

// resources returns the resources of s in template order without nil entries
// or repeated ids, and the same resources by id.
func resources(s *stack.Stack) ([]*stack.Resource, map[string]*stack.Resource) {
	if s == nil {
		return nil, map[string]*stack.Resource{}
	}
	order := make([]*stack.Resource, 0, len(s.Resources))
	byID := make(map[string]*stack.Resource, len(s.Resources))
	for _, r := range s.Resources {
		if r == nil {
			continue
		}
		if _, dup := byID[r.ID]; dup {
			continue
		}
		byID[r.ID] = r
		order = append(order, r)
	}
	return order, byID
}

// diffResource compares two versions of one resource and reports whether
// anything changed.
func diffResource(o, n *stack.Resource) (Change, bool) {
	props := diffProperties(n.Type, o.Properties, n.Properties)
	if pc, changed := diffDependsOn(o.DependsOn, n.DependsOn); changed {
		props = append(props, pc)
	}
	typeChanged := o.Type != n.Type
	if !typeChanged && len(props) == 0 {
		return Change{}, false
	}
	c := Change{ID: n.ID, Type: n.Type, Action: Modify, Properties: props}
	if typeChanged {
		c.OldType = o.Type
		c.Action = Replace
	}
	for _, p := range props {
		if p.Replaces {
			c.Action = Replace
		}
	}
	return c, true
}

// diffProperties compares two Properties maps key by key, in sorted key
// order, marking the changes that force replacement of a resource of type
// typ.
func diffProperties(typ string, o, n map[string]any) []PropertyChange {
	var out []PropertyChange
	for _, k := range unionKeys(o, n) {
		start := len(out)
		out = diffValues(out, keyPath("", k), o[k], n[k])
		if forcesReplacement(typ, k) {
			for i := start; i < len(out); i++ {
				out[i].Replaces = true
			}
		}
	}
	return out
}

// diffDependsOn compares two DependsOn lists as sets: order and repetition
// do not matter to CloudFormation.
func diffDependsOn(o, n []string) (PropertyChange, bool) {
	if slices.Equal(idSet(o), idSet(n)) {
		return PropertyChange{}, false
	}
	return PropertyChange{Path: "DependsOn", Old: idList(o), New: idList(n)}, true
}

func idSet(ids []string) []string {
	s := slices.Clone(ids)
	sort.Strings(s)
	return slices.Compact(s)
}

// idList returns ids as a plain JSON list, or nil when there are none.
func idList(ids []string) any {
	if len(ids) == 0 {
		return nil
	}
	l := make([]any, len(ids))
	for i, id := range ids {
		l[i] = id
	}
	return l
}
