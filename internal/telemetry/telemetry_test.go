package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/stacklab/stacklab/internal/telemetry/export"
	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// otlpCounter is a minimal OTLP/HTTP receiver counting decoded spans by name.
type otlpCounter struct {
	mu    sync.Mutex
	names map[string]int
}

func (c *otlpCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.names[s.GetName()]++
			}
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func newTelemetry(t *testing.T, cfg Config) *Telemetry {
	t.Helper()
	tel, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Close(context.Background()) })
	return tel
}

// TestPipelineTrace drives the hops of an upload pipeline by hand (API ->
// bucket -> splitter -> queue -> scorer), carrying context through HTTP
// headers, object metadata and NATS headers as the hops will, and checks the
// stored trace, the service map, the bottleneck, the stats and the OTLP copy.
func TestPipelineTrace(t *testing.T) {
	rec := &otlpCounter{names: map[string]int{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	tel := newTelemetry(t, Config{Dir: t.TempDir(), Region: "local", Export: &export.Config{Endpoint: srv.URL}})
	t0 := time.Now().Add(-time.Minute)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

	// The gateway gets a garbage traceparent: a new root.
	in := http.Header{"Traceparent": {"00-garbage"}}
	ctx := tracectx.Extract(context.Background(), tracectx.HTTP(in))
	ctx, api := tel.StartSpanAt(ctx, "PUT /upload", Server, at(0), Resource("Api"), HTTPMethod("PUT"), HTTPRoute("/upload"), URLPath("/upload"))
	root := api.SpanContext()
	if !root.IsValid() {
		t.Fatal("the gateway span has no valid span context")
	}

	// The upload puts an object; its metadata carries the context.
	putCtx, put := tel.StartSpanAt(ctx, "PutObject", Client, at(5), Resource("Uploads"))
	meta := map[string]string{}
	tracectx.Inject(putCtx, tracectx.Map(meta))
	put.EndAt(at(15))
	api.SetAttributes(HTTPStatus(200))
	api.OK()
	api.EndAt(at(20))

	// The bucket event invokes the splitter.
	ectx := tracectx.Extract(context.Background(), tracectx.Map(meta))
	ectx, split := tel.StartSpanAt(ectx, "Splitter", Server, at(25),
		append(FaaSDocument("Uploads", DocInsert, "seq.fa"), FaaSName("Splitter"), FaaSTrigger(TriggerDatasource), FaaSColdstart(true), FaaSInvocationID("req-split"))...)
	var headers []nats.Header
	for i := 0; i < 2; i++ {
		sctx, send := tel.StartSpanAt(ectx, "Chunks send", Producer, at(30+i*5), Resource("Chunks"),
			MessagingSystem(SystemSQS), MessagingOperation(OpSend), MessagingDestination("Chunks"), MessagingMessageID(strconv.Itoa(i)))
		h := nats.Header{}
		tracectx.Inject(sctx, tracectx.NATS(h))
		headers = append(headers, h)
		send.EndAt(at(32 + i*5))
	}
	split.EndAt(at(45))
	tel.Record(model.Invocation{Function: "Splitter", Version: "1", RequestID: "req-split", TraceID: split.TraceID(),
		Trigger: TriggerDatasource, Start: at(25), InitDuration: 100 * time.Millisecond, Duration: 20 * time.Millisecond,
		MemorySizeMB: 128, Cold: true, Outcome: model.OutcomeOK})

	// The scorer receives both messages in one batch: the first is its
	// parent, both are links.
	first, ok := tracectx.SpanContextFrom(tracectx.NATS(headers[0]))
	if !ok {
		t.Fatal("no span context in the first message's headers")
	}
	bctx := tracectx.Extract(context.Background(), tracectx.NATS(headers[0]))
	_, score := tel.StartSpanAt(bctx, "Scorer", Consumer, at(50), FaaSName("Scorer"), FaaSTrigger(TriggerPubSub),
		MessagingSystem(SystemSQS), MessagingOperation(OpProcess), MessagingBatchCount(2))
	for _, h := range headers {
		sc, _ := tracectx.SpanContextFrom(tracectx.NATS(h))
		score.AddLink(sc)
	}
	score.AddEvent("retry", FaaSInvocationID("req-score"))
	score.Fail("timeout", "Task timed out after 3.00 seconds")
	score.EndAt(at(3050))
	tel.Record(model.Invocation{Function: "Scorer", Version: "1", RequestID: "req-score", TraceID: score.TraceID(),
		Trigger: TriggerPubSub, Start: at(50), Duration: 3 * time.Second, MemorySizeMB: 1024, Outcome: model.OutcomeTimeout})

	ctxT, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tel.Flush(ctxT); err != nil {
		t.Fatal(err)
	}

	// One trace, causally linked.
	view, err := tel.Trace(ctxT, root.TraceID().String())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]model.Span{}
	for _, s := range view.Spans {
		byName[s.Name] = s
	}
	if len(view.Spans) != 6 {
		t.Fatalf("trace has %d spans, want 6: %v", len(view.Spans), byName)
	}
	parentOf := map[string]string{"PutObject": "PUT /upload", "Splitter": "PutObject", "Chunks send": "Splitter"}
	for child, parent := range parentOf {
		if byName[child].ParentID != byName[parent].SpanID {
			t.Errorf("%s's parent = %s, want %s (%s)", child, byName[child].ParentID, parent, byName[parent].SpanID)
		}
	}
	scorer := byName["Scorer"]
	if scorer.ParentID != first.SpanID().String() || len(scorer.Links) != 2 || scorer.Status != model.StatusError || scorer.Kind != model.KindConsumer {
		t.Errorf("scorer span = %+v, want parent = first message, 2 links, error, consumer", scorer)
	}
	if scorer.Attributes["error.type"] != "timeout" || scorer.Attributes["messaging.batch.message_count"] != 2.0 || len(scorer.Events) != 1 {
		t.Errorf("scorer attributes %v events %v", scorer.Attributes, scorer.Events)
	}
	if s := byName["Splitter"]; s.Function != "Splitter" || s.Resource != "Splitter" || s.Attributes["faas.coldstart"] != true {
		t.Errorf("splitter span = %+v", s)
	}
	if !view.Path.OnPath(scorer.SpanID) || view.Path.Total() != 3050*time.Millisecond {
		t.Errorf("critical path %+v should end with the scorer and last 3.05s", view.Path)
	}

	// The service map has exactly the hops that carried traffic.
	m, err := tel.ServiceMap(ctxT, t0.Add(-time.Second), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var edges []string
	for _, e := range m.Edges {
		edges = append(edges, e.From+"->"+e.To)
	}
	want := []string{"Api->Uploads", "Chunks->Scorer", "Splitter->Chunks", "Uploads->Splitter"}
	if len(edges) != len(want) {
		t.Fatalf("edges = %v, want %v", edges, want)
	}
	for i := range want {
		if edges[i] != want[i] {
			t.Errorf("edges = %v, want %v", edges, want)
			break
		}
	}
	if len(m.Bottleneck) == 0 || m.Bottleneck[0].Resource != "Scorer" || m.Traces != 1 {
		t.Errorf("bottleneck = %+v over %d traces, want Scorer first over 1", m.Bottleneck, m.Traces)
	}

	// Invocation records are billed.
	stats, err := tel.Store().Stats(ctxT, store.StatsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 2 || stats[0].Function != "Scorer" || stats[0].Errors != 1 || stats[1].ColdStarts != 1 {
		t.Fatalf("stats = %+v", stats)
	}
	if want := 3.0*model.DefaultPrices.PerGBSecond + model.DefaultPrices.PerRequest; stats[0].Cost != want {
		t.Errorf("scorer cost = %v, want %v", stats[0].Cost, want)
	}

	st := tel.Status()
	if st.Dropping || st.Store == nil || st.Store.WrittenSpans != 6 || st.Store.WrittenInvocations != 2 {
		t.Errorf("status = %+v / store %+v, want 6 spans and 2 records written, no drops", st, st.Store)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.names["Chunks send"] != 2 || rec.names["Scorer"] != 1 || len(rec.names) != 5 {
		t.Errorf("OTLP receiver got %v, want the same 6 spans", rec.names)
	}
}

func TestNilTelemetryRecordsNothing(t *testing.T) {
	var tel *Telemetry
	ctx, s := tel.StartSpan(context.Background(), "x", Server, Resource("Fn"))
	s.SetAttributes(FaaSName("Fn"))
	s.AddEvent("e")
	s.RecordError(errors.New("boom"))
	s.Fail("timeout", "late")
	s.OK()
	s.AddLink(s.SpanContext())
	s.End()
	s.EndAt(time.Now())
	if ctx != context.Background() || s.TraceID() != "" {
		t.Error("a nil Telemetry should leave the context alone and give an empty span")
	}
	if tel.Record(model.Invocation{}) {
		t.Error("Record on nil Telemetry reported stored")
	}
	if _, err := tel.Trace(ctx, "x"); !errors.Is(err, ErrNoStore) {
		t.Errorf("Trace on nil: err = %v, want ErrNoStore", err)
	}
	if tel.Status().Dropping || tel.Flush(ctx) != nil || tel.Close(ctx) != nil || tel.Store() != nil {
		t.Error("nil Telemetry methods should be no-ops")
	}
}

func TestTelemetryWithoutStore(t *testing.T) {
	tel := newTelemetry(t, Config{})
	ctx, s := tel.StartSpan(context.Background(), "x", Internal)
	s.End()
	if !s.SpanContext().IsValid() {
		t.Error("spans should still have identities to propagate without a store")
	}
	if tel.Record(model.Invocation{Function: "Fn", Outcome: model.OutcomeOK}) {
		t.Error("Record without a store reported stored")
	}
	if _, err := tel.ServiceMap(ctx, time.Time{}, time.Time{}, 0); !errors.Is(err, ErrNoStore) {
		t.Errorf("ServiceMap without store: err = %v, want ErrNoStore", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(context.Background(), Config{Prices: &model.Prices{PerGBSecond: -1}}); err == nil {
		t.Error("negative price accepted")
	}
	if _, err := New(context.Background(), Config{Export: &export.Config{Endpoint: "ftp://x"}}); err == nil {
		t.Error("bad export endpoint accepted")
	}
}

func TestTraceIDsAreXRayRoots(t *testing.T) {
	tid, sid := xrayIDs{}.NewIDs(context.Background())
	if !tid.IsValid() || !sid.IsValid() {
		t.Fatal("invalid ids")
	}
	epoch, err := strconv.ParseInt(tid.String()[:8], 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(time.Unix(epoch, 0)); d < -24*time.Hour || d > 24*time.Hour {
		t.Errorf("trace id %s starts with epoch %d, not today's", tid, epoch)
	}
}

// Fail sets the attributes given with it as well as error.type; with no
// kind, only those.
func TestFailSetsAttributes(t *testing.T) {
	tel := newTelemetry(t, Config{Dir: t.TempDir()})
	ctx, s := tel.StartSpan(context.Background(), "fn", Server, Resource("Fn"), FaaSName("Fn"))
	_, c := tel.StartSpan(ctx, "run", Internal, Resource("Fn"))
	s.Fail("timeout", "Task timed out", FaaSColdstart(true), FaaSInstance("i-1"))
	c.Fail("", "stopped", HTTPStatus(503))
	c.End()
	s.End()
	ctxT, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tel.Flush(ctxT); err != nil {
		t.Fatal(err)
	}
	view, err := tel.Trace(ctxT, s.TraceID())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{
		"fn":  {"stacklab.resource": "Fn", "faas.name": "Fn", "faas.coldstart": true, "faas.instance": "i-1", "error.type": "timeout"},
		"run": {"stacklab.resource": "Fn", "http.response.status_code": 503.0},
	}
	for _, sp := range view.Spans {
		if sp.Status != model.StatusError {
			t.Errorf("%s: got status %v, want error", sp.Name, sp.Status)
		}
		if fmt.Sprint(sp.Attributes) != fmt.Sprint(want[sp.Name]) {
			t.Errorf("%s: got attributes %v, want %v", sp.Name, sp.Attributes, want[sp.Name])
		}
	}
	if len(view.Spans) != 2 {
		t.Errorf("got %d spans, want 2", len(view.Spans))
	}
}
