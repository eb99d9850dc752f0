package template_test

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/template"
)

// parseSeeds are realistic template snippets, and awkward ones, that seed
// FuzzParse and FuzzLoad.
var parseSeeds = []string{
	// A small SAM template with short-form tags.
	`AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${AWS::StackName}-${Stage}-data'
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      MemorySize: !If [IsProd, 1024, 128]
      Environment:
        Variables:
          BUCKET: !Ref Bucket
          ARN: !GetAtt Bucket.Arn
      Events:
        Up:
          Type: S3
          Properties: {Bucket: !Ref Bucket, Events: s3:ObjectCreated:*}
Outputs:
  Arn: {Value: !GetAtt Fn.Arn, Export: {Name: !Sub '${AWS::StackName}-arn'}}
`,
	// Short forms of every function.
	`Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
      Subnets: !Cidr ["10.0.0.0/16", 6, 8]
      First: !Select [0, !GetAZs ""]
      Parts: !Split [",", "a,b,c"]
      Joined: !Join ["-", [a, b, !Ref "AWS::Region"]]
      Encoded: !Base64 "hello"
      Imported: !ImportValue shared-vpc
      Found: !FindInMap [Map, !Ref "AWS::Region", Ami]
      Len: !Length [1, 2, 3]
      Json: !ToJsonString {a: 1, b: [true, null]}
      Cond: !Condition Always
      Not: !Not [!Equals [a, b]]
      And: !And [!Equals [a, a], !Or [!Equals [1, 2], !Equals [3, 3]]]
`,
	// Aliases, anchors and merge keys.
	`Globals:
  Function: &defaults
    Timeout: 30
    Runtime: nodejs20.x
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      <<: *defaults
      Handler: a.handler
      CodeUri: a/
  B:
    Type: AWS::Serverless::Function
    Properties:
      <<: [*defaults, {MemorySize: 256}]
      Handler: b.handler
      CodeUri: b/
      Tags: &tags {team: core}
      More: *tags
`,
	// JSON with tabs, which YAML refuses.
	"{\n\t\"Resources\": {\n\t\t\"Q\": {\n\t\t\t\"Type\": \"AWS::SQS::Queue\",\n\t\t\t\"Properties\": {\"DelaySeconds\": 5, \"Fifo\": false, \"N\": null}\n\t\t}\n\t}\n}\n",
	`{"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-t"}}}}, "Outputs": {}}`,
	// Duplicate keys, in YAML and in JSON.
	"Resources:\n  A: {Type: AWS::SNS::Topic}\n  A: {Type: AWS::SQS::Queue}\n",
	"{\"Resources\": {\"A\": {\"Type\": \"AWS::SNS::Topic\"}, \"A\": {\"Type\": \"AWS::SNS::Topic\"}}}",
	// Deeply nested lists.
	"Resources:\n  X:\n    Type: AWS::SNS::Topic\n    Properties:\n      Deep: " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n",
	"Resources:\n  X:\n    Type: AWS::SNS::Topic\n    Properties:\n      Deep:\n" + deepBlockList(40),
	// Fn::ForEach with AWS::LanguageExtensions.
	`Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList, Default: "a,b-c,d"}
Resources:
  Fn::ForEach::Topics:
    - Name
    - !Ref Names
    - "Topic&{Name}":
        Type: AWS::SNS::Topic
        Properties:
          TopicName: !Sub "${Name}-topic"
          Ref: !Ref Name
Outputs:
  Fn::ForEach::Out:
    - Name
    - [x, y]
    - "Out${Name}": {Value: !Ref Name}
`,
	// Scalars YAML reads as something else.
	"Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties: {Yes: yes, On: on, Oct: 0o17, Hex: 0x1F, Inf: .inf, Nan: .NaN, Date: 2024-01-01, Bin: !!binary aGk=}\n",
	// Unknown tags, bad syntax, odd documents.
	"Resources: !Nope {}\n",
	"Resources:\n  A: [\n",
	"---\n...\n",
	"- a\n- b\n",
	"\ufeffResources: {}\n",
	"? [complex, key]\n: value\n",
	"a: &x [*x]\n",
	"a: &a [1, 2]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nd: [*c, *c, *c]\n",
	"Resources: {A: {Type: AWS::SNS::Topic, Properties: {T: !GetAtt , U: !Ref , V: !Sub }}}\n",
	"Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Condition: C\nConditions:\n  C: !Condition D\n  D: !Condition C\n",
	"Resources:\n  A:\n    Type: AWS::SNS::Topic\n    DependsOn: B\n  B:\n    Type: AWS::SNS::Topic\n    Properties: {X: !GetAtt A.TopicName}\n",
	"Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      X: '{{resolve:ssm:/app/key}}'\n",
}

func deepBlockList(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat("  ", i+3))
		b.WriteString("-\n")
	}
	b.WriteString(strings.Repeat("  ", n+3))
	b.WriteString("- leaf\n")
	return b.String()
}

// FuzzParse checks that Parse never panics or hangs, and that every value
// and key it returns has a position in the file.
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		defer watchdog()()
		v, diags := template.Parse("fuzz.yaml", src)
		checkDiagnostics(t, diags, false)
		if v == nil {
			if !diags.HasErrors() {
				t.Fatalf("Parse returned no value and no error")
			}
			return
		}
		walk(v, "", func(v *template.Value, path string) {
			if v == nil {
				t.Fatalf("%s: nil value", path)
			}
			if v.Pos.Line < 1 || v.Pos.File != "fuzz.yaml" {
				t.Fatalf("%s: %s value has position %+v, want a line >= 1 in fuzz.yaml", path, v.Kind, v.Pos)
			}
			for _, f := range v.Fields {
				if f.KeyPos.Line < 1 {
					t.Fatalf("%s.%s: key has position %+v, want a line >= 1", path, f.Key, f.KeyPos)
				}
			}
		})
	})
}

// FuzzLoad checks that Load never panics on arbitrary text, that its
// diagnostics are sorted and complete, and that it returns a Template
// whenever there is no error.
func FuzzLoad(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		defer watchdog()()
		tmpl, diags := template.Load("fuzz.yaml", []byte(src), template.Options{})
		checkDiagnostics(t, diags, true)
		if tmpl == nil && !diags.HasErrors() {
			t.Fatalf("Load returned no template and no error")
		}
	})
}

// intrinsicsSkeleton is a template with something for every intrinsic
// function to refer to. FuzzResolveIntrinsics puts the fuzzed text in it,
// as a YAML flow value (%[1]s) and as a Fn::Sub string (%[2]s, quoted).
const intrinsicsSkeleton = `AWSTemplateFormatVersion: '2010-09-09'
Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Parameters:
  Stage: {Type: String, Default: prod, AllowedValues: [dev, prod]}
  Names: {Type: CommaDelimitedList, Default: "a,b-c,d"}
  Count: {Type: Number, Default: 3}
  Block: {Type: String, Default: 10.0.0.0/16}
  Unset: {Type: String}
Mappings:
  Env:
    prod: {Mem: 512, Zones: [a, b], Name: big}
    dev: {Mem: 128, Zones: [c], Name: small}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  Maybe: !Equals [!Ref Unset, x]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '${AWS::StackName}-${Stage}'
  Table:
    Type: AWS::DynamoDB::Table
    Condition: IsProd
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Thing:
    Type: Custom::Thing
    Properties:
      Flow: %[1]s
      Sub: !Sub %[2]s
      SubVars: {"Fn::Sub": [%[2]s, {Var: !Ref Stage, Arn: !GetAtt Bucket.Arn}]}
      Nested:
        Fn::If: [Maybe, %[1]s, {"Fn::Join": ["", [%[2]s, !Ref Stage]]}]
  Fn::ForEach::Loop:
    - Item
    - !Ref Names
    - "Thing&{Item}":
        Type: Custom::Thing
        Properties:
          Name: !Sub '${Item}-${Stage}'
          Value: %[1]s
Outputs:
  Out:
    Value: %[1]s
`

// FuzzResolveIntrinsics checks the intrinsic function resolver on fuzzed
// arguments: it must never panic, and its findings must be complete.
func FuzzResolveIntrinsics(f *testing.F) {
	for _, s := range []string{
		`x`,
		`!Ref Stage`,
		`!Ref AWS::NoValue`,
		`!Ref Names`,
		`{Ref: Bucket}`,
		`!GetAtt Bucket.Arn`,
		`!GetAtt [Queue, QueueUrl]`,
		`!Sub "${Stage}-${Bucket.Arn}-${!Literal}-${AWS::Region}"`,
		`!Sub ["${A}-${B}", {A: !Ref Stage, B: !Select [1, !Ref Names]}]`,
		`!Join [",", !Ref Names]`,
		`!Join ["", [a, !Ref Bucket, c]]`,
		`!Select [2, !Split [",", "a,b,c"]]`,
		`!Select [99999999999999999999, [a]]`,
		`!Select [-1, [a]]`,
		`!Split ["", "abc"]`,
		`!If [IsProd, !Ref Stage, !Ref AWS::NoValue]`,
		`!If [Maybe, a, b]`,
		`!FindInMap [Env, !Ref Stage, Mem]`,
		`!FindInMap [Env, nope, Mem, {DefaultValue: 1}]`,
		`!Cidr [!Ref Block, 6, 8]`,
		`!Cidr ["10.0.0.0/16", 256, 8]`,
		`!Cidr ["10.0.0.0/16", 1000000000, 1]`,
		`!Cidr ["2001:db8::/32", 16, 96]`,
		`!Base64 !Sub "${Stage}"`,
		`!GetAZs ""`,
		`!GetAZs !Ref AWS::Region`,
		`!Length !Ref Names`,
		`!ToJsonString {a: !Ref Stage, b: [1, 2]}`,
		`!ImportValue !Sub "${Stage}-vpc"`,
		`{"Fn::ForEach::Inner": [X, [p, q], {"K${X}": !Ref X}]}`,
		`{"Fn::ForEach::Inner": [X, !Split [",", "1,2,3"], {"Fn::ForEach::Deeper": [Y, [u, v], {"${X}${Y}": x}]}]}`,
		`{"Fn::Transform": {Name: AWS::Include}}`,
		`{"Fn::Nope": 1}`,
		`${Stage}`,
		`{{resolve:ssm:/app/key}}`,
		`[!Ref Unset, !Equals [a, a], !Condition IsProd]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		defer watchdog()()
		src := fmt.Sprintf(intrinsicsSkeleton, s, strconv.Quote(s))
		tmpl, diags := template.Load("fuzz.yaml", []byte(src), template.Options{})
		checkDiagnostics(t, diags, true)
		if tmpl == nil && !diags.HasErrors() {
			t.Fatalf("Load returned no template and no error")
		}
	})
}

// TestIntrinsicsSkeleton checks that the fuzzing skeleton is itself a valid
// template, so that the fuzzer starts from something that resolves.
func TestIntrinsicsSkeleton(t *testing.T) {
	src := fmt.Sprintf(intrinsicsSkeleton, "x", strconv.Quote("${Stage}"))
	tmpl, diags := template.Load("skeleton.yaml", []byte(src), template.Options{})
	for _, d := range diags {
		if d.Severity == diag.Error {
			t.Errorf("skeleton: %s", d)
		}
	}
	if tmpl == nil {
		t.Fatal("skeleton: Load returned no template")
	}
	if got, want := len(tmpl.Resources), 7; got != want {
		t.Errorf("skeleton: got %d resources, want %d", got, want)
	}
}

// hangAfter is how long one input may take while fuzzing before it counts
// as a hang. Inputs are small; the slowest legitimate one (a template that
// uses up the resolver's budget) takes about a second.
const hangAfter = 10 * time.Second

// watchdog makes a fuzzing worker crash, so that the fuzzer keeps the input
// in testdata/fuzz, when one input runs for longer than hangAfter. It does
// nothing outside fuzzing (go test without -fuzz, where no test asserts a
// duration). Use it as defer watchdog()().
func watchdog() (stop func()) {
	if f := flag.Lookup("test.fuzz"); f == nil || f.Value.String() == "" {
		return func() {}
	}
	timer := time.AfterFunc(hangAfter, func() {
		panic(fmt.Sprintf("hang: one input has run for more than %v", hangAfter))
	})
	return func() { timer.Stop() }
}

// checkDiagnostics checks that every diagnostic is complete and, when
// sorted is true, that the list is in diag.List.Sort order.
func checkDiagnostics(t *testing.T, diags diag.List, sorted bool) {
	t.Helper()
	for i, d := range diags {
		if d.Message == "" {
			t.Fatalf("diagnostic %d has no message: %+v", i, d)
		}
		if d.File == "" {
			t.Fatalf("diagnostic %d has no file name: %s", i, d)
		}
		if d.Severity != diag.Error && d.Severity != diag.Warning {
			t.Fatalf("diagnostic %d has severity %q: %s", i, d.Severity, d)
		}
		if sorted && i > 0 && diagLess(d, diags[i-1]) {
			t.Fatalf("diagnostics are not sorted: %s comes after %s", d, diags[i-1])
		}
	}
}

func diagLess(a, b diag.Diagnostic) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.Col != b.Col {
		return a.Col < b.Col
	}
	return a.Message < b.Message
}

// walk calls fn for v and every value inside it.
func walk(v *template.Value, path string, fn func(*template.Value, string)) {
	fn(v, path)
	if v == nil {
		return
	}
	for i, it := range v.Items {
		walk(it, path+"["+strconv.Itoa(i)+"]", fn)
	}
	for _, f := range v.Fields {
		walk(f.Value, path+"."+f.Key, fn)
	}
}
