package plan

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
)

// res builds a resource; props may be nil.
func res(id, typ string, props map[string]any, dependsOn ...string) *stack.Resource {
	return &stack.Resource{ID: id, Type: typ, Properties: props, DependsOn: dependsOn}
}

func stk(rs ...*stack.Resource) *stack.Stack { return &stack.Stack{Resources: rs} }

type obj = map[string]any
type list = []any

const (
	fn     = "AWS::Serverless::Function"
	bucket = "AWS::S3::Bucket"
	queue  = "AWS::SQS::Queue"
	topic  = "AWS::SNS::Topic"
	table  = "AWS::DynamoDB::Table"
	role   = "AWS::IAM::Role"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name     string
		old, new *stack.Stack
		want     ChangeSet
	}{
		{
			name: "add",
			old:  stk(res("Fn", fn, obj{"MemorySize": 128.0})),
			new:  stk(res("Fn", fn, obj{"MemorySize": 128.0}), res("Uploads", bucket, nil)),
			want: ChangeSet{Changes: []Change{{ID: "Uploads", Type: bucket, Action: Add}}, Unchanged: 1},
		},
		{
			name: "remove",
			old:  stk(res("Fn", fn, nil), res("Jobs", queue, obj{"VisibilityTimeout": 30.0})),
			new:  stk(res("Fn", fn, nil)),
			want: ChangeSet{Changes: []Change{{ID: "Jobs", Type: queue, Action: Remove}}, Unchanged: 1},
		},
		{
			name: "modify reports the deepest paths",
			old: stk(res("Fn", fn, obj{
				"MemorySize": 128.0,
				"Runtime":    "python3.12",
				"Environment": obj{"Variables": obj{
					"TABLE": "results", "OLD": "x", "SAME": "y",
				}},
				"Events": obj{"Upload": obj{"Type": "S3", "Properties": obj{
					"Bucket": obj{"Ref": "In"}, "Events": "s3:ObjectCreated:*",
				}}},
			})),
			new: stk(res("Fn", fn, obj{
				"MemorySize": 512.0,
				"Runtime":    "python3.12",
				"Environment": obj{"Variables": obj{
					"TABLE": obj{"Ref": "Results"}, "NEW": "z", "SAME": "y",
				}},
				"Events": obj{"Upload": obj{"Type": "S3", "Properties": obj{
					"Bucket": obj{"Ref": "Incoming"}, "Events": "s3:ObjectCreated:*",
				}}},
			})),
			want: ChangeSet{Changes: []Change{{ID: "Fn", Type: fn, Action: Modify, Properties: []PropertyChange{
				{Path: "Environment.Variables.NEW", New: "z"},
				{Path: "Environment.Variables.OLD", Old: "x"},
				{Path: "Environment.Variables.TABLE", Old: "results", New: obj{"Ref": "Results"}},
				{Path: "Events.Upload.Properties.Bucket", Old: obj{"Ref": "In"}, New: obj{"Ref": "Incoming"}},
				{Path: "MemorySize", Old: 128.0, New: 512.0},
			}}}},
		},
		{
			name: "property added and removed at the top",
			old:  stk(res("Fn", fn, obj{"Timeout": 3.0})),
			new:  stk(res("Fn", fn, obj{"Description": "scores chunks"})),
			want: ChangeSet{Changes: []Change{{ID: "Fn", Type: fn, Action: Modify, Properties: []PropertyChange{
				{Path: "Description", New: "scores chunks"},
				{Path: "Timeout", Old: 3.0},
			}}}},
		},
		{
			name: "replace by a forcing property",
			old:  stk(res("In", bucket, obj{"BucketName": "a", "Tags": list{obj{"Key": "team", "Value": "x"}}})),
			new:  stk(res("In", bucket, obj{"BucketName": "b", "Tags": list{obj{"Key": "team", "Value": "y"}}})),
			want: ChangeSet{Changes: []Change{{ID: "In", Type: bucket, Action: Replace, Properties: []PropertyChange{
				{Path: "BucketName", Old: "a", New: "b", Replaces: true},
				{Path: "Tags[0].Value", Old: "x", New: "y"},
			}}}},
		},
		{
			name: "replace by setting a forcing property",
			old:  stk(res("Jobs", queue, obj{"VisibilityTimeout": 30.0})),
			new:  stk(res("Jobs", queue, obj{"VisibilityTimeout": 30.0, "FifoQueue": true})),
			want: ChangeSet{Changes: []Change{{ID: "Jobs", Type: queue, Action: Replace, Properties: []PropertyChange{
				{Path: "FifoQueue", New: true, Replaces: true},
			}}}},
		},
		{
			name: "replace by a nested change under a forcing property",
			old: stk(res("T", table, obj{"KeySchema": list{
				obj{"AttributeName": "id", "KeyType": "HASH"},
			}})),
			new: stk(res("T", table, obj{"KeySchema": list{
				obj{"AttributeName": "pk", "KeyType": "HASH"},
			}})),
			want: ChangeSet{Changes: []Change{{ID: "T", Type: table, Action: Replace, Properties: []PropertyChange{
				{Path: "KeySchema[0].AttributeName", Old: "id", New: "pk", Replaces: true},
			}}}},
		},
		{
			name: "replace by a type change",
			old:  stk(res("Fanout", queue, obj{"QueueName": "f"})),
			new:  stk(res("Fanout", topic, obj{"TopicName": "f"})),
			want: ChangeSet{Changes: []Change{{ID: "Fanout", Type: topic, OldType: queue, Action: Replace, Properties: []PropertyChange{
				{Path: "QueueName", Old: "f"},
				{Path: "TopicName", New: "f", Replaces: true},
			}}}},
		},
		{
			name: "type change alone",
			old:  stk(res("X", queue, nil)),
			new:  stk(res("X", topic, nil)),
			want: ChangeSet{Changes: []Change{{ID: "X", Type: topic, OldType: queue, Action: Replace}}},
		},
		{
			name: "every change replaces a permission",
			old:  stk(res("P", "AWS::Lambda::Permission", obj{"Principal": "s3.amazonaws.com"})),
			new:  stk(res("P", "AWS::Lambda::Permission", obj{"Principal": "sns.amazonaws.com"})),
			want: ChangeSet{Changes: []Change{{ID: "P", Type: "AWS::Lambda::Permission", Action: Replace, Properties: []PropertyChange{
				{Path: "Principal", Old: "s3.amazonaws.com", New: "sns.amazonaws.com", Replaces: true},
			}}}},
		},
		{
			name: "unlisted type is modified in place",
			old:  stk(res("Api", "AWS::Serverless::HttpApi", obj{"StageName": "v1"})),
			new:  stk(res("Api", "AWS::Serverless::HttpApi", obj{"StageName": "v2"})),
			want: ChangeSet{Changes: []Change{{ID: "Api", Type: "AWS::Serverless::HttpApi", Action: Modify, Properties: []PropertyChange{
				{Path: "StageName", Old: "v1", New: "v2"},
			}}}},
		},
		{
			name: "DependsOn change",
			old:  stk(res("Fn", fn, obj{"MemorySize": 128.0}, "Table")),
			new:  stk(res("Fn", fn, obj{"MemorySize": 128.0}, "Table", "Queue")),
			want: ChangeSet{Changes: []Change{{ID: "Fn", Type: fn, Action: Modify, Properties: []PropertyChange{
				{Path: "DependsOn", Old: list{"Table"}, New: list{"Table", "Queue"}},
			}}}},
		},
		{
			name: "DependsOn added after properties",
			old:  stk(res("Fn", fn, obj{"Timeout": 3.0})),
			new:  stk(res("Fn", fn, obj{"Timeout": 6.0}, "Table")),
			want: ChangeSet{Changes: []Change{{ID: "Fn", Type: fn, Action: Modify, Properties: []PropertyChange{
				{Path: "Timeout", Old: 3.0, New: 6.0},
				{Path: "DependsOn", New: list{"Table"}},
			}}}},
		},
		{
			name: "DependsOn reordered is no change",
			old:  stk(res("Fn", fn, nil, "A", "B")),
			new:  stk(res("Fn", fn, nil, "B", "A", "B")),
			want: ChangeSet{Changes: []Change{}, Unchanged: 1},
		},
		{
			name: "no change",
			old: stk(
				res("Fn", fn, obj{"MemorySize": 128.0, "Policies": list{obj{"DynamoDBCrudPolicy": obj{"TableName": obj{"Ref": "T"}}}}}),
				res("T", table, obj{"KeySchema": list{obj{"AttributeName": "id", "KeyType": "HASH"}}}),
			),
			new: stk(
				res("Fn", fn, obj{"MemorySize": 128.0, "Policies": list{obj{"DynamoDBCrudPolicy": obj{"TableName": obj{"Ref": "T"}}}}}),
				res("T", table, obj{"KeySchema": list{obj{"AttributeName": "id", "KeyType": "HASH"}}}),
			),
			want: ChangeSet{Changes: []Change{}, Unchanged: 2},
		},
		{
			name: "numbers and booleans quoted or not are equal",
			old: stk(res("Fn", fn, obj{
				"MemorySize": "128", "Timeout": 3, "Tracing": true, "Weight": "0.5",
				"Retries": list{"2", 1e3}, "Big": "1e3", "Flag": "false",
			})),
			new: stk(res("Fn", fn, obj{
				"MemorySize": 128.0, "Timeout": "3", "Tracing": "true", "Weight": 0.5,
				"Retries": list{int64(2), "1000"}, "Big": 1000, "Flag": false,
			})),
			want: ChangeSet{Changes: []Change{}, Unchanged: 1},
		},
		{
			name: "strings are compared as strings",
			old:  stk(res("Fn", fn, obj{"Version": "1.10", "MemorySize": "128"})),
			new:  stk(res("Fn", fn, obj{"Version": "1.1", "MemorySize": "0x80"})),
			want: ChangeSet{Changes: []Change{{ID: "Fn", Type: fn, Action: Modify, Properties: []PropertyChange{
				{Path: "MemorySize", Old: "128", New: "0x80"},
				{Path: "Version", Old: "1.10", New: "1.1"},
			}}}},
		},
		{
			name: "a number and a non-numeric string differ",
			old:  stk(res("Fn", fn, obj{"MemorySize": 128.0})),
			new:  stk(res("Fn", fn, obj{"MemorySize": "NaN"})),
			want: ChangeSet{Changes: []Change{{ID: "Fn", Type: fn, Action: Modify, Properties: []PropertyChange{
				{Path: "MemorySize", Old: 128.0, New: "NaN"},
			}}}},
		},
		{
			name: "null is absent",
			old:  stk(res("Fn", fn, obj{"Layers": nil, "Environment": obj{"Variables": obj{"A": nil}}})),
			new:  stk(res("Fn", fn, obj{"Environment": obj{"Variables": obj{}}})),
			want: ChangeSet{Changes: []Change{}, Unchanged: 1},
		},
		{
			name: "list length change reports the whole list",
			old:  stk(res("Fn", fn, obj{"Policies": list{"AWSLambdaBasicExecutionRole"}})),
			new:  stk(res("Fn", fn, obj{"Policies": list{"AWSLambdaBasicExecutionRole", "AmazonS3ReadOnlyAccess"}})),
			want: ChangeSet{Changes: []Change{{ID: "Fn", Type: fn, Action: Modify, Properties: []PropertyChange{
				{Path: "Policies", Old: list{"AWSLambdaBasicExecutionRole"}, New: list{"AWSLambdaBasicExecutionRole", "AmazonS3ReadOnlyAccess"}},
			}}}},
		},
		{
			name: "same-length lists are compared element by element",
			old: stk(res("Fn", fn, obj{"Policies": list{
				"AWSLambdaBasicExecutionRole",
				obj{"Statement": list{obj{"Effect": "Allow", "Action": list{"s3:GetObject"}}}},
			}})),
			new: stk(res("Fn", fn, obj{"Policies": list{
				"AWSXRayDaemonWriteAccess",
				obj{"Statement": list{obj{"Effect": "Allow", "Action": list{"s3:PutObject"}}}},
			}})),
			want: ChangeSet{Changes: []Change{{ID: "Fn", Type: fn, Action: Modify, Properties: []PropertyChange{
				{Path: "Policies[0]", Old: "AWSLambdaBasicExecutionRole", New: "AWSXRayDaemonWriteAccess"},
				{Path: "Policies[1].Statement[0].Action[0]", Old: "s3:GetObject", New: "s3:PutObject"},
			}}}},
		},
		{
			name: "a value changing shape is reported where it changes",
			old:  stk(res("Fn", fn, obj{"CodeUri": "src/", "Events": obj{"E": obj{"Type": "SQS"}}})),
			new:  stk(res("Fn", fn, obj{"CodeUri": obj{"Bucket": "b", "Key": "k"}, "Events": obj{"E": "SQS"}})),
			want: ChangeSet{Changes: []Change{{ID: "Fn", Type: fn, Action: Modify, Properties: []PropertyChange{
				{Path: "CodeUri", Old: "src/", New: obj{"Bucket": "b", "Key": "k"}},
				{Path: "Events.E", Old: obj{"Type": "SQS"}, New: "SQS"},
			}}}},
		},
		{
			name: "a GetAtt is one value",
			old:  stk(res("Fn", fn, obj{"Role": obj{"Fn::GetAtt": list{"RoleA", "Arn"}}})),
			new:  stk(res("Fn", fn, obj{"Role": obj{"Fn::GetAtt": list{"RoleB", "Arn"}}})),
			want: ChangeSet{Changes: []Change{{ID: "Fn", Type: fn, Action: Modify, Properties: []PropertyChange{
				{Path: "Role", Old: obj{"Fn::GetAtt": list{"RoleA", "Arn"}}, New: obj{"Fn::GetAtt": list{"RoleB", "Arn"}}},
			}}}},
		},
		{
			name: "keys that are not plain names are quoted",
			old:  stk(res("In", bucket, obj{"Tags": obj{"app.kubernetes.io/name": "a", "cost center": "x"}})),
			new:  stk(res("In", bucket, obj{"Tags": obj{"app.kubernetes.io/name": "b", "cost center": "y"}})),
			want: ChangeSet{Changes: []Change{{ID: "In", Type: bucket, Action: Modify, Properties: []PropertyChange{
				{Path: `Tags["app.kubernetes.io/name"]`, Old: "a", New: "b"},
				{Path: `Tags["cost center"]`, Old: "x", New: "y"},
			}}}},
		},
		{
			name: "hand-built string maps and lists",
			old:  stk(res("Fn", fn, obj{"Environment": obj{"Variables": map[string]string{"A": "1"}}, "Layers": []string{"l1"}})),
			new:  stk(res("Fn", fn, obj{"Environment": obj{"Variables": obj{"A": "2"}}, "Layers": list{"l1"}})),
			want: ChangeSet{Changes: []Change{{ID: "Fn", Type: fn, Action: Modify, Properties: []PropertyChange{
				{Path: "Environment.Variables.A", Old: "1", New: "2"},
			}}}},
		},
		{
			name: "order: new template order, then removals in old order",
			old: stk(
				res("Gone1", queue, nil),
				res("B", fn, obj{"Timeout": 3.0}),
				res("Same", table, nil),
				res("Gone2", topic, nil),
				res("A", bucket, obj{"BucketName": "a"}),
			),
			new: stk(
				res("A", bucket, obj{"BucketName": "b"}),
				res("New", queue, nil),
				res("Same", table, nil),
				res("B", fn, obj{"Timeout": 6.0}),
			),
			want: ChangeSet{Changes: []Change{
				{ID: "A", Type: bucket, Action: Replace, Properties: []PropertyChange{{Path: "BucketName", Old: "a", New: "b", Replaces: true}}},
				{ID: "New", Type: queue, Action: Add},
				{ID: "B", Type: fn, Action: Modify, Properties: []PropertyChange{{Path: "Timeout", Old: 3.0, New: 6.0}}},
				{ID: "Gone1", Type: queue, Action: Remove},
				{ID: "Gone2", Type: topic, Action: Remove},
			}, Unchanged: 1},
		},
		{
			name: "nil old stack adds everything",
			old:  nil,
			new:  stk(res("A", bucket, nil), nil, res("B", queue, nil)),
			want: ChangeSet{Changes: []Change{{ID: "A", Type: bucket, Action: Add}, {ID: "B", Type: queue, Action: Add}}},
		},
		{
			name: "nil new stack removes everything",
			old:  stk(res("A", bucket, nil), res("B", queue, nil)),
			new:  nil,
			want: ChangeSet{Changes: []Change{{ID: "A", Type: bucket, Action: Remove}, {ID: "B", Type: queue, Action: Remove}}},
		},
		{
			name: "both nil",
			want: ChangeSet{Changes: []Change{}},
		},
		{
			name: "a repeated id counts once",
			old:  stk(res("A", bucket, nil)),
			new:  stk(res("A", bucket, nil), res("A", queue, nil)),
			want: ChangeSet{Changes: []Change{}, Unchanged: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.old, tt.new)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Diff:\ngot  %s\nwant %s", mustJSON(t, got), mustJSON(t, tt.want))
			}
			if gotEmpty, wantEmpty := got.Empty(), len(tt.want.Changes) == 0; gotEmpty != wantEmpty {
				t.Errorf("Empty() = %v, want %v", gotEmpty, wantEmpty)
			}
			// Diff must not depend on map iteration order.
			for range 20 {
				if again := Diff(tt.old, tt.new); !reflect.DeepEqual(again, got) {
					t.Fatalf("Diff is not deterministic:\nfirst %s\nlater %s", mustJSON(t, got), mustJSON(t, again))
				}
			}
		})
	}
}

func TestDiffDoesNotChangeItsInput(t *testing.T) {
	from := stk(res("Fn", fn, obj{"Environment": obj{"Variables": obj{"A": "1"}}}, "B", "A"))
	to := stk(res("Fn", fn, obj{"Environment": obj{"Variables": obj{"A": "2"}}}, "C"))
	before := mustJSON(t, []*stack.Stack{from, to})
	Diff(from, to)
	if after := mustJSON(t, []*stack.Stack{from, to}); after != before {
		t.Errorf("Diff changed its input:\nbefore %s\nafter  %s", before, after)
	}
}

func TestSummaryAndCount(t *testing.T) {
	cs := ChangeSet{Changes: []Change{
		{ID: "a", Action: Add}, {ID: "b", Action: Add},
		{ID: "c", Action: Modify}, {ID: "d", Action: Replace},
	}, Unchanged: 4}
	if got, want := cs.Summary(), "2 to add, 1 to modify, 1 to replace, 0 to remove"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	for a, want := range map[Action]int{Add: 2, Modify: 1, Replace: 1, Remove: 0} {
		if got := cs.Count(a); got != want {
			t.Errorf("Count(%s) = %d, want %d", a, got, want)
		}
	}
	if cs.Empty() {
		t.Error("Empty() = true for a change set with changes")
	}
	if !(ChangeSet{Unchanged: 3}).Empty() {
		t.Error("Empty() = false for a change set without changes")
	}
}

func TestMarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		cs   ChangeSet
		want string
	}{
		{
			name: "zero value has an empty list",
			cs:   ChangeSet{},
			want: `{"changes":[],"unchanged":0}`,
		},
		{
			name: "absent values are left out, false and zero are kept",
			cs: ChangeSet{Changes: []Change{
				{ID: "Q", Type: queue, Action: Replace, Properties: []PropertyChange{
					{Path: "FifoQueue", Old: false, New: true, Replaces: true},
					{Path: "DelaySeconds", New: 0.0},
					{Path: "Tags", Old: list{}},
				}},
				{ID: "B", Type: bucket, Action: Add},
				{ID: "X", Type: topic, OldType: queue, Action: Replace},
			}, Unchanged: 2},
			want: `{"changes":[` +
				`{"id":"Q","type":"AWS::SQS::Queue","action":"replace","properties":[` +
				`{"path":"FifoQueue","old":false,"new":true,"replaces":true},` +
				`{"path":"DelaySeconds","new":0},` +
				`{"path":"Tags","old":[]}]},` +
				`{"id":"B","type":"AWS::S3::Bucket","action":"add"},` +
				`{"id":"X","type":"AWS::SNS::Topic","oldType":"AWS::SQS::Queue","action":"replace"}` +
				`],"unchanged":2}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustJSON(t, tt.cs); got != tt.want {
				t.Errorf("json.Marshal:\ngot  %s\nwant %s", got, tt.want)
			}
			// A pointer marshals the same way.
			if got := mustJSON(t, &tt.cs); got != tt.want {
				t.Errorf("json.Marshal(&cs):\ngot  %s\nwant %s", got, tt.want)
			}
			var back ChangeSet
			if err := json.Unmarshal([]byte(tt.want), &back); err != nil {
				t.Fatalf("json.Unmarshal: %v", err)
			}
			if got := mustJSON(t, back); got != tt.want {
				t.Errorf("round trip:\ngot  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestForcesReplacement(t *testing.T) {
	tests := []struct {
		typ, prop string
		want      bool
	}{
		{bucket, "BucketName", true},
		{bucket, "VersioningConfiguration", false},
		{queue, "QueueName", true},
		{queue, "FifoQueue", true},
		{queue, "VisibilityTimeout", false},
		{topic, "FifoTopic", true},
		{table, "KeySchema", true},
		{table, "AttributeDefinitions", false},
		{"AWS::Serverless::SimpleTable", "PrimaryKey", true},
		{fn, "FunctionName", true},
		{fn, "MemorySize", false},
		{"AWS::Lambda::EventSourceMapping", "EventSourceArn", true},
		{"AWS::Lambda::EventSourceMapping", "BatchSize", false},
		{"AWS::SNS::Subscription", "Endpoint", true},
		{"AWS::Serverless::Api", "StageName", false},
		{role, "Path", true},
		{role, "Policies", false},
		{"AWS::Lambda::Permission", "Anything", true},
		{"AWS::EC2::VPC", "CidrBlock", false}, // not listed: in place
	}
	for _, tt := range tests {
		if got := forcesReplacement(tt.typ, tt.prop); got != tt.want {
			t.Errorf("forcesReplacement(%q, %q) = %v, want %v", tt.typ, tt.prop, got, tt.want)
		}
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b any
		want bool
	}{
		{128.0, "128", true},
		{"128", 128, true},
		{"128.0", 128.0, true},
		{"+1e2", 100.0, true},
		{"-0.5", -0.5, true},
		{".5", 0.5, true},
		{"128", "128.0", false},
		{"0x80", 128.0, false},
		{"Inf", math.Inf(1), false},   // not a decimal
		{"1e400", math.Inf(1), false}, // out of range
		{"1_000", 1000.0, false},
		{" 128", 128.0, false},
		{json.Number("128"), "128", true},
		{json.Number("128"), 128.0, true},
		{uint8(7), int32(7), true},
		{float32(0.5), 0.5, true},
		{true, "true", true},
		{"false", false, true},
		{"True", true, false},
		{true, 1.0, false},
		{nil, nil, true},
		{nil, "", false},
		{"", nil, false},
		{obj{"a": nil}, obj{}, true},
		{obj{}, nil, false},
		{list{}, nil, false},
		{list{}, obj{}, false},
		{list{1.0, "2"}, list{"1", 2.0}, true},
		{list{1.0}, list{1.0, 1.0}, false},
		{obj{"Ref": "A"}, obj{"Ref": "A"}, true},
		{obj{"Ref": "A"}, obj{"Ref": "B"}, false},
	}
	for _, tt := range tests {
		if got := equal(tt.a, tt.b); got != tt.want {
			t.Errorf("equal(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := equal(tt.b, tt.a); got != tt.want {
			t.Errorf("equal(%#v, %#v) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
		if got := len(diffValues(nil, "X", tt.a, tt.b)) == 0; got != tt.want {
			t.Errorf("diffValues(%#v, %#v) empty = %v, want %v (as equal)", tt.a, tt.b, got, tt.want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	return string(b)
}
