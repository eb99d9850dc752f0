package stack

// Kind groups resource types by what they are to a user, for drawing and for
// deciding what stacklab runs.
type Kind string

// The kinds of resource. KindOther covers every type that stacklab accepts but
// does not run (IAM, Logs, EC2, ...), and AWS::Lambda::EventInvokeConfig,
// which runs as part of its function (Node.Runs and Resource.Runs say so).
const (
	KindFunction     Kind = "function"
	KindBucket       Kind = "bucket"
	KindQueue        Kind = "queue"
	KindTopic        Kind = "topic"
	KindTable        Kind = "table"
	KindAPI          Kind = "api"
	KindSchedule     Kind = "schedule"
	KindEventBus     Kind = "eventbus"
	KindRule         Kind = "rule"
	KindStateMachine Kind = "statemachine"
	KindStream       Kind = "stream"
	KindMapping      Kind = "mapping"
	KindOther        Kind = "other"
)

// EdgeKind says why two resources are connected.
type EdgeKind string

// Edge kinds: a trigger delivers events (bucket -> function), a data edge is an
// access granted by a policy or implied by a reference in the environment
// (function -> table), a dependency is DependsOn or a Ref/GetAtt elsewhere.
const (
	EdgeTrigger    EdgeKind = "trigger"
	EdgeData       EdgeKind = "data"
	EdgeDependency EdgeKind = "dependency"
)

// Graph is the picture of a stack: one node per resource (plus synthetic nodes
// such as schedules or implicit APIs) and typed, labelled edges. Node ids are the
// template's logical ids, so they are stable across versions of a template.
type Graph struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Node is one resource in the graph.
type Node struct {
	ID    string `json:"id"`    // logical id, stable across template versions
	Type  string `json:"type"`  // CloudFormation/SAM type, e.g. AWS::S3::Bucket
	Kind  Kind   `json:"kind"`  // group for drawing
	Label string `json:"label"` // what to print on the node
	Runs  bool   `json:"runs"`  // false: accepted, not run
}

// Edge connects two nodes; Label is the event or access, e.g. "s3:ObjectCreated:*"
// or "read/write".
type Edge struct {
	From  string   `json:"from"`
	To    string   `json:"to"`
	Kind  EdgeKind `json:"kind"`
	Label string   `json:"label,omitempty"`
}
