package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/examples/genome-search/pipeline"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// TestGenomeSearchTrace is issue 5's proof that the platform evaluates an
// architecture by itself: it runs examples/genome-search, uploads one FASTA
// file, waits for the job and asks the HTTP API for it, then reads the span
// store the platform wrote and checks
//
//   - that the upload is one trace holding every hop in causal order, each
//     the child of the hop before it (or linked to it, for a queue batch):
//     bucket put -> Splitter invocation (S3 trigger) -> ChunkQueue sends ->
//     ChunkQueue batches (Consumer spans linking the sends) -> Scorer
//     invocations -> ChunksTable writes -> their stream records -> the
//     Aggregator invocation -> the JobsTable write;
//   - that the API call is a trace of its own, continuing the caller's
//     traceparent: gateway request -> Api invocation -> JobsTable read;
//   - that the service map has exactly the template's edges that carried
//     traffic: every edge of the stack's graph but the dead-letter one (no
//     chunk fails), and nothing else.
func TestGenomeSearchTrace(t *testing.T) {
	began := time.Now()
	ep, state := startUpWith(t, genomeTemplate, nil)
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

	// The Aggregator removes the chunks' results once the job is written:
	// their stream records invoke it once more, the last hop of the upload.
	waitFor(t, time.Minute, "the chunks' results removed", func() bool {
		stdout, _, code := run("table", "scan", "ChunksTable", "--state", state, "--output", "json")
		return code == exitOK && strings.TrimSpace(stdout) == "[]"
	})

	// The API call, under a trace of the test's own.
	caller := "0af7651916cd43dd8448eb211c80319c"
	callerSpan := "b7ad6b7169203331"
	req, _ := http.NewRequest(http.MethodGet, ep.Gateway+"/jobs/sample?top=3", nil)
	req.Header.Set(tracectx.TraceparentHeader, "00-"+caller+"-"+callerSpan+"-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /jobs/sample?top=3: %s", resp.Status)
	}

	st, err := store.Open(context.Background(), filepath.Join(state, "telemetry"), store.Options{RetentionInterval: time.Hour})
	if err != nil {
		t.Fatalf("opening the platform's span store: %v", err)
	}
	defer st.Close()
	ctx := context.Background()

	// The platform's writer flushes on its own; wait until the upload's
	// trace holds the Aggregator's write of the job and the API's trace its
	// read.
	var up, api *traceGraph
	var traces [][]model.Span
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		up, api = nil, nil
		traces, err = st.Spans(ctx, store.TraceFilter{Since: began, Limit: 1000})
		if err != nil {
			t.Fatalf("reading traces: %v", err)
		}
		for _, spans := range traces {
			g := newTraceGraph(spans)
			if g.has(isUpload) {
				up = g
			}
			if len(spans) > 0 && spans[0].TraceID == caller {
				api = g
			}
		}
		if up != nil && up.has(up.jobsWrite("Aggregator")) && len(up.all(isInvocation("Aggregator"))) >= 2 && api != nil && api.has(isInvocation("Api")) {
			break
		}
		if time.Now().After(deadline) {
			// Say what is there: the hops the checks below find missing.
			t.Logf("after 30s the span store holds %d traces since the test began", len(traces))
			for _, spans := range traces {
				if id := spans[0].TraceID; (up == nil || id != up.spans[0].TraceID) && id != caller {
					t.Logf("trace %s, %d spans, first %s", spans[0].TraceID, len(spans), describe(&spans[0]))
				}
			}
			if up == nil {
				t.Fatal("no trace holds the upload's PutObject span (InputBucket, faas.document.name uploads/sample.fa)")
			}
			break
		}
	}
	t.Run("upload", func(t *testing.T) { checkUploadTrace(t, up, job.Chunks) })
	t.Run("api", func(t *testing.T) {
		if api == nil {
			t.Fatalf("no trace %s: the API call's traceparent was not continued", caller)
		}
		checkAPITrace(t, api, callerSpan)
	})
	t.Run("map", func(t *testing.T) { checkServiceMap(t, st, began, up) })
}

// checkUploadTrace follows the upload's trace hop by hop.
func checkUploadTrace(t *testing.T, g *traceGraph, chunks int) {
	t.Helper()
	defer func() {
		if t.Failed() {
			t.Logf("the upload's trace:\n%s", g)
		}
	}()
	put := *g.find(isUpload)
	if put.Kind != model.KindClient && put.Kind != model.KindServer {
		t.Errorf("bucket put %s is a %s span; want client or server", put.Name, put.Kind)
	}

	// Splitter, triggered by the object.
	splitters := g.all(isInvocation("Splitter"))
	if len(splitters) != 1 {
		t.Fatalf("%d Splitter invocations; want 1", len(splitters))
	}
	splitter := splitters[0]
	g.wantUpstream(t, splitter, put)
	wantAttr(t, splitter, "faas.trigger", telemetry.TriggerDatasource)

	// The chunks sent to the queue, from the Splitter's invocation.
	sends := g.all(func(s model.Span) bool {
		return s.Resource == "ChunkQueue" && s.Kind == model.KindProducer && s.Attributes["messaging.operation.type"] == telemetry.OpSend
	})
	// A send span per SendMessage or SendMessageBatch call, as on AWS (one
	// X-Ray subsegment a call); together they sent every chunk.
	sent := 0
	for _, s := range sends {
		if n, ok := s.Attributes["messaging.batch.message_count"].(float64); ok {
			sent += int(n)
		} else {
			sent++
		}
	}
	if sent != chunks {
		t.Errorf("%d ChunkQueue send spans sent %d messages; want %d, one per chunk", len(sends), sent, chunks)
	}
	for _, s := range sends {
		g.wantUpstream(t, s, splitter)
	}

	// The scorer's batches: Consumer spans of the queue, parented by the
	// send of a lone message or linked to each message's send; together
	// they cover every send.
	batches := g.all(func(s model.Span) bool {
		return s.Resource == "ChunkQueue" && s.Kind == model.KindConsumer && s.Attributes["messaging.operation.type"] == telemetry.OpProcess
	})
	if len(batches) == 0 {
		t.Fatal("no ChunkQueue process (Consumer) spans: the scorer's batches are not traced")
	}
	g.wantBatches(t, batches, sends, nil, "ChunkQueue send")

	// A Scorer invocation for each batch, its child.
	scorers := g.all(isInvocation("Scorer"))
	if len(scorers) != len(batches) {
		t.Errorf("%d Scorer invocations for %d batches; want one each", len(scorers), len(batches))
	}
	for _, s := range scorers {
		up := g.upstream(s)
		if up == nil || !slices.ContainsFunc(batches, func(b model.Span) bool { return b.SpanID == up.SpanID }) {
			t.Errorf("Scorer invocation %s does not descend from a ChunkQueue batch (nearest other resource: %s)", s.SpanID, describe(up))
			continue
		}
		wantAttr(t, s, "faas.trigger", telemetry.TriggerPubSub)
		g.wantBefore(t, *up, s)
	}

	// Each chunk's result written to the chunks table by a Scorer.
	writes := g.all(func(s model.Span) bool {
		return s.Resource == "ChunksTable" && s.Attributes["faas.document.operation"] == telemetry.DocInsert && g.upstreamIs(s, isInvocation("Scorer"))
	})
	if len(writes) != chunks {
		t.Errorf("%d ChunksTable inserts from Scorer invocations; want one per chunk, %d", len(writes), chunks)
	}

	// Their stream records, delivered to the Aggregator in batches:
	// ChunksTable Consumer spans linked to (or, for one record, parented
	// by) the writes, which together carry every insert.
	records := g.all(func(s model.Span) bool {
		return s.Resource == "ChunksTable" && s.Kind == model.KindConsumer && s.Attributes["messaging.operation.type"] == telemetry.OpProcess &&
			slices.ContainsFunc(g.sources(s), func(id string) bool {
				return slices.ContainsFunc(writes, func(w model.Span) bool { return w.SpanID == id })
			})
	})
	if len(records) == 0 {
		t.Fatal("no ChunksTable stream batch (Consumer span, messaging.operation.type process) linked to the Scorer's writes: stream records are not traced")
	}
	// A batch may also carry the REMOVE records of the Aggregator's
	// deletes, which the stream delivers as soon as they are written.
	deletes := g.all(func(s model.Span) bool {
		return s.Resource == "ChunksTable" && s.Attributes["faas.document.operation"] == telemetry.DocDelete
	})
	g.wantBatches(t, records, writes, deletes, "ChunksTable insert")
	aggs := g.all(func(s model.Span) bool {
		up := g.upstream(s)
		return isInvocation("Aggregator")(s) && up != nil && slices.ContainsFunc(records, func(r model.Span) bool { return r.SpanID == up.SpanID })
	})
	if len(aggs) != len(records) {
		t.Errorf("%d Aggregator invocations are children of the %d stream batches of the inserts; want one each", len(aggs), len(records))
	}
	for _, a := range aggs {
		wantAttr(t, a, "faas.trigger", telemetry.TriggerDatasource)
		g.wantBefore(t, *g.upstream(a), a)
	}

	// The job written by an Aggregator invocation of this trace.
	done := g.all(func(s model.Span) bool {
		return g.jobsWrite("Aggregator")(s) && slices.ContainsFunc(aggs, func(a model.Span) bool { return g.reaches(s, a.SpanID) })
	})
	if len(done) == 0 {
		t.Error("no JobsTable write under an Aggregator invocation that the stream records caused")
	}
	for _, d := range done {
		g.wantBefore(t, *g.upstream(d), d) // jobsWrite found its upstream
	}
	t.Logf("the upload's trace: %d spans; 1 put, 1 Splitter invocation, %d sends, %d queue batches, %d Scorer invocations, %d inserts, %d stream batches, %d Aggregator invocations, %d job writes",
		len(g.spans), len(sends), len(batches), len(scorers), len(writes), len(records), len(aggs), len(done))
}

// checkAPITrace follows GET /jobs/{id}: it continues the caller's trace.
func checkAPITrace(t *testing.T, g *traceGraph, callerSpan string) {
	t.Helper()
	defer func() {
		if t.Failed() {
			t.Logf("the API call's trace:\n%s", g)
		}
	}()
	gws := g.all(func(s model.Span) bool { return s.Kind == model.KindServer && s.Attributes["http.route"] != nil })
	if len(gws) != 1 {
		t.Fatalf("%d gateway Server spans with an http.route; want 1", len(gws))
	}
	gw := gws[0]
	if gw.ParentID != callerSpan {
		t.Errorf("gateway span's parent %q; want the caller's traceparent span %s", gw.ParentID, callerSpan)
	}
	if gw.Resource != "ServerlessHttpApi" {
		t.Errorf("gateway span's resource %q; want the implicit HTTP API, ServerlessHttpApi", gw.Resource)
	}
	wantAttr(t, gw, "http.route", "/jobs/{id}")
	wantAttr(t, gw, "http.request.method", "GET")
	wantAttr(t, gw, "http.response.status_code", float64(http.StatusOK))
	api := g.find(isInvocation("Api"))
	if api == nil {
		t.Fatal("no Api invocation span in the API call's trace")
	}
	g.wantUpstream(t, *api, gw)
	wantAttr(t, *api, "faas.trigger", telemetry.TriggerHTTP)
	read := g.find(func(s model.Span) bool { return s.Resource == "JobsTable" })
	if read == nil {
		t.Fatal("no JobsTable span under the Api invocation: its read is not traced")
	}
	g.wantUpstream(t, *read, *api)
}

// checkServiceMap compares the map since began with the stack's graph, and
// checks that the stream batches of the upload's trace that link several
// writes count in LINKS of ChunksTable -> Aggregator.
func checkServiceMap(t *testing.T, st *store.Store, began time.Time, up *traceGraph) {
	t.Helper()
	stdout, stderr, code := run("graph", genomeTemplate, "--format", "json")
	if code != exitOK {
		t.Fatalf("graph: exit %d: %s", code, stderr)
	}
	var graph stack.Graph
	if err := json.Unmarshal([]byte(stdout), &graph); err != nil {
		t.Fatalf("graph --format json: %v", err)
	}
	// No chunk fails, so nothing goes to the dead-letter queue; every other
	// edge of the template carries traffic.
	idle := map[string]bool{"ChunkQueue->ChunkDLQ": true}
	var want []string
	for _, e := range graph.Edges {
		if k := e.From + "->" + e.To; !idle[k] {
			want = append(want, k)
		}
	}
	if len(want) != len(graph.Edges)-len(idle) {
		t.Fatalf("the template's graph lacks an edge this test expects idle: %v", graph.Edges)
	}
	m, err := st.ServiceMap(context.Background(), began, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range m.Edges {
		got = append(got, e.From+"->"+e.To)
	}
	slices.Sort(want)
	slices.Sort(got)
	t.Logf("service map edges since the test began: %v", got)
	if !slices.Equal(got, want) {
		var missing, extra []string
		for _, k := range want {
			if !slices.Contains(got, k) {
				missing = append(missing, k)
			}
		}
		for _, k := range got {
			if !slices.Contains(want, k) {
				extra = append(extra, k)
			}
		}
		t.Errorf("service map edges differ from the template's edges that carried traffic:\n  missing %v\n  not in the template %v\n  map %v", missing, extra, got)
	}
	// Each Aggregator invocation under a stream batch that links its
	// records' writes came through span links.
	linked := 0
	for _, a := range up.all(isInvocation("Aggregator")) {
		if b := up.byID[a.ParentID]; b != nil && b.Resource == "ChunksTable" && len(b.Links) > 0 {
			linked++
		}
	}
	for _, e := range m.Edges {
		if e.From == "ChunksTable" && e.To == "Aggregator" && (e.Links < linked || e.Links > e.Calls) {
			t.Errorf("ChunksTable -> Aggregator: %d calls, %d links; the upload's trace alone has %d Aggregator invocations under linking stream batches", e.Calls, e.Links, linked)
		}
	}
	t.Logf("Aggregator invocations under linking stream batches in the upload's trace: %d", linked)
}

// isUpload is the bucket put of the test's file.
func isUpload(s model.Span) bool {
	return s.Resource == "InputBucket" && s.Name == "PutObject" && s.Attributes["faas.document.name"] == "uploads/sample.fa"
}

// isInvocation is an invocation span of the function with logical id fn.
func isInvocation(fn string) func(model.Span) bool {
	return func(s model.Span) bool {
		return s.Resource == fn && s.Kind == model.KindServer && s.Function != "" && s.Attributes["faas.invocation_id"] != nil
	}
}

// jobsWrite is a write of the job to the jobs table by an invocation of fn.
func (g *traceGraph) jobsWrite(fn string) func(model.Span) bool {
	return func(s model.Span) bool {
		op := s.Attributes["faas.document.operation"]
		return s.Resource == "JobsTable" && (op == telemetry.DocInsert || op == telemetry.DocEdit) &&
			strings.Contains(fmt.Sprint(s.Attributes["faas.document.name"]), "sample") && g.upstreamIs(s, isInvocation(fn))
	}
}

func wantAttr(t *testing.T, s model.Span, key string, want any) {
	t.Helper()
	if got := s.Attributes[key]; got != want {
		t.Errorf("%s span %s (%s): %s = %v; want %v", s.Resource, s.Name, s.SpanID, key, got, want)
	}
}

func describe(s *model.Span) string {
	if s == nil {
		return "none"
	}
	return fmt.Sprintf("%s %q (%s)", s.Resource, s.Name, s.Kind)
}

// traceGraph indexes one trace's spans by id for walking parents and links.
type traceGraph struct {
	spans []model.Span
	byID  map[string]*model.Span
}

func newTraceGraph(spans []model.Span) *traceGraph {
	g := &traceGraph{spans: spans, byID: make(map[string]*model.Span, len(spans))}
	for i := range spans {
		g.byID[spans[i].SpanID] = &spans[i]
	}
	return g
}

func (g *traceGraph) all(pred func(model.Span) bool) []model.Span {
	var out []model.Span
	for _, s := range g.spans {
		if pred(s) {
			out = append(out, s)
		}
	}
	return out
}

func (g *traceGraph) find(pred func(model.Span) bool) *model.Span {
	for i := range g.spans {
		if pred(g.spans[i]) {
			return &g.spans[i]
		}
	}
	return nil
}

func (g *traceGraph) has(pred func(model.Span) bool) bool { return g.find(pred) != nil }

// upstream is the hop that called s's resource, the caller of an edge of
// the service map: s's nearest ancestor in another resource, or rather the
// span that ancestor's resource entered by, when the ancestor is an inner
// phase (an invocation's run span, whose children the function's SDK
// calls are).
func (g *traceGraph) upstream(s model.Span) *model.Span {
	for p := g.byID[s.ParentID]; p != nil; p = g.byID[p.ParentID] {
		if p.Resource == s.Resource {
			continue
		}
		for p.Kind == model.KindInternal {
			pp := g.byID[p.ParentID]
			if pp == nil || pp.Resource != p.Resource {
				break
			}
			p = pp
		}
		return p
	}
	return nil
}

// sources are the spans whose messages a batch span processes: its links,
// or its parent when it carries one message.
func (g *traceGraph) sources(b model.Span) []string {
	if len(b.Links) == 0 {
		return []string{b.ParentID}
	}
	ids := make([]string, len(b.Links))
	for i, l := range b.Links {
		ids[i] = l.SpanID
	}
	return ids
}

// wantBatches checks batch spans against the spans that sent their
// messages: each batch's sources are among them, started before it, its
// messaging.batch.message_count (when set) counts them, and the batches
// together carry every one.
func (g *traceGraph) wantBatches(t *testing.T, batches, sent, also []model.Span, what string) {
	t.Helper()
	covered := map[string]bool{}
	for _, b := range batches {
		from := g.sources(b)
		// Messages sent in one call share its context, so a batch has at
		// most as many distinct contexts as messages.
		if n, ok := b.Attributes["messaging.batch.message_count"].(float64); ok && (len(from) == 0 || int(n) < len(from)) {
			t.Errorf("batch %s: messaging.batch.message_count %v, but %d distinct messages' contexts (links %d, parent %q)", b.SpanID, n, len(from), len(b.Links), b.ParentID)
		}
		for _, id := range from {
			i := slices.IndexFunc(sent, func(x model.Span) bool { return x.SpanID == id })
			if i < 0 && slices.ContainsFunc(also, func(x model.Span) bool { return x.SpanID == id }) {
				continue // a record the batch may carry too, not one it must
			}
			if i < 0 {
				t.Errorf("batch %s %s is linked or parented to span %q, which is not a %s span of this trace", b.Resource, b.SpanID, id, what)
				continue
			}
			g.wantBefore(t, sent[i], b)
			covered[id] = true
		}
	}
	if len(covered) != len(sent) {
		t.Errorf("the batches carry %d of the %d %s spans", len(covered), len(sent), what)
	}
}

func (g *traceGraph) upstreamIs(s model.Span, pred func(model.Span) bool) bool {
	up := g.upstream(s)
	return up != nil && pred(*up)
}

// wantUpstream checks that s's nearest ancestor in another resource is
// caller, and that s started no earlier than caller.
func (g *traceGraph) wantUpstream(t *testing.T, s, caller model.Span) {
	t.Helper()
	if up := g.upstream(s); up == nil || up.SpanID != caller.SpanID {
		t.Errorf("%s: nearest ancestor in another resource is %s; want %s", describe(&s), describe(up), describe(&caller))
		return
	}
	g.wantBefore(t, caller, s)
}

// wantBefore checks causal order: a cause starts no later than its effect.
func (g *traceGraph) wantBefore(t *testing.T, cause, effect model.Span) {
	t.Helper()
	if effect.Start.Before(cause.Start) {
		t.Errorf("%s starts at %s, before its cause %s at %s", describe(&effect), effect.Start.Format(time.StampMicro), describe(&cause), cause.Start.Format(time.StampMicro))
	}
}

// reaches reports whether span id is s or a cause of s through parents
// and links, transitively.
func (g *traceGraph) reaches(s model.Span, id string) bool {
	seen := map[string]bool{}
	stack := []string{s.SpanID}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if cur == id {
			return true
		}
		sp := g.byID[cur]
		if sp == nil || seen[cur] {
			continue
		}
		seen[cur] = true
		stack = append(stack, sp.ParentID)
		for _, l := range sp.Links {
			stack = append(stack, l.SpanID)
		}
	}
	return false
}

// String lists the spans as a tree, for failure messages.
func (g *traceGraph) String() string {
	children := map[string][]model.Span{}
	for _, s := range g.spans {
		parent := s.ParentID
		if g.byID[parent] == nil {
			parent = ""
		}
		children[parent] = append(children[parent], s)
	}
	var b strings.Builder
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, s := range children[parent] {
			fmt.Fprintf(&b, "%s%s %q %s %s links %d%s\n", strings.Repeat("  ", depth), s.Resource, s.Name, s.Kind, s.SpanID, len(s.Links), hopAttrs(s))
			walk(s.SpanID, depth+1)
		}
	}
	walk("", 0)
	return b.String()
}

// hopAttrs are the attributes that tell hops apart, for failure messages.
func hopAttrs(s model.Span) string {
	var out []string
	for k, v := range s.Attributes {
		if strings.HasPrefix(k, "faas.document.") || strings.HasPrefix(k, "messaging.operation") || k == "faas.trigger" {
			out = append(out, fmt.Sprintf("%s=%v", k, v))
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return ""
	}
	return " {" + strings.Join(out, " ") + "}"
}
