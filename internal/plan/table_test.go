package plan

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/stack"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// genomeV1 and genomeV2 are two versions of a GT-Scan-like pipeline that
// between them show every kind of change.
func genomeV1() *stack.Stack {
	return stk(
		res("Sequences", bucket, obj{"BucketName": "genome-sequences"}),
		res("Chunks", queue, obj{"VisibilityTimeout": 60.0}),
		res("Splitter", fn, obj{
			"Runtime": "python3.12", "MemorySize": 128.0, "Timeout": 30.0,
			"Environment": obj{"Variables": obj{"CHUNKS": obj{"Ref": "Chunks"}, "CHUNK_SIZE": "1000"}},
			"Events": obj{"Upload": obj{"Type": "S3", "Properties": obj{
				"Bucket": obj{"Ref": "Sequences"}, "Events": "s3:ObjectCreated:*",
			}}},
		}),
		res("Scorer", fn, obj{
			"Runtime": "go1.x", "MemorySize": 512.0, "Handler": "scorer",
			"Policies": list{"AWSLambdaBasicExecutionRole"},
		}),
		res("Results", table, obj{"KeySchema": list{obj{"AttributeName": "id", "KeyType": "HASH"}}}),
		res("Notify", queue, nil),
		res("Legacy", "AWS::Logs::LogGroup", obj{"RetentionInDays": 7.0}),
	)
}

func genomeV2() *stack.Stack {
	return stk(
		res("Sequences", bucket, obj{"BucketName": "genome-sequences-v2"}),
		res("Chunks", queue, obj{"VisibilityTimeout": "60"}),
		res("Splitter", fn, obj{
			"Runtime": "python3.12", "MemorySize": 512.0, "Timeout": 30.0,
			"Description": "splits a sequence file into chunks",
			"Environment": obj{"Variables": obj{"CHUNKS": obj{"Ref": "Chunks"}, "CHUNK_SIZE": "5000"}},
			"Events": obj{"Upload": obj{"Type": "S3", "Properties": obj{
				"Bucket": obj{"Ref": "Sequences"}, "Events": "s3:ObjectCreated:*",
			}}},
		}, "Results"),
		res("Scorer", fn, obj{
			"Runtime": "go1.x", "MemorySize": 512.0, "Handler": "scorer",
			"Policies": list{"AWSLambdaBasicExecutionRole", obj{"DynamoDBCrudPolicy": obj{"TableName": obj{"Ref": "Results"}}}},
			"Role":     obj{"Fn::GetAtt": list{"ScorerRole", "Arn"}},
		}),
		res("Results", table, obj{"KeySchema": list{obj{"AttributeName": "id", "KeyType": "HASH"}}}),
		res("Notify", topic, nil),
		res("Aggregator", fn, obj{"Runtime": "nodejs20.x"}),
	)
}

func TestWriteTableGolden(t *testing.T) {
	cs := Diff(genomeV1(), genomeV2())

	var table bytes.Buffer
	if err := WriteTable(&table, cs); err != nil {
		t.Fatalf("WriteTable: %v", err)
	}
	checkGolden(t, "genome.table.golden", table.Bytes())

	js, err := json.MarshalIndent(cs, "", "  ")
	if err != nil {
		t.Fatalf("json.MarshalIndent: %v", err)
	}
	checkGolden(t, "genome.json.golden", append(js, '\n'))
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("updating golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestWriteTable(t *testing.T) {
	tests := []struct {
		name string
		cs   ChangeSet
		want string
	}{
		{
			name: "no changes",
			cs:   ChangeSet{Unchanged: 3},
			want: "No changes (3 unchanged).\n",
		},
		{
			name: "values are shown on one short line",
			cs: ChangeSet{Changes: []Change{{ID: "Fn", Type: fn, Action: Modify, Properties: []PropertyChange{
				{Path: "Description", Old: "", New: "two words"},
				{Path: "InlineCode", New: "line one\nline two"},
				{Path: "Tag", Old: "!Ref X", New: "(none)"},
				{Path: "Layers", Old: list{"a", "b"}, New: list{"a", "b", "<c>"}},
				{Path: "Big", Old: 1048576.0, New: 1e21},
				{Path: "Code", New: strings.Repeat("x", 100)},
				{Path: "Env.A", Old: obj{"Fn::GetAtt": "T.Arn"}, New: obj{"Fn::Sub": "${T}"}},
			}}}},
			want: "ACTION  ID  TYPE                       DETAILS\n" +
				`modify  Fn  AWS::Serverless::Function  ~ Description: "" -> "two words"` + "\n" +
				`                                       + InlineCode: "line one\nline two"` + "\n" +
				`                                       ~ Tag: "!Ref X" -> "(none)"` + "\n" +
				`                                       ~ Layers: ["a","b"] -> ["a","b","<c>"]` + "\n" +
				`                                       ~ Big: 1048576 -> 1e+21` + "\n" +
				`                                       + Code: ` + strings.Repeat("x", 77) + "...\n" +
				`                                       ~ Env.A: !GetAtt T.Arn -> {"Fn::Sub":"${T}"}` + "\n" +
				"\n0 to add, 1 to modify, 0 to replace, 0 to remove\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteTable(&b, tt.cs); err != nil {
				t.Fatalf("WriteTable: %v", err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("WriteTable:\ngot:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteTableReportsWriteErrors(t *testing.T) {
	for _, cs := range []ChangeSet{{}, Diff(genomeV1(), genomeV2())} {
		if err := WriteTable(failingWriter{}, cs); err == nil {
			t.Errorf("WriteTable to a failing writer: got nil error, want one")
		}
	}
}
