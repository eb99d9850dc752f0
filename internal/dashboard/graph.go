package dashboard

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/stacklab/stacklab/internal/diagram"
	"github.com/stacklab/stacklab/internal/stack"
)

// Graph is a stack's graph laid out for the page (GET /v1/graph, and the
// graph inlined by 'stacklab graph --format html'). Coordinates are the
// layered layout's pixels; a node's x, y is its centre.
type Graph struct {
	// Version is the deployment the stack is of; 0 for a template that is
	// not deployed.
	Version int     `json:"version"`
	Width   float64 `json:"width"`
	Height  float64 `json:"height"`
	Nodes   []Node  `json:"nodes"`
	Edges   []Edge  `json:"edges"`
	Groups  []Group `json:"groups"`
}

// Node is one resource, placed.
type Node struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Kind  string `json:"kind"`
	Label string `json:"label"`
	Runs  bool   `json:"runs"`
	// Group is the id of the Group the node is drawn in.
	Group string  `json:"group"`
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	W     float64 `json:"w"`
	H     float64 `json:"h"`
	// Detail is what the side panel shows: for a function a FunctionDetail,
	// nil for other kinds.
	Detail any `json:"detail,omitempty"`
}

// Edge connects two nodes; ID is unique within the graph and stable.
type Edge struct {
	ID    string `json:"id"`
	From  string `json:"from"`
	To    string `json:"to"`
	Kind  string `json:"kind"`
	Label string `json:"label,omitempty"`
}

// Group is the nodes of one kind (the compound node around them).
type Group struct {
	ID    string   `json:"id"`
	Label string   `json:"label"`
	Kinds []string `json:"kinds"`
}

// FunctionDetail is a function node's detail. Triggers and policies are
// one line each, as the panel lists them; environment values are as
// written in the template (a reference as its JSON, {"Ref":"Table"}).
type FunctionDetail struct {
	Name        string            `json:"name"`
	Runtime     string            `json:"runtime"`
	Handler     string            `json:"handler"`
	MemorySize  int               `json:"memorySize"`
	Timeout     int               `json:"timeout"`
	Triggers    []string          `json:"triggers"`
	Policies    []string          `json:"policies"`
	Environment map[string]string `json:"environment"`
}

// FromStack lays out the stack's graph; version is the deployment it is of
// (0 for none). Nodes come sorted by id, edges by (from, to, kind, label).
func FromStack(st *stack.Stack, version int) (Graph, error) {
	pos, err := diagram.Layout(st.Graph)
	if err != nil {
		return Graph{}, fmt.Errorf("laying out the stack's graph: %w", err)
	}
	out := Graph{Version: version, Width: pos.Width, Height: pos.Height, Nodes: []Node{}, Edges: []Edge{}, Groups: []Group{}}
	groupOf := map[string]string{}
	for _, g := range pos.Groups {
		out.Groups = append(out.Groups, Group{ID: g.ID, Label: g.Label, Kinds: []string{string(g.Kind)}})
		for _, id := range g.Nodes {
			groupOf[id] = g.ID
		}
	}
	fns := map[string]*stack.Function{}
	for _, f := range st.Functions {
		fns[f.ID] = f
	}
	for _, n := range st.Graph.Nodes {
		b := pos.Nodes[n.ID]
		node := Node{ID: n.ID, Type: n.Type, Kind: string(n.Kind), Label: n.Label, Runs: n.Runs, Group: groupOf[n.ID],
			X: b.X, Y: b.Y, W: b.W, H: b.H}
		if f := fns[n.ID]; f != nil {
			node.Detail = functionDetail(f)
		}
		out.Nodes = append(out.Nodes, node)
	}
	slices.SortFunc(out.Nodes, func(a, b Node) int { return cmp.Compare(a.ID, b.ID) })
	edges := slices.Clone(st.Graph.Edges)
	slices.SortFunc(edges, func(a, b stack.Edge) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Label, b.Label))
	})
	edges = slices.Compact(edges)
	seen := map[string]int{}
	for _, e := range edges {
		id := e.From + "->" + e.To + ":" + string(e.Kind)
		if seen[id]++; seen[id] > 1 {
			id = fmt.Sprintf("%s#%d", id, seen[id])
		}
		out.Edges = append(out.Edges, Edge{ID: id, From: e.From, To: e.To, Kind: string(e.Kind), Label: e.Label})
	}
	return out, nil
}

func functionDetail(f *stack.Function) FunctionDetail {
	d := FunctionDetail{Name: f.Name, Runtime: f.Runtime, Handler: f.Handler, MemorySize: f.MemorySize, Timeout: f.Timeout,
		Triggers: []string{}, Policies: []string{}, Environment: map[string]string{}}
	for _, e := range f.Events {
		d.Triggers = append(d.Triggers, triggerLine(e))
	}
	for _, p := range f.Policies {
		d.Policies = append(d.Policies, policyLine(p))
	}
	for k, v := range f.Environment {
		d.Environment[k] = plainText(v)
	}
	return d
}

// triggerLine is "Id: Type what (from Source)", e.g.
// "GetItem: Api GET /items" or "Upload: S3 s3:ObjectCreated:* (from Bucket)".
func triggerLine(e *stack.Event) string {
	var what []string
	switch {
	case e.Method != "" || e.Path != "":
		what = append(what, strings.ToUpper(e.Method), e.Path)
	case e.Schedule != "":
		what = append(what, e.Schedule)
	case len(e.S3Events) > 0:
		what = append(what, strings.Join(e.S3Events, ", "))
	}
	if e.Prefix != "" || e.Suffix != "" {
		what = append(what, "key "+e.Prefix+"*"+e.Suffix)
	}
	if e.BatchSize > 0 {
		what = append(what, fmt.Sprintf("batch %d", e.BatchSize))
	}
	s := e.ID + ": " + string(e.Type)
	if w := strings.TrimSpace(strings.Join(what, " ")); w != "" {
		s += " " + w
	}
	if src := e.Source.String(); src != "" {
		s += " (from " + src + ")"
	}
	if !e.Runs {
		s += " [not run]"
	}
	return s
}

// policyLine is a policy template with its resources and access
// ("DynamoDBCrudPolicy: Table read/write"), a managed policy's name, or
// "inline policy" and its actions.
func policyLine(p stack.Policy) string {
	var s string
	switch {
	case p.Template != "":
		s = p.Template
	case p.Managed != "":
		s = p.Managed
	default:
		s = "inline policy"
	}
	var res []string
	for _, r := range p.Resources {
		res = append(res, r.String())
	}
	if len(res) > 0 || p.Access != "" {
		s += ": " + strings.TrimSpace(strings.Join(res, ", ")+" "+p.Access)
	}
	if p.Template == "" && p.Managed == "" && p.Document != nil {
		if acts := actions(p.Document); len(acts) > 0 {
			s += " (" + strings.Join(acts, ", ") + ")"
		}
	}
	return s
}

// actions lists the Action values of a policy document's statements.
func actions(doc map[string]any) []string {
	var out []string
	stmts, _ := doc["Statement"].([]any)
	if m, ok := doc["Statement"].(map[string]any); ok {
		stmts = []any{m}
	}
	for _, st := range stmts {
		m, _ := st.(map[string]any)
		switch a := m["Action"].(type) {
		case string:
			out = append(out, a)
		case []any:
			for _, x := range a {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// plainText is a template value as one line: strings as they are, anything
// else as JSON.
func plainText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
