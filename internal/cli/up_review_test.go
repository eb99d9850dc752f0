package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/platform"
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
