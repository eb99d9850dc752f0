package stack_test

import (
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/template"
)

// build loads and builds a template, failing on the loader's errors.
func build(t *testing.T, src string) (*stack.Stack, diag.List) {
	t.Helper()
	tmpl, diags := template.Load("t.yaml", []byte(src), template.Options{})
	if tmpl == nil || diags.HasErrors() {
		t.Fatalf("template: %v", diags)
	}
	return stack.Build(tmpl)
}

// hasError reports whether diags has an error on resource res, property
// prop, whose message and fix contain the parts.
func hasError(diags diag.List, res, prop string, parts ...string) bool {
	for _, d := range diags {
		if d.Severity != diag.Error || d.Resource != res || d.Property != prop {
			continue
		}
		all := true
		for _, p := range parts {
			all = all && strings.Contains(d.Message+" "+d.Fix, p)
		}
		if all {
			return true
		}
	}
	return false
}

const invokeConfigHead = `Transform: AWS::Serverless-2016-10-31
Resources:
  Failed: {Type: AWS::SQS::Queue}
  Done: {Type: AWS::SNS::Topic}
  Bus: {Type: AWS::Events::EventBus, Properties: {Name: ops}}
  Archive: {Type: AWS::S3::Bucket}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: x, Handler: h, Runtime: python3.12, FunctionName: fn}
  Plain:
    Type: AWS::Lambda::Function
    Properties: {Code: {ZipFile: x}, Handler: h, Runtime: python3.12, Role: r}
`

// The CloudFormation resource configures its function as SAM's property
// does, with the destinations' kinds found from what they name.
func TestEventInvokeConfigResource(t *testing.T) {
	s, diags := build(t, invokeConfigHead+`
  FnConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Fn
      Qualifier: $LATEST
      MaximumRetryAttempts: 1
      MaximumEventAgeInSeconds: 300
      DestinationConfig:
        OnSuccess: {Destination: !Ref Done}
        OnFailure: {Destination: !GetAtt Failed.Arn}
  PlainConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: Plain
      Qualifier: live
      MaximumRetryAttempts: 0
      DestinationConfig:
        OnSuccess: {Destination: arn:aws:events:us-east-1:123456789012:event-bus/ops}
        OnFailure: {Destination: arn:aws:s3:::archive}
`)
	if diags.HasErrors() {
		t.Fatalf("findings: %v", diags)
	}
	byID := map[string]*stack.Function{}
	for _, f := range s.Functions {
		byID[f.ID] = f
	}
	e := byID["Fn"].EventInvokeConfig
	if e == nil || *e.MaximumRetryAttempts != 1 || *e.MaximumEventAgeInSeconds != 300 ||
		e.OnSuccess == nil || e.OnSuccess.Type != "SNS" || e.OnSuccess.Target.Ref != "Done" ||
		e.OnFailure == nil || e.OnFailure.Type != "SQS" || e.OnFailure.Target.Ref != "Failed" {
		t.Errorf("Fn's config: %+v, want 1 retry, 300 s, SNS Done on success, SQS Failed on failure", e)
	}
	p := byID["Plain"].EventInvokeConfig
	if p == nil || *p.MaximumRetryAttempts != 0 || p.MaximumEventAgeInSeconds != nil ||
		p.OnSuccess == nil || p.OnSuccess.Type != "EventBridge" || p.OnFailure == nil || p.OnFailure.Type != "S3Bucket" {
		t.Errorf("Plain's config: %+v, want 0 retries, EventBridge on success, S3Bucket on failure", p)
	}
	if e != nil && e.Resource != "FnConfig" || p != nil && p.Resource != "PlainConfig" {
		t.Errorf("configs' resources: %q and %q, want FnConfig and PlainConfig", e.Resource, p.Resource)
	}
	edges := map[string]bool{}
	for _, ed := range s.Graph.Edges {
		edges[ed.From+" -> "+ed.To+" "+ed.Label] = true
	}
	for _, want := range []string{"Fn -> Done on success", "Fn -> Failed on failure"} {
		if !edges[want] {
			t.Errorf("graph: no edge %q in %v", want, edges)
		}
	}
	for _, d := range diags {
		if d.Resource == "FnConfig" || d.Resource == "PlainConfig" {
			t.Errorf("finding on the config resource: %v (it runs)", d)
		}
	}
}

// The resource may come before its function, and name it by name or ARN;
// a function of another stack, or one given as a parameter, is not an
// error, nor is a destination known only when the stack is deployed.
func TestEventInvokeConfigResourceNames(t *testing.T) {
	s, diags := build(t, `Transform: AWS::Serverless-2016-10-31
Parameters:
  OtherFn: {Type: String}
  FailedArn: {Type: String}
  Region: {Type: String}
Resources:
  EarlyConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: {FunctionName: !Ref Late, Qualifier: "1", MaximumRetryAttempts: 1}
  ByARN:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: arn:aws:lambda:us-east-1:123456789012:function:named-fn
      Qualifier: $LATEST
      MaximumEventAgeInSeconds: 3600
      DestinationConfig:
        OnSuccess: {Destination: !Ref FailedArn}
        OnFailure: {Destination: !Sub "arn:aws:sqs:${Region}:123456789012:failed"}
  Elsewhere:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: {FunctionName: not-in-this-stack, Qualifier: $LATEST}
  FromParam:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: {FunctionName: !Ref OtherFn, Qualifier: $LATEST}
  Late:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: x, Handler: h, Runtime: python3.12}
  Named:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: x, Handler: h, Runtime: python3.12, FunctionName: named-fn}
`)
	if diags.HasErrors() {
		t.Fatalf("findings: %v", diags)
	}
	byID := map[string]*stack.Function{}
	for _, f := range s.Functions {
		byID[f.ID] = f
	}
	if e := byID["Late"].EventInvokeConfig; e == nil || e.Resource != "EarlyConfig" || *e.MaximumRetryAttempts != 1 {
		t.Errorf("Late's config: %+v, want EarlyConfig's 1 retry", e)
	}
	e := byID["Named"].EventInvokeConfig
	if e == nil || e.Resource != "ByARN" || *e.MaximumEventAgeInSeconds != 3600 {
		t.Fatalf("Named's config: %+v, want ByARN's 3600 s", e)
	}
	if e.OnSuccess == nil || e.OnSuccess.Type != "" || e.OnFailure == nil || e.OnFailure.Type != "" {
		t.Errorf("Named's destinations %+v and %+v, want no Type: they are known only when deployed", e.OnSuccess, e.OnFailure)
	}
	warned := map[string]bool{}
	for _, d := range diags {
		if d.Resource == "ByARN" && strings.Contains(d.Message, "does not deliver to it") {
			warned[d.Property] = true
		}
	}
	for _, prop := range []string{"DestinationConfig.OnSuccess.Destination", "DestinationConfig.OnFailure.Destination"} {
		if !warned[prop] {
			t.Errorf("findings %v, want a warning on ByARN %s", diags, prop)
		}
	}
}

func TestEventInvokeConfigResourceErrors(t *testing.T) {
	for _, tt := range []struct {
		name, props string
		prop        string
		parts       []string
	}{
		{"no such function", `{FunctionName: !Ref Failed, Qualifier: $LATEST}`, "FunctionName", []string{`"Failed" is not a function of this template`, "!Ref MyFunction"}},
		{"configured twice", `{FunctionName: !Ref Fn, Qualifier: $LATEST}
  Again:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: {FunctionName: fn, Qualifier: $LATEST, MaximumRetryAttempts: 2}`, "FunctionName", []string{"already has an event invoke configuration (resource Cfg)", "already exists", "keep one"}},
		{"no qualifier", `{FunctionName: !Ref Fn}`, "Qualifier", []string{"Qualifier", "$LATEST"}},
		{"bad qualifier", `{FunctionName: !Ref Fn, Qualifier: "v 1"}`, "Qualifier", []string{`"v 1" is not a function version or alias`}},
		{"retries out of range", `{FunctionName: !Ref Fn, Qualifier: $LATEST, MaximumRetryAttempts: 3}`, "MaximumRetryAttempts", []string{"outside 0..2"}},
		{"age out of range", `{FunctionName: !Ref Fn, Qualifier: $LATEST, MaximumEventAgeInSeconds: 30}`, "MaximumEventAgeInSeconds", []string{"outside 60..21600"}},
		{"destination of no kind", `{FunctionName: !Ref Fn, Qualifier: $LATEST, DestinationConfig: {OnFailure: {Destination: !Ref Plain2}}}
  Plain2: {Type: AWS::DynamoDB::Table, Properties: {KeySchema: [{AttributeName: k, KeyType: HASH}], AttributeDefinitions: [{AttributeName: k, AttributeType: S}], BillingMode: PAY_PER_REQUEST}}`,
			"DestinationConfig.OnFailure.Destination", []string{"is not a destination of async invocations", "queue, topic, function"}},
		{"destination missing", `{FunctionName: !Ref Fn, Qualifier: $LATEST, DestinationConfig: {OnSuccess: {}}}`, "DestinationConfig.OnSuccess.Destination", []string{"missing required property Destination"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := build(t, invokeConfigHead+"  Cfg:\n    Type: AWS::Lambda::EventInvokeConfig\n    Properties: "+tt.props+"\n")
			res := "Cfg"
			if tt.name == "configured twice" {
				res = "Again"
			}
			if !hasError(diags, res, tt.prop, tt.parts...) {
				t.Errorf("findings %v, want an error on %s %s with %q", diags, res, tt.prop, tt.parts)
			}
		})
	}
	// SAM's property and the resource on one function.
	_, diags := build(t, strings.Replace(invokeConfigHead, "FunctionName: fn}", "FunctionName: fn, EventInvokeConfig: {MaximumRetryAttempts: 0}}", 1)+`
  Cfg:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: {FunctionName: !Ref Fn, Qualifier: $LATEST}
`)
	if !hasError(diags, "Cfg", "FunctionName", "its EventInvokeConfig property") {
		t.Errorf("SAM property and resource: findings %v, want an error naming both", diags)
	}
}

// ScalingConfig.MaximumConcurrency of SQS events and mappings.
func TestSQSScalingConfig(t *testing.T) {
	src := `Transform: AWS::Serverless-2016-10-31
Resources:
  Q: {Type: AWS::SQS::Queue}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: x
      Handler: h
      Runtime: python3.12
      Events:
        Work: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn, ScalingConfig: {MaximumConcurrency: %s}}}
  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref Fn, EventSourceArn: !GetAtt Q.Arn, ScalingConfig: {MaximumConcurrency: %s}}
`
	s, diags := build(t, strings.Replace(strings.Replace(src, "%s", "25", 1), "%s", "2", 1))
	if diags.HasErrors() {
		t.Fatalf("findings: %v", diags)
	}
	if got := s.Functions[0].Events[0].MaximumConcurrency; got != 25 {
		t.Errorf("event's MaximumConcurrency = %d, want 25", got)
	}
	if got := s.Mappings[0].MaximumConcurrency; got != 2 {
		t.Errorf("mapping's MaximumConcurrency = %d, want 2", got)
	}
	for _, tt := range []struct {
		event, mapping string
		parts          []string // of both errors
	}{
		{"1", "1001", []string{"outside 2..1000", "2 to 1000"}},
		{"many", "2.5", []string{"should be an integer", "2 to 1000"}},
	} {
		_, diags = build(t, strings.Replace(strings.Replace(src, "%s", tt.event, 1), "%s", tt.mapping, 1))
		if !hasError(diags, "Fn", "Events.Work.Properties.ScalingConfig.MaximumConcurrency", tt.parts...) {
			t.Errorf("MaximumConcurrency %s: findings %v, want an error on Events.Work.Properties.ScalingConfig.MaximumConcurrency with %q", tt.event, diags, tt.parts)
		}
		if !hasError(diags, "M", "ScalingConfig.MaximumConcurrency", tt.parts...) {
			t.Errorf("MaximumConcurrency %s: findings %v, want an error on ScalingConfig.MaximumConcurrency with %q", tt.mapping, diags, tt.parts)
		}
	}
}
