package plan_test

import (
	"fmt"
	"os"

	"github.com/stacklab/stacklab/internal/plan"
	"github.com/stacklab/stacklab/internal/stack"
)

func ExampleDiff() {
	deployed := &stack.Stack{Resources: []*stack.Resource{
		{ID: "Uploads", Type: "AWS::S3::Bucket", Properties: map[string]any{"BucketName": "uploads-a"}},
		{ID: "Resize", Type: "AWS::Serverless::Function", Properties: map[string]any{
			"MemorySize":  128.0,
			"Environment": map[string]any{"Variables": map[string]any{"SIZE": "256"}},
		}},
		{ID: "Jobs", Type: "AWS::SQS::Queue"},
	}}
	desired := &stack.Stack{Resources: []*stack.Resource{
		{ID: "Uploads", Type: "AWS::S3::Bucket", Properties: map[string]any{"BucketName": "uploads-b"}},
		{ID: "Resize", Type: "AWS::Serverless::Function", Properties: map[string]any{
			"MemorySize":  "512", // quoted in YAML: still a number
			"Environment": map[string]any{"Variables": map[string]any{"SIZE": 256.0, "OUT": map[string]any{"Ref": "Thumbs"}}},
		}},
		{ID: "Thumbs", Type: "AWS::S3::Bucket"},
	}}

	cs := plan.Diff(deployed, desired)
	if err := plan.WriteTable(os.Stdout, cs); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ACTION   ID       TYPE                       DETAILS
	// replace  Uploads  AWS::S3::Bucket            ! BucketName: uploads-a -> uploads-b (forces replacement)
	// modify   Resize   AWS::Serverless::Function  + Environment.Variables.OUT: !Ref Thumbs
	//                                              ~ MemorySize: 128 -> 512
	// add      Thumbs   AWS::S3::Bucket
	// remove   Jobs     AWS::SQS::Queue
	//
	// 1 to add, 1 to modify, 1 to replace, 1 to remove
}
