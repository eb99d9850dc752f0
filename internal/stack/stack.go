package stack

import "github.com/stacklab/stacklab/internal/diag"

// Pos is a place in a template file.
type Pos = diag.Pos

// Stack is a resolved template as stacklab understands it.
type Stack struct {
	Description string `json:"description,omitempty"`
	// Resources in template order. Resources whose Condition is false are
	// left out, as CloudFormation does not create them.
	Resources []*Resource `json:"resources"`

	Functions     []*Function           `json:"functions,omitempty"`
	Buckets       []*Bucket             `json:"buckets,omitempty"`
	Queues        []*Queue              `json:"queues,omitempty"`
	Topics        []*Topic              `json:"topics,omitempty"`
	Tables        []*Table              `json:"tables,omitempty"`
	APIs          []*API                `json:"apis,omitempty"`
	Rules         []*Rule               `json:"rules,omitempty"`
	EventBuses    []*EventBus           `json:"eventBuses,omitempty"`
	StateMachines []*StateMachine       `json:"stateMachines,omitempty"`
	Mappings      []*EventSourceMapping `json:"eventSourceMappings,omitempty"`
	Streams       []*Stream             `json:"streams,omitempty"`

	// Outputs are the template's outputs, resolved as far as they can be.
	Outputs map[string]any `json:"outputs,omitempty"`
	Graph   Graph          `json:"graph"`
}

// Resource is one resource of the template after parameters, conditions,
// mappings and intrinsic functions that do not depend on other resources have
// been resolved.
type Resource struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Kind Kind   `json:"kind"`
	Runs bool   `json:"runs"` // false: accepted, not run

	// Properties holds the resolved properties as plain JSON values
	// (map[string]any, []any, string, float64, bool, nil). References to other
	// resources stay symbolic: {"Ref": "Id"} and {"Fn::GetAtt": ["Id", "Attr"]}.
	Properties map[string]any `json:"properties,omitempty"`
	DependsOn  []string       `json:"dependsOn,omitempty"`
	Pos        Pos            `json:"pos"`
}

// Lookup returns the resource with the logical id, or nil.
func (s *Stack) Lookup(id string) *Resource {
	for _, r := range s.Resources {
		if r.ID == id {
			return r
		}
	}
	return nil
}
