package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/examples/genome-search/crispr"
	"github.com/stacklab/stacklab/examples/genome-search/pipeline"
	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/template"
)

const (
	genomeTemplate = "../../examples/genome-search/template.yaml"
	genomeSample   = "../../examples/genome-search/sample/genome.fa"
)

// startUpWith runs `stacklab up` in-process on random ports with template
// parameters; the platform stops at the end of the test.
func startUpWith(t *testing.T, file string, params map[string]string) (server.Endpoints, string) {
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
			platform: platform.Options{StateDir: state, Sandbox: true, Template: template.Options{Params: params}}, ready: ready})
	}()
	var ep server.Endpoints
	select {
	case ep = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("up ended: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	case <-time.After(3 * time.Minute):
		cancel()
		t.Fatal("up did not become ready in 3 minutes")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("up returned %v", err)
		}
		if pids := processesUnder(state); len(pids) > 0 {
			t.Errorf("processes still running from %s after shutdown: %v", state, pids)
		}
	})
	return ep, state
}

// getJSON GETs a URL and decodes its JSON body into v.
func getJSON(url string, v any) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return resp.StatusCode, fmt.Errorf("GET %s: %s is not JSON: %w", url, b, err)
	}
	return resp.StatusCode, nil
}

// TestGenomeSearchEndToEnd deploys examples/genome-search with each
// scorer variant, uploads the sample FASTA file, waits for the job, and
// checks that the API's ranked targets are the ones the crispr library
// computes on the whole sequence directly.
func TestGenomeSearchEndToEnd(t *testing.T) {
	f, err := os.Open(genomeSample)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := crispr.ParseFASTA(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	const top, chunkSize = 100, 20000 // the template's defaults
	var lists [][]crispr.Target
	wantChunks := 0
	for _, r := range recs {
		lists = append(lists, crispr.Naive(crispr.Chunk{Seq: r.Name, Span: len(r.Bases), Bases: r.Bases}, top))
		wantChunks += (len(r.Bases) + chunkSize - 1) / chunkSize
	}
	want := crispr.Merge(lists, top)
	if len(want) != top {
		t.Fatalf("the sample has %d targets; want at least %d", len(want), top)
	}

	for _, variant := range []string{"naive", "fast"} {
		t.Run(variant, func(t *testing.T) {
			ep, state := startUpWith(t, genomeTemplate, map[string]string{"ScorerVariant": variant})
			if stdout, stderr, code := run("bucket", "put", "InputBucket", "uploads/sample.fa", genomeSample, "--state", state); code != exitOK {
				t.Fatalf("bucket put: exit %d\n%s\n%s", code, stdout, stderr)
			}
			var job pipeline.Job
			waitFor(t, 2*time.Minute, "job sample done", func() bool {
				job = pipeline.Job{}
				code, err := getJSON(ep.Gateway+"/jobs/sample", &job)
				if job.Status == pipeline.Failed {
					t.Fatalf("job failed: %s", job.Error)
				}
				return err == nil && code == http.StatusOK && job.Status == pipeline.Done
			})
			if job.Scorer != variant || job.Chunks != wantChunks || job.Key != "uploads/sample.fa" || job.Bases != 150_000 {
				t.Errorf("job: scorer %q, %d chunks, key %q, %d bases; want %q, %d, uploads/sample.fa, 150000", job.Scorer, job.Chunks, job.Key, job.Bases, variant, wantChunks)
			}
			if !reflect.DeepEqual(job.Targets, want) {
				t.Errorf("the API's %d targets differ from the library's %d; first API targets: %+v", len(job.Targets), len(want), job.Targets[:min(3, len(job.Targets))])
			}

			waitFor(t, time.Minute, "the chunks' results removed", func() bool {
				stdout, _, code := run("table", "scan", "ChunksTable", "--state", state, "--output", "json")
				return code == exitOK && strings.TrimSpace(stdout) == "[]"
			})

			var best pipeline.Job
			if code, err := getJSON(ep.Gateway+"/jobs/sample?top=5", &best); err != nil || code != http.StatusOK || !reflect.DeepEqual(best.Targets, want[:5]) {
				t.Errorf("GET /jobs/sample?top=5: %d %v, %d targets; want 200 and the best 5", code, err, len(best.Targets))
			}
			var msg struct{ Message string }
			if code, err := getJSON(ep.Gateway+"/jobs/nope", &msg); err != nil || code != http.StatusNotFound || !strings.Contains(msg.Message, `no job "nope"`) {
				t.Errorf("GET /jobs/nope: %d %v %q; want 404 saying no job", code, err, msg.Message)
			}
		})
	}
}

// TestGenomeSearchBadFile checks that a file that is not FASTA fails its
// job with the reason, served by the API.
func TestGenomeSearchBadFile(t *testing.T) {
	ep, state := startUpWith(t, genomeTemplate, nil)
	bad := filepath.Join(t.TempDir(), "bad.fa")
	if err := os.WriteFile(bad, []byte("ACGT\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if stdout, stderr, code := run("bucket", "put", "InputBucket", "bad.fa", bad, "--state", state); code != exitOK {
		t.Fatalf("bucket put: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var job pipeline.Job
	waitFor(t, 2*time.Minute, "job bad failed", func() bool {
		code, err := getJSON(ep.Gateway+"/jobs/bad", &job)
		return err == nil && code == http.StatusOK && job.Status == pipeline.Failed
	})
	if !strings.Contains(job.Error, "bases before the first header") {
		t.Errorf("job error %q; want the FASTA parse error", job.Error)
	}
}
