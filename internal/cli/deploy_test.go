package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/platform"
)

// writeTemplate writes a variant of the up test's stack with an absolute
// CodeUri, a greeting and a route path.
func writeTemplate(t *testing.T, greeting, route string) string {
	t.Helper()
	code, _ := filepath.Abs("../runtime/testdata/echo")
	src := `Transform: AWS::Serverless-2016-10-31
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ` + code + `
      Handler: bootstrap
      Runtime: provided.al2023
      Environment:
        Variables:
          GREETING: ` + greeting + `
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: ` + route + `
            Method: get
`
	file := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func greeting(t *testing.T, state string) string {
	t.Helper()
	stdout, stderr, code := run("invoke", "Echo", "--state", state, "--output", "json")
	if code != exitOK {
		t.Fatalf("invoke: exit %d %s", code, stderr)
	}
	var res struct{ Payload map[string]any }
	json.Unmarshal([]byte(stdout), &res)
	g, _ := res.Payload["greeting"].(string)
	return g
}

func TestDeployDeploymentsRollback(t *testing.T) {
	ep, state := startUp(t, "testdata/up/template.yaml")
	if g := greeting(t, state); g != "hello from us-east-1" {
		t.Fatalf("version 1 greeting %q", g)
	}

	v2 := writeTemplate(t, "bonjour", "/salut/{name}")
	stdout, stderr, code := run("deploy", v2, "--state", state, "--dry-run")
	if code != exitOK || !strings.Contains(stdout, "modify") || strings.Contains(stderr, "version") {
		t.Fatalf("deploy --dry-run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if g := greeting(t, state); g != "hello from us-east-1" {
		t.Errorf("a dry run changed the stack: greeting %q", g)
	}
	stdout, stderr, code = run("deploy", v2, "--state", state)
	if code != exitOK || !strings.Contains(stdout, "Environment.Variables.GREETING") || !strings.Contains(stderr, "version 2: deployed") {
		t.Fatalf("deploy: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if g := greeting(t, state); g != "bonjour" {
		t.Errorf("after deploy: greeting %q, want bonjour", g)
	}
	resp, err := http.Get(ep.Gateway + "/salut/ada")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "bonjour") {
		t.Errorf("the new route after deploy: %d %s", resp.StatusCode, body)
	}

	// A broken template changes nothing and is recorded as failed.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("Resources:\n  Echo:\n    Type: AWS::Serverless::Function\n    Properties: {MemorySize: lots}\n"), 0o644)
	stdout, stderr, code = run("deploy", bad, "--state", state)
	if code != exitInvalid || !strings.Contains(stderr, "version 3: failed") {
		t.Errorf("deploy of a broken template: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if g := greeting(t, state); g != "bonjour" {
		t.Errorf("a failed deploy changed the stack: greeting %q", g)
	}

	_, stderr, code = run("rollback", "--state", state)
	if code != exitOK || !strings.Contains(stderr, "version 4: rolled back to version 1") {
		t.Fatalf("rollback: exit %d\n%s", code, stderr)
	}
	if g := greeting(t, state); g != "hello from us-east-1" {
		t.Errorf("after rollback: greeting %q", g)
	}

	stdout, _, code = run("deployments", "--state", state, "--output", "json")
	var list []platform.Deployment
	if code != exitOK || json.Unmarshal([]byte(stdout), &list) != nil || len(list) != 4 {
		t.Fatalf("deployments: exit %d, %d versions\n%s", code, len(list), stdout)
	}
	for i, want := range []string{"deployed", "deployed", "failed", "deployed"} {
		if !strings.HasPrefix(list[i].Outcome, want) || list[i].Version != i+1 {
			t.Errorf("version %d: %q, want %s", list[i].Version, list[i].Outcome, want)
		}
	}
	if list[3].Rollback != 1 {
		t.Errorf("version 4 is a rollback of %d, want 1", list[3].Rollback)
	}

	// A rollback to a version that does not exist says so on stderr and
	// prints no change set: nothing was planned.
	stdout, stderr, code = run("rollback", "99", "--state", state)
	if code == exitOK || stdout != "" || !strings.Contains(stderr, "no deployment 99") {
		t.Errorf("rollback 99: exit %d\nstdout %q\nstderr %q; want a failure, nothing on stdout and the reason on stderr", code, stdout, stderr)
	}
}
