package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/server"
)

// startUp runs `stacklab up` in-process on random ports and returns its
// endpoints and state directory; the platform stops at the end of the test.
func startUp(t *testing.T, file string) (server.Endpoints, string) {
	t.Helper()
	return startUpTracing(t, file, platform.TracingOptions{})
}

// startUpTracing is startUp with tracing options (the span store's).
func startUpTracing(t *testing.T, file string, tracing platform.TracingOptions) (server.Endpoints, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs functions")
	}
	state := filepath.Join(t.TempDir(), ".stacklab")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan server.Endpoints, 1)
	done := make(chan error, 1)
	var stdout, stderr bytes.Buffer
	go func() {
		done <- runUp(ctx, &stdout, &stderr, upConfig{file: file, state: state, listen: "127.0.0.1:0", control: "127.0.0.1:0",
			platform: platform.Options{StateDir: state, Sandbox: true, Tracing: tracing}, ready: ready})
	}()
	var ep server.Endpoints
	select {
	case ep = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("up ended: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	case <-time.After(2 * time.Minute):
		cancel()
		t.Fatal("up did not become ready in 2 minutes")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("up returned %v", err)
		}
		if _, err := os.Stat(filepath.Join(state, "endpoints.json")); err == nil {
			t.Error("endpoints.json left behind after shutdown")
		}
		if pids := processesUnder(state); len(pids) > 0 {
			t.Errorf("processes still running from %s after shutdown: %v", state, pids)
		}
	})
	for _, want := range []string{ep.Gateway, "GET", "/echo/{name}", "-> Echo", ep.Control, "state"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("up's output lacks %q:\n%s", want, &stdout)
		}
	}
	return ep, state
}

// processesUnder lists the pids whose command line mentions dir.
func processesUnder(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(dir)) && e.Name() != "self" {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestUpEndToEnd(t *testing.T) {
	ep, state := startUp(t, "testdata/up/template.yaml")

	// The control API needs the token.
	for _, auth := range []string{"", "Bearer wrong"} {
		req, _ := http.NewRequest(http.MethodGet, ep.Control+"/v1/functions", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("control API with %q: %d, want 401", auth, resp.StatusCode)
		}
	}
	info, err := os.Stat(filepath.Join(state, "token"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v, mode %v, want 0600", err, info.Mode().Perm())
	}

	// invoke, through the CLI.
	stdout, stderr, code := run("invoke", "Echo", "--state", state, "--payload", `{"print":"logged line"}`, "--output", "json")
	if code != exitOK {
		t.Fatalf("invoke: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var res server.InvokeResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("invoke --output json: %v\n%s", err, stdout)
	}
	var payload map[string]any
	json.Unmarshal(res.Payload, &payload)
	if payload["greeting"] != "hello from us-east-1" || payload["function"] != "Echo" || !res.Cold || res.BilledDurationMS < 1 {
		t.Errorf("invoke result %+v, payload %v", res, payload)
	}
	_, stderr, code = run("invoke", "Echo", "--state", state, "--payload", `{"fail":"boom"}`)
	if code != exitInvalid || !strings.Contains(stderr, "function error (Unhandled)") {
		t.Errorf("a failing function: exit %d, stderr %q; want 1 and the error", code, stderr)
	}
	_, stderr, code = run("invoke", "Nope", "--state", state)
	if code != exitInvalid || !strings.Contains(stderr, "ResourceNotFoundException") {
		t.Errorf("an unknown function: exit %d, stderr %q", code, stderr)
	}

	// The HTTP route, through the gateway.
	resp, err := http.Get(ep.Gateway + "/echo/ada?x=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"function":"Echo"`) {
		t.Errorf("GET /echo/ada: %d %s", resp.StatusCode, body)
	}
	// A REST API (payload 1.0) route: echo answers no statusCode, which API
	// Gateway turns into 502, as a malformed proxy response.
	resp, err = http.Post(ep.Gateway+"/rest/a/b", "application/json", strings.NewReader(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "Internal server error") {
		t.Errorf("POST /rest/a/b: %d %s, want 502 Internal server error", resp.StatusCode, body)
	}
	if resp, _ := http.Get(ep.Gateway + "/nothing/here"); resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("a missing route: %v, want 404", resp)
	}

	// The Invoke API, with the real AWS SDK for Go v2.
	sdk := lambda.New(lambda.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint:     aws.String(ep.Gateway),
		RetryMaxAttempts: 1,
	})
	out, err := sdk.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("Echo"), Payload: []byte(`{"print":"via sdk"}`), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatalf("SDK invoke: %v", err)
	}
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if out.StatusCode != 200 || out.FunctionError != nil || !strings.Contains(string(out.Payload), `"function":"Echo"`) || !strings.Contains(string(logs), "via sdk") {
		t.Errorf("SDK invoke: status %d, error %v, payload %s, log %s", out.StatusCode, aws.ToString(out.FunctionError), out.Payload, logs)
	}
	out, err = sdk.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("Echo"), Payload: []byte(`{"exit":2}`)})
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "Runtime.ExitError") {
		t.Errorf("SDK invoke of a crash: %v %v %s", err, aws.ToString(out.FunctionError), out.Payload)
	}
	_, err = sdk.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("Nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("SDK invoke of an unknown function: %v, want ResourceNotFoundException", err)
	}
	out, err = sdk.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("Echo"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{}`)})
	if err != nil || out.StatusCode != 202 {
		t.Errorf("SDK async invoke: %v, status %d; want 202", err, out.StatusCode)
	}

	// ls and logs.
	stdout, _, code = run("ls", "--state", state)
	if code != exitOK || !strings.Contains(stdout, "Echo") || !strings.Contains(stdout, "/echo/{name}") {
		t.Errorf("ls: exit %d\n%s", code, stdout)
	}
	stdout, _, code = run("logs", "Echo", "--state", state)
	for _, want := range []string{"START RequestId: " + res.RequestID, "logged line", "REPORT RequestId: " + res.RequestID, "Init Duration"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("logs lack %q (exit %d):\n%s", want, code, stdout)
		}
	}

	// The sandbox: a function cannot read the control token.
	if _, err := os.Stat("/usr/bin/bwrap"); err == nil {
		stdout, _, _ = run("invoke", "Echo", "--state", state, "--payload", `{"read_file":"`+filepath.Join(state, "token")+`"}`, "--output", "json")
		json.Unmarshal([]byte(stdout), &res)
		json.Unmarshal(res.Payload, &payload)
		if payload["read"] != "" || !strings.Contains(payload["read_error"].(string), "no such file") {
			t.Errorf("the function read the control token: %v", payload)
		}
	}
}

func TestUpRefusesAnInvalidTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the platform")
	}
	state := filepath.Join(t.TempDir(), ".stacklab")
	var stdout, stderr bytes.Buffer
	err := runUp(context.Background(), &stdout, &stderr, upConfig{file: "testdata/invalid/memory-type.yaml", state: state, listen: "127.0.0.1:0", control: "127.0.0.1:0", platform: platform.Options{StateDir: state}})
	if err != errInvalid || !strings.Contains(stderr.String(), "MemorySize") {
		t.Errorf("up on an invalid template: %v\n%s", err, &stderr)
	}
}
