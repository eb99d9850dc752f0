package template

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/diag"
)

// load resolves src and returns the template and its errors as strings.
func load(t *testing.T, src string, opts Options) (*Template, []string) {
	t.Helper()
	tmpl, diags := Load("t.yaml", []byte(src), opts)
	var errs []string
	for _, d := range diags {
		if d.Severity == diag.Error {
			errs = append(errs, d.String())
		}
	}
	return tmpl, errs
}

// prop returns a resolved property of resource R as JSON.
func prop(t *testing.T, tmpl *Template, name string) string {
	t.Helper()
	r := tmpl.Resource("R")
	if r == nil || r.Properties == nil {
		t.Fatalf("no resource R with properties")
	}
	b, err := json.Marshal(r.Properties.Get(name).Interface())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const head = `
Parameters:
  Env: {Type: String, Default: prod, AllowedValues: [dev, prod]}
  Mem: {Type: Number, Default: 512}
  Subnets: {Type: CommaDelimitedList, Default: "a, b,c"}
  NoDefault: {Type: String}
Mappings:
  Sizes:
    prod: {Mem: 1024, Name: big}
    dev: {Mem: 128, Name: small}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Equals [a, a]]
  Unknown: !Equals [!Ref NoDefault, x]
Resources:
  Other:
    Type: AWS::SQS::Queue
  R:
    Type: AWS::Test::Thing
    Properties:
      V: `

func TestIntrinsics(t *testing.T) {
	tests := []struct {
		name, value, want string
		opts              Options
	}{
		{"ref parameter", "!Ref Env", `"prod"`, Options{}},
		{"ref parameter override", "!Ref Env", `"dev"`, Options{Params: map[string]string{"Env": "dev"}}},
		{"ref list parameter", "!Ref Subnets", `["a","b","c"]`, Options{}},
		{"ref pseudo", "!Ref AWS::Region", `"eu-west-1"`, Options{Region: "eu-west-1"}},
		{"ref resource stays symbolic", "!Ref Other", `{"Ref":"Other"}`, Options{}},
		{"ref parameter without value stays symbolic", "!Ref NoDefault", `{"Ref":"NoDefault"}`, Options{}},
		{"sub", "!Sub '${Env}-${AWS::AccountId}-x'", `"prod-123456789012-x"`, Options{}},
		{"sub literal", "!Sub '${!Literal}-${Env}'", `"${Literal}-prod"`, Options{}},
		{"sub variables", "!Sub ['${A}/${Env}', {A: !Ref Mem}]", `"512/prod"`, Options{}},
		{"sub resource attribute stays", "!Sub '${Other.Arn}/${Env}'", `{"Fn::Sub":"${Other.Arn}/prod"}`, Options{}},
		{"getatt dot form", "!GetAtt Other.Arn", `{"Fn::GetAtt":["Other","Arn"]}`, Options{}},
		{"join", "!Join ['-', [a, !Ref Env, !Ref Mem]]", `"a-prod-512"`, Options{}},
		{"join list parameter", "!Join [':', !Ref Subnets]", `"a:b:c"`, Options{}},
		{"select", "!Select [1, !Ref Subnets]", `"b"`, Options{}},
		{"split", "!Split [',', 'x,y']", `["x","y"]`, Options{}},
		{"select split", "!Select [0, !Split ['/', 'p/q']]", `"p"`, Options{}},
		{"if true", "!If [IsProd, yes, no]", `"yes"`, Options{}},
		{"if false", "!If [IsDev, yes, no]", `"no"`, Options{}},
		{"if and", "!If [Both, 1, 2]", `1`, Options{}},
		{"if unknown keeps both", "!If [Unknown, a, b]", `{"Fn::If":["Unknown","a","b"]}`, Options{}},
		{"findinmap", "!FindInMap [Sizes, !Ref Env, Mem]", `1024`, Options{}},
		{"findinmap dev", "!FindInMap [Sizes, !Ref Env, Name]", `"small"`, Options{Params: map[string]string{"Env": "dev"}}},
		{"base64", "!Base64 hello", `"aGVsbG8="`, Options{}},
		{"getazs", "!GetAZs ''", `["us-east-1a","us-east-1b","us-east-1c"]`, Options{}},
		{"cidr", "!Cidr ['10.0.0.0/16', 3, 8]", `["10.0.0.0/24","10.0.1.0/24","10.0.2.0/24"]`, Options{}},
		{"cidr ipv6", "!Cidr ['2001:db8::/56', 2, 64]", `["2001:db8::/64","2001:db8:0:1::/64"]`, Options{}},
		{"importvalue supplied", "!ImportValue SharedVpc", `"vpc-1"`, Options{Values: map[string]string{"SharedVpc": "vpc-1"}}},
		{"importvalue missing stays", "!ImportValue SharedVpc", `{"Fn::ImportValue":"SharedVpc"}`, Options{}},
		{"dynamic reference", "'{{resolve:ssm:/app/key}}'", `"s3cr3t"`, Options{Values: map[string]string{"/app/key": "s3cr3t"}}},
		{"novalue in list", "[a, !Ref AWS::NoValue, b]", `["a","b"]`, Options{}},
		{"long form", `{"Fn::Join": ["", [{"Ref": "Env"}, "!"]]}`, `"prod!"`, Options{}},
		{"length", "{'Fn::Length': [a, b, c]}", `3`, Options{}},
		{"tojsonstring", "{'Fn::ToJsonString': {a: !Ref Env}}", `"{\"a\":\"prod\"}"`, Options{}},
		{"nested", "!Sub ['${X}', {X: !Select [2, !Split [',', !Join [',', [p, q, !Ref Env]]]]}]", `"prod"`, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, errs := load(t, head+tt.value+"\n", tt.opts)
			if len(errs) > 0 {
				t.Fatalf("unexpected errors: %v", errs)
			}
			if got := prop(t, tmpl, "V"); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNoValueDropsProperty(t *testing.T) {
	tmpl, errs := load(t, head+"!If [IsDev, x, !Ref AWS::NoValue]\n      W: 1\n", Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if v := tmpl.Resource("R").Properties.Get("V"); v != nil {
		t.Errorf("V = %v, want the property removed", v.Interface())
	}
}

// TestErrors checks that each broken template gets one error at the right
// place, naming the resource and property, with a fix.
func TestErrors(t *testing.T) {
	tests := []struct {
		name, src string
		opts      Options
		pos       string // line:col
		want      string // substring of the message
	}{
		{"unknown ref", head + "!Ref Nope\n", Options{}, "22:10", `Ref to unknown parameter or resource "Nope"`},
		{"ref typo suggests", head + "!Ref Othr\n", Options{}, "22:10", `did you mean "Other"?`},
		{"getatt unknown resource", head + "!GetAtt Nope.Arn\n", Options{}, "22:10", `Fn::GetAtt of unknown resource "Nope"`},
		{"getatt unknown attribute", head + "!GetAtt Other.Nope\n", Options{}, "22:10", `Other (AWS::SQS::Queue) has no attribute "Nope"`},
		{"sub unknown variable", head + "!Sub '${Nope}'\n", Options{}, "22:10", "Fn::Sub refers to unknown variable ${Nope}"},
		{"sub list parameter", head + "!Sub '${Subnets}'\n", Options{}, "22:10", "refers to list parameter"},
		{"select out of range", head + "!Select [5, [a, b]]\n", Options{}, "22:19", "Fn::Select index 5 is out of range"},
		{"findinmap missing key", head + "!FindInMap [Sizes, test, Mem]\n", Options{}, "22:10", `mapping Sizes has no key "test"`},
		{"if unknown condition", head + "!If [Nope, a, b]\n", Options{}, "22:15", `unknown condition "Nope"`},
		{"unknown function", head + "{'Fn::Nope': 1}\n", Options{}, "22:10", "unknown intrinsic function Fn::Nope"},
		{"unknown tag", head + "!Nope x\n", Options{}, "22:10", "unknown tag !Nope"},
		{"parameter not allowed", head + "x\n", Options{Params: map[string]string{"Env": "test"}}, "3:3", `value "test" of parameter Env is not in AllowedValues`},
		{"parameter not a number", head + "x\n", Options{Params: map[string]string{"Mem": "lots"}}, "4:3", "is not a number"},
		{"unknown --param", head + "x\n", Options{Params: map[string]string{"Nope": "1"}}, "1:1", "--param Nope names a parameter the template does not declare"},
		{"duplicate key", "Resources:\n  A:\n    Type: AWS::SQS::Queue\n  A:\n    Type: AWS::SQS::Queue\n", Options{}, "4:3", `duplicate key "A" (first defined at line 2)`},
		{"bad yaml", "Resources:\n  A: [\n", Options{}, "2:1", "invalid YAML"},
		{"no resources", "Description: x\n", Options{}, "1:1", "no Resources section"},
		{"unknown section", "Resource: {}\nResources:\n  A: {Type: AWS::SQS::Queue}\n", Options{}, "1:1", `unknown top-level section "Resource"`},
		{"no type", "Resources:\n  A:\n    Properties: {}\n", Options{}, "3:5", "the resource has no Type"},
		{"unknown attribute", "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Propertes: {}\n", Options{}, "4:5", `unknown resource attribute "Propertes"`},
		{"dependson unknown", "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    DependsOn: B\n", Options{}, "4:16", `DependsOn names unknown resource "B"`},
		{"cycle", "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: !GetAtt B.QueueName}\n  B:\n    Type: AWS::SQS::Queue\n    DependsOn: A\n", Options{}, "2:3", "cyclic dependency: A -> B -> A"},
		{"self reference", "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: !GetAtt A.QueueName}\n", Options{}, "2:3", "refers to itself"},
		{"condition cycle", "Conditions:\n  A: !Condition B\n  B: !Condition A\nResources:\n  R: {Type: AWS::SQS::Queue}\n", Options{}, "", "refers to itself through Condition"},
		{"foreach without transform", "Resources:\n  Fn::ForEach::Q:\n    - N\n    - [a]\n    - Q${N}: {Type: AWS::SQS::Queue}\n", Options{}, "2:3", "needs the AWS::LanguageExtensions transform"},
		{"globals unsupported", "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Nope: 1\nResources:\n  A: {Type: AWS::SQS::Queue}\n", Options{}, "4:5", `"Nope" is not a supported property of Globals.Function`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Load("t.yaml", []byte(tt.src), tt.opts)
			var found *diag.Diagnostic
			for i, d := range diags {
				if d.Severity == diag.Error && (strings.Contains(d.Message, tt.want) || strings.Contains(d.Fix, tt.want)) {
					found = &diags[i]
					break
				}
			}
			if found == nil {
				t.Fatalf("no error containing %q; got %v", tt.want, diags)
			}
			if tt.pos != "" {
				if got := strings.TrimPrefix(found.Pos.String(), "t.yaml:"); got != tt.pos {
					t.Errorf("error at %s, want %s: %s", got, tt.pos, found)
				}
			}
			if found.Fix == "" {
				t.Errorf("error has no fix: %s", found)
			}
		})
	}
}

func TestWarningsNotErrors(t *testing.T) {
	src := head + "!Ref NoDefault\n      I: !ImportValue Shared\n      D: '{{resolve:ssm:/k}}'\n"
	_, diags := Load("t.yaml", []byte(src), Options{})
	if diags.HasErrors() {
		t.Fatalf("want only warnings, got %v", diags)
	}
	var msgs []string
	for _, d := range diags {
		msgs = append(msgs, d.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"parameter NoDefault has no value", `Fn::ImportValue "Shared" has no value here`, "dynamic reference {{resolve:ssm:/k}} has no value here"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing warning %q in:\n%s", want, all)
		}
	}
}

func TestConditionsAndInactiveResources(t *testing.T) {
	src := `
Parameters:
  Env: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Either: !Or [!Condition IsProd, !Condition NotProd]
Resources:
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
  Always:
    Type: AWS::SQS::Queue
    Condition: Either
`
	for _, tt := range []struct {
		env      string
		prodOnly bool
	}{{"dev", false}, {"prod", true}} {
		tmpl, errs := load(t, src, Options{Params: map[string]string{"Env": tt.env}})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if got := tmpl.Resource("ProdOnly").Active; got != tt.prodOnly {
			t.Errorf("Env=%s: ProdOnly active = %v, want %v", tt.env, got, tt.prodOnly)
		}
		if !tmpl.Resource("Always").Active {
			t.Errorf("Env=%s: Always inactive", tt.env)
		}
		if tmpl.Conditions["Either"] != True {
			t.Errorf("Either = %v, want true", tmpl.Conditions["Either"])
		}
	}
}

func TestGlobalsMerge(t *testing.T) {
	src := `
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 30
    Environment:
      Variables: {STAGE: prod, LOG: info}
    Layers: [g1]
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Timeout: 5
      Environment:
        Variables: {LOG: debug}
      Layers: [own]
`
	tmpl, errs := load(t, src, Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got, _ := json.Marshal(tmpl.Resource("F").Properties.Interface())
	want := `{"Environment":{"Variables":{"LOG":"debug","STAGE":"prod"}},"Handler":"app.handler","Layers":["g1","own"],"Runtime":"python3.12","Timeout":5}`
	if string(got) != want {
		t.Errorf("merged properties\n got %s\nwant %s", got, want)
	}
}

func TestForEach(t *testing.T) {
	src := `
Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList, Default: "raw,clean"}
Resources:
  Fn::ForEach::Queues:
    - Name
    - !Ref Names
    - '&{Name}Queue':
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !Sub '${Name}-q'
          Tags: [{Key: stage, Value: !Ref Name}]
Outputs:
  Fn::ForEach::Out:
    - Name
    - [raw]
    - 'Q${Name}':
        Value: !Ref '${Name}Queue'
`
	tmpl, errs := load(t, src, Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, id := range []string{"rawQueue", "cleanQueue"} {
		r := tmpl.Resource(id)
		if r == nil {
			t.Fatalf("no resource %s; have %d resources", id, len(tmpl.Resources))
		}
		b, _ := json.Marshal(r.Properties.Interface())
		stage := strings.TrimSuffix(id, "Queue")
		if want := `{"QueueName":"` + stage + `-q","Tags":[{"Key":"stage","Value":"` + stage + `"}]}`; string(b) != want {
			t.Errorf("%s: got %s, want %s", id, b, want)
		}
	}
	if len(tmpl.Outputs) != 1 || tmpl.Outputs[0].Name != "Qraw" {
		t.Errorf("outputs = %+v, want one named Qraw", tmpl.Outputs)
	}
}

func TestJSONTemplateWithPositions(t *testing.T) {
	src := "{\n\t\"Resources\": {\n\t\t\"A\": {\"Type\": \"AWS::SQS::Queue\", \"Properties\": {\"QueueName\": {\"Ref\": \"Nope\"}}}\n\t}\n}\n"
	_, diags := Load("t.json", []byte(src), Options{})
	if len(diags) != 1 || diags[0].Line != 3 {
		t.Fatalf("want one error on line 3, got %v", diags)
	}
}

func TestAliasBombIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		prev := "*a" + string(rune('0'+i-1))
		if i > 9 {
			prev = "*a" + string(rune('a'+i-10))
		}
		name := string(rune('0' + i))
		if i > 9 {
			name = string(rune('a' + i - 10))
		}
		b.WriteString("a" + name + ": &a" + name + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	_, diags := Parse("bomb.yaml", []byte(b.String()))
	if !diags.HasErrors() {
		t.Fatal("an alias bomb was expanded without error")
	}
}
