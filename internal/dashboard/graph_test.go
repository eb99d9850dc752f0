package dashboard

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stacklab/stacklab/internal/stack/stacktest"
)

const ordersTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Serverless::SimpleTable
  Jobs:
    Type: AWS::SQS::Queue
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      MemorySize: 256
      Timeout: 10
      Environment:
        Variables:
          TABLE: !Ref Orders
          MODE: fast
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Orders
      Events:
        Get:
          Type: Api
          Properties:
            Path: /orders
            Method: get
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: src/
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 5
`

func TestFromStack(t *testing.T) {
	st := stacktest.Build(t, ordersTemplate)
	g, err := FromStack(st, 3)
	if err != nil {
		t.Fatal(err)
	}
	if g.Version != 3 || g.Width <= 0 || g.Height <= 0 || len(g.Nodes) != len(st.Graph.Nodes) || len(g.Edges) == 0 {
		t.Fatalf("graph %+v: want version 3, a size, every node and the edges", g)
	}
	groups := map[string]bool{}
	for _, gr := range g.Groups {
		groups[gr.ID] = true
	}
	byID := map[string]Node{}
	for i, n := range g.Nodes {
		if i > 0 && g.Nodes[i-1].ID >= n.ID {
			t.Errorf("nodes not sorted by id: %s before %s", g.Nodes[i-1].ID, n.ID)
		}
		if !groups[n.Group] || n.W <= 0 || n.X <= 0 {
			t.Errorf("node %+v: want a known group and a box", n)
		}
		byID[n.ID] = n
	}
	ids := map[string]bool{}
	for _, e := range g.Edges {
		if ids[e.ID] {
			t.Errorf("two edges with id %s", e.ID)
		}
		ids[e.ID] = true
	}
	api, ok := byID["Api"].Detail.(FunctionDetail)
	if !ok {
		t.Fatalf("Api has no function detail: %+v", byID["Api"])
	}
	want := FunctionDetail{Name: "Api", Runtime: "python3.12", Handler: "app.handler", MemorySize: 256, Timeout: 10,
		Triggers: []string{"Get: Api GET /orders (from ServerlessRestApi)"}, Policies: []string{"DynamoDBCrudPolicy: Orders read/write"},
		Environment: map[string]string{"TABLE": `{"Ref":"Orders"}`, "MODE": "fast"}}
	gotJSON, _ := json.Marshal(api)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("Api detail\n got %s\nwant %s", gotJSON, wantJSON)
	}
	worker := byID["Worker"].Detail.(FunctionDetail)
	if !slices.Equal(worker.Triggers, []string{"Work: SQS batch 5 (from Jobs)"}) || len(worker.Policies) != 0 || worker.Environment == nil {
		t.Errorf("Worker detail %+v", worker)
	}
	if byID["Orders"].Detail != nil {
		t.Errorf("a table has detail %+v", byID["Orders"].Detail)
	}
	// JSON: field names as the page reads them.
	b, _ := json.Marshal(g)
	var raw struct {
		Nodes []map[string]any `json:"nodes"`
	}
	json.Unmarshal(b, &raw)
	for _, k := range []string{"id", "type", "kind", "label", "runs", "group", "x", "y", "w", "h"} {
		if _, ok := raw.Nodes[0][k]; !ok {
			t.Errorf("node JSON %v has no %q", raw.Nodes[0], k)
		}
	}
}
