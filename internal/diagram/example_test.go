package diagram_test

import (
	"fmt"
	"os"

	"github.com/stacklab/stacklab/internal/diagram"
	"github.com/stacklab/stacklab/internal/stack"
)

func ExampleRender() {
	g := stack.Graph{
		Nodes: []stack.Node{
			{ID: "Uploads", Type: "AWS::S3::Bucket", Kind: stack.KindBucket, Label: "Uploads", Runs: true},
			{ID: "Resize", Type: "AWS::Serverless::Function", Kind: stack.KindFunction, Label: "Resize", Runs: true},
			{ID: "ResizeRole", Type: "AWS::IAM::Role", Kind: stack.KindOther, Label: "ResizeRole", Runs: false},
		},
		Edges: []stack.Edge{
			{From: "Uploads", To: "Resize", Kind: stack.EdgeTrigger, Label: "s3:ObjectCreated:*"},
			{From: "Resize", To: "ResizeRole", Kind: stack.EdgeDependency},
		},
	}
	if err := diagram.Render(os.Stdout, g, diagram.Mermaid); err != nil {
		panic(err)
	}
	// Output:
	// flowchart LR
	//   subgraph group_function ["Functions"]
	//     Resize("Resize")
	//   end
	//   subgraph group_bucket ["Buckets"]
	//     Uploads[("Uploads")]
	//   end
	//   subgraph group_other ["Other resources"]
	//     ResizeRole["ResizeRole"]
	//   end
	//   Resize -.-> ResizeRole
	//   Uploads -->|"s3:ObjectCreated:*"| Resize
	//   classDef kind_function fill:#fff1e6,stroke:#d9480f,color:#1f2328
	//   classDef kind_bucket fill:#eaf5e4,stroke:#2f7d1f,color:#1f2328
	//   classDef notrun fill:#f5f6f7,stroke:#a8afb8,color:#7b848f,stroke-dasharray:4 3
	//   class Resize kind_function
	//   class Uploads kind_bucket
	//   class ResizeRole notrun
}

func ExampleParseFormat() {
	f, err := diagram.ParseFormat("png")
	fmt.Println(f == "", err)
	f, _ = diagram.ParseFormat("SVG")
	fmt.Println(f)
	// Output:
	// true unknown diagram format "png": want svg, mermaid, dot or json
	// svg
}
