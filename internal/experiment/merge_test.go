package experiment

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/template"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the merged template differs from %s (go test -update rewrites it); got:\n%s", file, got)
	}
}

func loadSpec(t *testing.T, file string) *Spec {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// A relative file name keeps absolute paths out of the golden files.
	s, err := Parse(file, src)
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	return s
}

func TestMergeGolden(t *testing.T) {
	tests := []struct{ name, file string }{
		{"genome-search", "../../examples/genome-search/experiment.yaml"},
		{"shop", "testdata/shop/experiment.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := loadSpec(t, tt.file)
			m, err := Merge(s, template.Options{})
			if err != nil {
				t.Fatalf("Merge: %v", err)
			}
			golden(t, filepath.Join("testdata", tt.name+".golden"), append(m.Source, '\n'))
			if !json.Valid(m.Source) {
				t.Fatalf("the merged source is not JSON")
			}
			// Prepare loads and builds the merged stack.
			if _, err := Prepare(s, template.Options{}); err != nil {
				t.Fatalf("Prepare: %v", err)
			}
		})
	}
}

// resourcesOf decodes the merged template's resources.
func resourcesOf(t *testing.T, src []byte) map[string]map[string]any {
	t.Helper()
	var doc struct {
		Resources map[string]map[string]any
	}
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Resources
}

func TestMergeShop(t *testing.T) {
	s := loadSpec(t, "testdata/shop/experiment.yaml")
	m, err := Merge(s, template.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := resourcesOf(t, m.Source)
	for _, id := range []string{"SlowFn", "FastFn", "SlowServerlessHttpApi", "FastServerlessHttpApi", "SlowServerlessRestApi", "FastServerlessRestApi", "SlowOrders", "FastExtra"} {
		if res[id] == nil {
			t.Errorf("no resource %s in the merged template", id)
		}
	}
	if len(res) != 14 {
		t.Errorf("%d resources, want 14 (5 of the template and 2 implicit APIs per variant)", len(res))
	}
	str := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	props := func(id string) map[string]any { return res[id]["Properties"].(map[string]any) }
	env := func(id string) map[string]any {
		return props(id)["Environment"].(map[string]any)["Variables"].(map[string]any)
	}
	checks := []struct{ what, got, want string }{
		{"fast's HttpApi event", str(props("FastFn")["Events"].(map[string]any)["Get"].(map[string]any)["Properties"].(map[string]any)["ApiId"]), `{"Ref":"FastServerlessHttpApi"}`},
		{"fast's Api event", str(props("FastFn")["Events"].(map[string]any)["Post"].(map[string]any)["Properties"].(map[string]any)["RestApiId"]), `{"Ref":"FastServerlessRestApi"}`},
		{"slow's MemorySize from Globals", str(props("SlowFn")["MemorySize"]), `{"Ref":"SlowMemory"}`},
		{"fast's Worker MemorySize from Globals", str(props("FastWorker")["MemorySize"]), `{"Ref":"FastMemory"}`},
		{"fast's patched MemorySize", str(props("FastFn")["MemorySize"]), `1024`},
		{"!Sub", str(env("FastFn")["WHERE"]), `{"Fn::Sub":"${FastStore}/${FastStore.Arn}/stacklab-fast/${AWS::Region}"}`},
		{"list-form !Sub", str(env("SlowFn")["LOCAL"]), `{"Fn::Sub":["${SlowOrders}:${Thing}",{"Thing":{"Ref":"SlowStore"}}]}`},
		{"!GetAtt string form", str(env("FastFn")["QUEUE_ARN"]), `{"Fn::GetAtt":["FastOrders","Arn"]}`},
		{"!GetAtt list form", str(env("FastFn")["QUEUE_NAME"]), `{"Fn::GetAtt":["FastOrders","QueueName"]}`},
		{"!FindInMap", str(env("FastFn")["BATCH"]), `{"Fn::FindInMap":["FastSizes",{"Ref":"FastMode"},"Batch"]}`},
		{"!If", str(env("FastFn")["EXTRA"]), `{"Fn::If":["FastIsFast",{"Ref":"FastExtra"},"none"]}`},
		{"literal name used in an env var", str(env("FastFn")["STORE"]), `"fast-shop-store"`},
		{"QueueName", str(props("FastOrders")["QueueName"]), `"fast-shop-orders"`},
		{"BucketName", str(props("SlowStore")["BucketName"]), `"slow-shop-store"`},
		{"FunctionName by !Sub", str(props("FastFn")["FunctionName"]), `{"Fn::Join":["",["fast-",{"Fn::Sub":"stacklab-fast-fn"}]]}`},
		{"DependsOn string", str(res["FastFn"]["DependsOn"]), `"FastOrders"`},
		{"DependsOn list", str(res["FastWorker"]["DependsOn"]), `["FastFn","FastStore"]`},
		{"Condition", str(res["FastExtra"]["Condition"]), `"FastIsFast"`},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %s, want %s", c.what, c.got, c.want)
		}
	}
	var doc map[string]map[string]any
	json.Unmarshal(m.Source, &doc)
	if got := str(doc["Parameters"]["FastMode"].(map[string]any)["Default"]); got != `"fast"` {
		t.Errorf("fast's Mode default %s, want \"fast\" (its parameter override)", got)
	}
	if got := str(doc["Parameters"]["SlowMode"].(map[string]any)["Default"]); got != `"slow"` {
		t.Errorf("slow's Mode default %s, want \"slow\"", got)
	}
	if got := str(doc["Conditions"]["FastIsFast"]); got != `{"Fn::Equals":[{"Ref":"FastMode"},"fast"]}` {
		t.Errorf("fast's condition %s", got)
	}
	if got := m.Variants[1]; got.Prefix != "Fast" || got.NamePrefix != "fast-" || got.Description != "Mode=fast, Resources.Fn.Properties.MemorySize=1024" {
		t.Errorf("fast is prepared as %+v", got)
	}
	if got := m.Variants[0].Description; got != "the base template" {
		t.Errorf("slow's description %q", got)
	}
}

func TestPrepareTargets(t *testing.T) {
	s := loadSpec(t, "testdata/shop/experiment.yaml")
	tests := []struct {
		name  string
		set   func(w *Workload)
		check func(t *testing.T, i int, tg *Target)
	}{
		{"route", func(w *Workload) {}, func(t *testing.T, i int, tg *Target) {
			want := "/_api/" + []string{"Slow", "Fast"}[i] + "ServerlessHttpApi/items/{id}"
			if tg.Kind != "route" || tg.Method != "GET" || tg.Path != want {
				t.Errorf("target %s %s %s, want route GET %s", tg.Kind, tg.Method, tg.Path, want)
			}
		}},
		{"rest route", func(w *Workload) { w.Route = "POST /orders"; w.Params = nil }, func(t *testing.T, i int, tg *Target) {
			want := "/_api/" + []string{"Slow", "Fast"}[i] + "ServerlessRestApi/Prod/orders"
			if tg.Kind != "route" || tg.Method != "POST" || tg.Path != want {
				t.Errorf("target %s %s %s, want route POST %s", tg.Kind, tg.Method, tg.Path, want)
			}
		}},
		{"queue", func(w *Workload) { w.Route, w.Queue = "", "Orders" }, func(t *testing.T, i int, tg *Target) {
			if want := []string{"slow", "fast"}[i] + "-shop-orders"; tg.Kind != "queue" || tg.Name != want {
				t.Errorf("target %s %s, want queue %s", tg.Kind, tg.Name, want)
			}
		}},
		{"bucket", func(w *Workload) { w.Route, w.Bucket, w.Payload = "", "Store", "x" }, func(t *testing.T, i int, tg *Target) {
			if want := []string{"slow", "fast"}[i] + "-shop-store"; tg.Kind != "bucket" || tg.Name != want {
				t.Errorf("target %s %s, want bucket %s", tg.Kind, tg.Name, want)
			}
		}},
		{"function", func(w *Workload) { w.Route, w.Function = "", "Fn" }, func(t *testing.T, i int, tg *Target) {
			v := []string{"slow", "fast"}[i]
			if want := v + "-stacklab-" + v + "-fn"; tg.Kind != "function" || tg.Name != want {
				t.Errorf("target %s %s, want function %s", tg.Kind, tg.Name, want)
			}
			if want := []int{256, 1024}[i]; tg.MemoryMB["Fn"] != want || tg.MemoryMB["Worker"] != 256 {
				t.Errorf("memory %v, want Fn %d MB and Worker 256 MB", tg.MemoryMB, want)
			}
			if tg.Functions[tg.Name] != "Fn" || len(tg.Functions) != 2 {
				t.Errorf("functions %v, want Fn and Worker", tg.Functions)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *s
			tt.set(&c.Workload)
			p, err := Prepare(&c, template.Options{})
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			if len(p.Targets) != 2 {
				t.Fatalf("%d targets, want 2", len(p.Targets))
			}
			for i, tg := range p.Targets {
				if tg.Variant != c.Variants[i].Name {
					t.Errorf("target %d is of variant %s, want %s", i, tg.Variant, c.Variants[i].Name)
				}
				tt.check(t, i, tg)
			}
		})
	}
}

func TestPrepareErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(s *Spec)
		want []string
	}{
		{"parameter override", func(s *Spec) { s.Variants[1].Parameters = map[string]string{"Nope": "1"} },
			[]string{"variant fast: the template has no parameter Nope", "Memory, Mode"}},
		{"shared parameter", func(s *Spec) { s.Parameters = map[string]string{"Nope": "1"} },
			[]string{"no parameter Nope", "Memory, Mode"}},
		{"patch of a missing resource", func(s *Spec) { s.Variants[1].Patch = map[string]any{"Resources.Nope.Properties.MemorySize": 1} },
			[]string{"patch Resources.Nope.Properties.MemorySize", "Resources.Nope is not in the template"}},
		{"bucket", func(s *Spec) { s.Workload.Route, s.Workload.Bucket, s.Workload.Payload = "", "Nope", "x" },
			[]string{"no bucket Nope", "Store"}},
		{"queue", func(s *Spec) { s.Workload.Route, s.Workload.Queue = "", "Nope" },
			[]string{"no queue Nope", "the queues are Orders"}},
		{"function", func(s *Spec) { s.Workload.Route, s.Workload.Function = "", "Nope" },
			[]string{"no function Nope", "Fn, Worker"}},
		{"route", func(s *Spec) { s.Workload.Route = "GET /nope" },
			[]string{"no route GET /nope", "GET /items/{id}", "POST /orders"}},
		{"route params", func(s *Spec) { s.Workload.Params = nil },
			[]string{"needs params: {id: ...}"}},
		{"hypothesis function", func(s *Spec) { s.Hypothesis[1].Function = "Nope" },
			[]string{"variant slow has no function Nope", "Fn, Worker"}},
		{"variant template", func(s *Spec) { s.Variants[1].Template = "missing.yaml" },
			[]string{"variant fast: reading its template", "missing.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := loadSpec(t, "testdata/shop/experiment.yaml")
			tt.edit(s)
			_, err := Prepare(s, template.Options{})
			if err == nil {
				t.Fatalf("Prepare gave no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to say %q", err, w)
				}
			}
		})
	}
}

// A variant whose prefix begins another's ("Mem" of "Mem2") gets its own
// API's route, whatever the order of the variants.
func TestPrepareRoutePrefix(t *testing.T) {
	for _, names := range [][]string{{"mem-2", "mem"}, {"mem", "mem-2"}} {
		s := loadSpec(t, "testdata/shop/experiment.yaml")
		s.Variants = []Variant{{Name: names[0]}, {Name: names[1]}}
		s.Baseline = names[0]
		p, err := Prepare(s, template.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i, tg := range p.Targets {
			if want := "/_api/" + camel(names[i]) + "ServerlessHttpApi/items/{id}"; tg.Path != want {
				t.Errorf("variants %v: %s's route is %s, want %s", names, tg.Variant, tg.Path, want)
			}
		}
	}
}
