package template

import (
	"slices"
	"strings"
)

// cycles reports dependency cycles between active resources (through Ref,
// Fn::GetAtt, Fn::Sub and DependsOn), which CloudFormation cannot create.
func (l *loader) cycles() {
	byID := map[string]*Resource{}
	for _, r := range l.t.Resources {
		if r.Active {
			byID[r.ID] = r
		}
	}
	edges := func(r *Resource) []string {
		out := make([]string, 0, len(r.Refs)+len(r.DependsOn))
		for _, d := range append(slices.Clone(r.Refs), r.DependsOn...) {
			if _, ok := byID[d]; ok {
				out = append(out, d)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	// Tarjan's strongly connected components, iterative over resources in
	// file order so that findings are deterministic.
	idx, low := map[string]int{}, map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	next := 0
	var strong func(id string)
	strong = func(id string) {
		idx[id], low[id] = next, next
		next++
		stack = append(stack, id)
		onStack[id] = true
		for _, d := range edges(byID[id]) {
			if _, seen := idx[d]; !seen {
				strong(d)
				low[id] = min(low[id], low[d])
			} else if onStack[d] {
				low[id] = min(low[id], idx[d])
			}
		}
		if low[id] != idx[id] {
			return
		}
		var comp []string
		for {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[n] = false
			comp = append(comp, n)
			if n == id {
				break
			}
		}
		self := len(comp) == 1 && slices.Contains(edges(byID[id]), id)
		if len(comp) > 1 || self {
			l.reportCycle(comp, byID)
		}
	}
	for _, r := range l.t.Resources {
		if _, seen := idx[r.ID]; !seen && r.Active {
			strong(r.ID)
		}
	}
}

func (l *loader) reportCycle(comp []string, byID map[string]*Resource) {
	// Order the cycle by file order and show it as a path back to its start.
	order := map[string]int{}
	for i, r := range l.t.Resources {
		order[r.ID] = i
	}
	slices.SortFunc(comp, func(a, b string) int { return order[a] - order[b] })
	first := byID[comp[0]]
	path := append(slices.Clone(comp), comp[0])
	if len(comp) == 1 {
		l.diags.Errorf(first.Pos, first.ID, "", "remove the reference to itself; use a fixed name with Fn::Sub instead of Ref or Fn::GetAtt of itself", "the resource refers to itself")
		return
	}
	l.diags.Errorf(first.Pos, first.ID, "", "break the cycle: replace one Ref/GetAtt with a fixed name built with Fn::Sub, or drop a DependsOn", "cyclic dependency: %s", strings.Join(path, " -> "))
}
