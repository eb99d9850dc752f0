package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/runtime"
	"github.com/stacklab/stacklab/internal/server"
)

// Ctrl-C while another terminal follows the logs ends the follower's
// stream and shuts down; it does not leave the follower connected.
func TestUpShutdownEndsLogFollowers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the platform")
	}
	state := filepath.Join(t.TempDir(), ".stacklab")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan server.Endpoints, 1)
	done := make(chan error, 1)
	var stdout, stderr bytes.Buffer
	go func() {
		done <- runUp(ctx, &stdout, &stderr, upConfig{file: "testdata/up/template.yaml", state: state, listen: "127.0.0.1:0", control: "127.0.0.1:0",
			platform: platform.Options{StateDir: state}, ready: ready})
	}()
	var ep server.Endpoints
	select {
	case ep = <-ready:
	case err := <-done:
		t.Fatalf("up ended: %v\n%s", err, &stderr)
	}
	tok, err := server.State{Dir: state}.ReadToken()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, ep.Control+"/v1/logs?follow=1", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("up returned %v", err)
	}
	ended := make(chan struct{})
	go func() {
		io.Copy(io.Discard, resp.Body)
		close(ended)
	}()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the log follower is still connected after up stopped")
	}
}

// A function may print a 256 KB line of control characters or invalid
// UTF-8; JSON makes it up to six times longer, and logs still prints it.
func TestLogsPrintsTheLongestLine(t *testing.T) {
	text := strings.Repeat("\x01", 256*1024)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(runtime.Line{Time: time.Now(), Function: "F", Text: text})
		json.NewEncoder(w).Encode(runtime.Line{Time: time.Now(), Function: "F", Text: "after"})
	}))
	defer srv.Close()
	state := t.TempDir()
	st := server.State{Dir: state}
	if _, err := st.Token(); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteEndpoints(server.Endpoints{Control: srv.URL}); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run("logs", "F", "--state", state)
	if code != exitOK || !strings.Contains(stdout, "after") {
		t.Errorf("exit %d, stderr %s; want both lines printed", code, stderr)
	}
}
