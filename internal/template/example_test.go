package template_test

import (
	"fmt"

	"github.com/stacklab/stacklab/internal/template"
)

func ExampleLoad() {
	src := []byte(`
Parameters:
  Prefix: {Type: String, Default: photos}
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${Prefix}-${AWS::Region}'
  Thumbs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Join ['-', [!Ref Prefix, thumbs]]
      Tags: [{Key: bucket, Value: !Ref Uploadz}]
`)
	tmpl, diags := template.Load("template.yaml", src, template.Options{Region: "eu-west-1"})
	fmt.Println(tmpl.Resource("Uploads").Properties.Get("BucketName").Scalar)
	fmt.Println(tmpl.Resource("Thumbs").Properties.Get("QueueName").Scalar)
	for _, d := range diags {
		fmt.Println(d)
	}
	// Output:
	// photos-eu-west-1
	// photos-thumbs
	// template.yaml:13:35: error: Thumbs.Tags[0].Value: Ref to unknown parameter or resource "Uploadz" (fix: declare it under Parameters or Resources (did you mean "Uploads"?))
}
