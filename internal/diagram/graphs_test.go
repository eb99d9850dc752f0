package diagram

import (
	"fmt"
	"math/rand/v2"

	"github.com/stacklab/stacklab/internal/stack"
)

// Graphs built by hand for golden files and tests. Each is what the stack
// model could make of a small template.

func node(id string, kind stack.Kind, typ string) stack.Node {
	return stack.Node{ID: id, Type: typ, Kind: kind, Label: id, Runs: kind != stack.KindOther}
}

func edge(from, to string, kind stack.EdgeKind, label string) stack.Edge {
	return stack.Edge{From: from, To: to, Kind: kind, Label: label}
}

// s3GetObject is the template of the talk "Visualizing serverless systems":
// a bucket triggers a function that reads the object back, with the role SAM
// makes for the function.
func s3GetObject() stack.Graph {
	return stack.Graph{
		Nodes: []stack.Node{
			node("S3GetObjectFunction", stack.KindFunction, "AWS::Serverless::Function"),
			node("SrcBucket", stack.KindBucket, "AWS::S3::Bucket"),
			node("S3GetObjectFunctionRole", stack.KindOther, "AWS::IAM::Role"),
		},
		Edges: []stack.Edge{
			edge("SrcBucket", "S3GetObjectFunction", stack.EdgeTrigger, "s3:ObjectCreated:*"),
			edge("S3GetObjectFunction", "SrcBucket", stack.EdgeData, "read"),
			edge("S3GetObjectFunction", "S3GetObjectFunctionRole", stack.EdgeDependency, ""),
		},
	}
}

// genomeSearch is a GT-Scan-like pipeline: an upload bucket, a splitter that
// fans chunks out through a queue to scorers, results in a table behind an
// HTTP API, a nightly cleanup, a topic for finished jobs and roles and a log
// group that stacklab does not run.
func genomeSearch() stack.Graph {
	return stack.Graph{
		Nodes: []stack.Node{
			node("UploadBucket", stack.KindBucket, "AWS::S3::Bucket"),
			node("SplitterFunction", stack.KindFunction, "AWS::Serverless::Function"),
			node("ChunkQueue", stack.KindQueue, "AWS::SQS::Queue"),
			node("ChunkDLQ", stack.KindQueue, "AWS::SQS::Queue"),
			node("ScorerFunction", stack.KindFunction, "AWS::Serverless::Function"),
			node("ResultsTable", stack.KindTable, "AWS::DynamoDB::Table"),
			node("ResultsApi", stack.KindAPI, "AWS::Serverless::HttpApi"),
			node("ResultsFunction", stack.KindFunction, "AWS::Serverless::Function"),
			node("JobDoneTopic", stack.KindTopic, "AWS::SNS::Topic"),
			node("NotifyFunction", stack.KindFunction, "AWS::Serverless::Function"),
			{ID: "CleanupFunctionNightly", Type: "AWS::Events::Rule", Kind: stack.KindSchedule, Label: "rate(1 day)", Runs: true},
			node("CleanupFunction", stack.KindFunction, "AWS::Serverless::Function"),
			node("ScorerFunctionRole", stack.KindOther, "AWS::IAM::Role"),
			node("ScorerLogGroup", stack.KindOther, "AWS::Logs::LogGroup"),
		},
		Edges: []stack.Edge{
			edge("UploadBucket", "SplitterFunction", stack.EdgeTrigger, "s3:ObjectCreated:*"),
			edge("SplitterFunction", "UploadBucket", stack.EdgeData, "read"),
			edge("SplitterFunction", "ChunkQueue", stack.EdgeData, "sqs:SendMessage"),
			edge("ChunkQueue", "ScorerFunction", stack.EdgeTrigger, "batch of 10"),
			edge("ChunkQueue", "ChunkDLQ", stack.EdgeTrigger, "redrive after 3"),
			edge("ScorerFunction", "ResultsTable", stack.EdgeData, "write"),
			edge("ScorerFunction", "JobDoneTopic", stack.EdgeData, "publish"),
			edge("JobDoneTopic", "NotifyFunction", stack.EdgeTrigger, "sns"),
			edge("ResultsApi", "ResultsFunction", stack.EdgeTrigger, "GET /results/{id}"),
			edge("ResultsFunction", "ResultsTable", stack.EdgeData, "read"),
			edge("CleanupFunctionNightly", "CleanupFunction", stack.EdgeTrigger, "schedule"),
			edge("CleanupFunction", "ResultsTable", stack.EdgeData, "read/write"),
			edge("CleanupFunction", "UploadBucket", stack.EdgeData, "delete"),
			edge("ScorerFunction", "ScorerFunctionRole", stack.EdgeDependency, ""),
			edge("ScorerFunction", "ScorerLogGroup", stack.EdgeDependency, ""),
			edge("ResultsFunction", "ResultsApi", stack.EdgeDependency, "Ref"),
		},
	}
}

// awkward has every kind of trouble a renderer meets: quotes, angle
// brackets, ampersands and pipes in labels, a Mermaid keyword and odd
// characters as ids, an unknown kind, an empty kind, a self loop, a
// dependency within one layer, a long edge and a cycle.
func awkward() stack.Graph {
	return stack.Graph{
		Nodes: []stack.Node{
			{ID: "end", Type: "AWS::Serverless::Function", Kind: stack.KindFunction, Label: `Say "hi" <b>&amp;</b>`, Runs: true},
			{ID: "Stream-1", Type: "AWS::Kinesis::Stream", Kind: stack.KindStream, Runs: true},
			{ID: "Gadget", Type: "Custom::Gadget", Kind: "widget", Label: "gadget\twith a\nnewline", Runs: false},
			{ID: "Mystery", Type: "", Kind: "", Runs: false},
			{ID: "Loop", Type: "AWS::Serverless::Function", Kind: stack.KindFunction, Label: "Loop", Runs: true},
			{ID: "Machine", Type: "AWS::Serverless::StateMachine", Kind: stack.KindStateMachine, Label: "A state machine with a really rather long name indeed", Runs: true},
			{ID: "Bus", Type: "AWS::Events::EventBus", Kind: stack.KindEventBus, Label: "Bus", Runs: true},
			{ID: "OnOrder", Type: "AWS::Events::Rule", Kind: stack.KindRule, Label: "OnOrder", Runs: true},
			{ID: "Mapping", Type: "AWS::Lambda::EventSourceMapping", Kind: stack.KindMapping, Label: "Mapping", Runs: true},
		},
		Edges: []stack.Edge{
			edge("Stream-1", "Mapping", stack.EdgeTrigger, "records"),
			edge("Mapping", "end", stack.EdgeTrigger, `x<y & "z" | #1`),
			edge("end", "Gadget", stack.EdgeData, "poke"),
			edge("Gadget", "Stream-1", stack.EdgeData, "put"), // closes a cycle
			edge("Loop", "Loop", stack.EdgeTrigger, "again"),
			edge("Bus", "OnOrder", stack.EdgeTrigger, "order.*"),
			edge("OnOrder", "Machine", stack.EdgeTrigger, "start"),
			edge("Machine", "Loop", stack.EdgeData, "invoke"),
			edge("Bus", "Loop", stack.EdgeData, "far away"),
			edge("Machine", "end", stack.EdgeDependency, "GetAtt"),
			edge("Mystery", "Bus", stack.EdgeDependency, ""),
		},
	}
}

var goldenGraphs = []struct {
	name string
	g    func() stack.Graph
}{
	{"s3-get-object", s3GetObject},
	{"genome-search", genomeSearch},
	{"awkward", awkward},
}

// generated returns a graph of n nodes in the shape of a large stack: tiers
// of resources, each fed by triggers and data edges from the tier before (now
// and then from two tiers before, or backwards, closing cycles), dependency
// edges and roles that do not run.
func generated(n int, seed uint64) stack.Graph {
	rng := rand.New(rand.NewPCG(seed, 1))
	kinds := []stack.Kind{stack.KindAPI, stack.KindBucket, stack.KindFunction, stack.KindFunction,
		stack.KindQueue, stack.KindTable, stack.KindTopic, stack.KindOther}
	const tiers = 12
	var g stack.Graph
	start := make([]int, tiers+1) // first node of each tier
	for i := range n {
		k := kinds[rng.IntN(len(kinds))]
		id := fmt.Sprintf("%s%04d", k, i)
		g.Nodes = append(g.Nodes, stack.Node{ID: id, Type: "AWS::Test::" + string(k), Kind: k, Label: id, Runs: k != stack.KindOther})
	}
	for t := range start {
		start[t] = t * n / tiers
	}
	labels := []string{"", "read", "write", "s3:ObjectCreated:*", "invoke", "sqs"}
	for t := 1; t < tiers; t++ {
		for i := start[t]; i < start[t+1]; i++ {
			for range 1 + rng.IntN(2) {
				from := max(0, t-1-rng.IntN(4)/3)
				j := start[from] + rng.IntN(start[from+1]-start[from])
				kind := stack.EdgeTrigger
				switch rng.IntN(10) {
				case 0, 1, 2:
					kind = stack.EdgeData
				case 3:
					kind = stack.EdgeDependency
				}
				a, b := g.Nodes[j].ID, g.Nodes[i].ID
				if rng.IntN(50) == 0 {
					a, b = b, a
				}
				g.Edges = append(g.Edges, stack.Edge{From: a, To: b, Kind: kind, Label: labels[rng.IntN(len(labels))]})
			}
		}
	}
	return g
}
