package dashboard

import "github.com/stacklab/stacklab/internal/plan"

// Diff is the change set between two deployments (GET
// /v1/deployments/diff): what deploying To's template over From's stack
// changes.
type Diff struct {
	From      int           `json:"from"`
	To        int           `json:"to"`
	Changes   []plan.Change `json:"changes"`
	Unchanged int           `json:"unchanged"`
}

// DiffOf is cs between deployments from and to; Changes is never nil.
func DiffOf(from, to int, cs plan.ChangeSet) Diff {
	d := Diff{From: from, To: to, Changes: cs.Changes, Unchanged: cs.Unchanged}
	if d.Changes == nil {
		d.Changes = []plan.Change{}
	}
	return d
}
