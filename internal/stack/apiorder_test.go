package stack

import (
	"testing"

	"github.com/stacklab/stacklab/internal/template"
)

// TestAPIDeclaredAfterItsFunction: the order of resources does not matter
// to SAM; an API declared after the function whose event names it gets the
// route.
func TestAPIDeclaredAfterItsFunction(t *testing.T) {
	src := `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: /items/{id}
            Method: GET
            ApiId: !Ref Later
        Rest:
          Type: Api
          Properties:
            Path: /things
            Method: POST
            RestApiId: !Ref LaterRest
  Later:
    Type: AWS::Serverless::HttpApi
  LaterRest:
    Type: AWS::Serverless::Api
    Properties: {StageName: v1}
`
	tm, diags := template.Load("t.yaml", []byte(src), template.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	st, diags := Build(tm)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := map[string]struct {
		http         bool
		stage, route string
	}{"Later": {true, "$default", "GET /items/{id}"}, "LaterRest": {false, "v1", "POST /things"}}
	if len(st.APIs) != len(want) {
		t.Fatalf("got %d APIs, want %d: %+v", len(st.APIs), len(want), st.APIs)
	}
	for _, api := range st.APIs {
		w := want[api.ID]
		if api.Implicit || api.HTTP != w.http || api.Stage != w.stage || len(api.Routes) != 1 || api.Routes[0].Method+" "+api.Routes[0].Path != w.route {
			t.Errorf("api %s: got %+v, want http=%v stage %s route %s", api.ID, api, w.http, w.stage, w.route)
		}
	}
}
