package dashboard

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

var builtFS = fstest.MapFS{
	"index.html": {Data: []byte(`<!doctype html><html><head><title>stacklab</title>
<script type="module" crossorigin src="./assets/app.js"></script>
<link rel="modulepreload" href="./assets/vendor.js">
<link rel="stylesheet" crossorigin href="./assets/app.css">
</head><body><div id="app"></div></body></html>`)},
	"assets/app.js":            {Data: []byte(`console.log("</script>"); document.title = "app";`)},
	"assets/app.css":           {Data: []byte(`body { color: red }`)},
	"assets/chunk-3f9a1c2b.js": {Data: []byte(`export const x = 1;`)},
	"placeholder.txt":          {Data: []byte("placeholder")},
}

func get(t *testing.T, h http.Handler, method, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestHandler(t *testing.T) {
	h := newHandler(builtFS)
	for _, c := range []struct {
		method, path string
		code         int
		body, cache  string
	}{
		{"GET", "/", 200, `<div id="app">`, "no-cache"},
		{"GET", "/index.html", 200, `<div id="app">`, "no-cache"},
		{"HEAD", "/", 200, "", "no-cache"},
		{"GET", "/assets/app.js", 200, `document.title`, "no-cache"},
		{"GET", "/assets/chunk-3f9a1c2b.js", 200, "export const", "immutable"},
		{"GET", "/assets/nope.js", 404, "not a file of the dashboard", ""},
		{"GET", "/placeholder.txt", 404, "", ""},
		{"GET", "/../../etc/passwd", 404, "", ""},
		{"POST", "/", 405, "GET and HEAD only", ""},
	} {
		resp := get(t, h, c.method, c.path)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != c.code || !strings.Contains(string(body), c.body) || !strings.Contains(resp.Header.Get("Cache-Control"), c.cache) {
			t.Errorf("%s %s: %d %q (Cache-Control %q); want %d with %q and %q", c.method, c.path, resp.StatusCode, body, resp.Header.Get("Cache-Control"), c.code, c.body, c.cache)
		}
	}
	resp := get(t, h, "GET", "/assets/app.css")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("app.css served as %q", ct)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on a file without a hash in its name")
	}
	if again := get(t, h, "GET", "/assets/app.css", "If-None-Match", etag); again.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with the ETag: %d, want 304", again.StatusCode)
	}
}

func TestHandlerNotBuilt(t *testing.T) {
	h := newHandler(fstest.MapFS{"placeholder.txt": {Data: []byte("x")}})
	resp := get(t, h, "GET", "/")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "make ui") || !strings.Contains(string(body), "make run") {
		t.Errorf("GET / without the page: %d %s", resp.StatusCode, body)
	}
	// The binary as built here: whatever dist holds, / answers.
	if resp := get(t, Handler(), "GET", "/"); resp.StatusCode != 200 {
		t.Errorf("GET / of the embedded files: %d", resp.StatusCode)
	}
}

func TestStandalone(t *testing.T) {
	g := Graph{Version: 0, Width: 100, Height: 50, Nodes: []Node{{ID: "A", Label: "</script><b>"}}, Edges: []Edge{}, Groups: []Group{}}
	var b bytes.Buffer
	ok, err := standalone(&b, builtFS, g)
	if !ok || err != nil {
		t.Fatalf("standalone: %v, %v", ok, err)
	}
	page := b.String()
	for _, want := range []string{`<script type="module">console.log("<\/script>"); document.title = "app";</script>`,
		`<style>body { color: red }</style>`, `<script type="application/json" id="stacklab-graph">{"version":0,`, `\u003c/script\u003e`} {
		if !strings.Contains(page, want) {
			t.Errorf("page has no %s:\n%s", want, page)
		}
	}
	for _, gone := range []string{`src="./assets/app.js"`, `href="./assets/app.css"`, "modulepreload"} {
		if strings.Contains(page, gone) {
			t.Errorf("page still refers to %s:\n%s", gone, page)
		}
	}
	b.Reset()
	if ok, err := standalone(&b, fstest.MapFS{}, g); ok || err != nil || b.Len() > 0 {
		t.Errorf("standalone without the page: %v, %v, %d bytes; want false and nothing", ok, err, b.Len())
	}
	broken := fstest.MapFS{"index.html": builtFS["index.html"]}
	if _, err := standalone(&b, broken, g); err == nil || !strings.Contains(err.Error(), "assets/app.js") {
		t.Errorf("standalone with a missing script: %v", err)
	}
}

func TestStandaloneSVG(t *testing.T) {
	var b bytes.Buffer
	svg := []byte("<?xml version=\"1.0\"?>\n<svg><text>a</text></svg>")
	if err := StandaloneSVG(&b, "stack <x>", svg, Graph{}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<?xml") || !strings.Contains(page, "<svg><text>a</text></svg>") || !strings.Contains(page, "stack &lt;x&gt;") ||
		!strings.Contains(page, `id="stacklab-graph"`) {
		t.Errorf("page:\n%s", page)
	}
}

func TestExperiments(t *testing.T) {
	dir := t.TempDir()
	write := func(id, body string) {
		os.MkdirAll(filepath.Join(dir, id), 0o755)
		if body != "" {
			os.WriteFile(filepath.Join(dir, id, "report.json"), []byte(body), 0o644)
		}
	}
	write("mem-20261120-100000", `{"name":"mem","started":"2026-11-20T10:00:00Z","clauses":[{"text":"p95 drops","verdict":"confirmed","ratio":{}}]}`)
	write("mem-20261121-100000", `{"name":"mem","started":"2026-11-21T10:00:00Z"}`)
	write("running", "")
	write("broken", "{")
	list, err := Experiments(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "mem-20261121-100000" || len(list[0].Verdicts) != 0 || list[0].Verdicts == nil ||
		list[1].Verdicts[0] != (Verdict{Text: "p95 drops", Verdict: "confirmed"}) || !list[1].Started.Equal(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("Experiments = %+v", list)
	}
	if list, err := Experiments(filepath.Join(dir, "none")); err != nil || list == nil || len(list) != 0 {
		t.Errorf("Experiments of a missing folder = %v, %v; want an empty list", list, err)
	}
	for _, c := range []struct {
		id, name string
		ok       bool
	}{
		{"mem-20261120-100000", "report.json", true},
		{"mem-20261120-100000", "report.html", false},
		{"nope", "report.json", false},
		{"..", "report.json", false},
		{"a/../mem-20261120-100000", "report.json", false},
		{"", "report.json", false},
	} {
		_, err := ExperimentFile(dir, c.id, c.name)
		if (err == nil) != c.ok {
			t.Errorf("ExperimentFile(%q, %q) = %v", c.id, c.name, err)
		}
	}
}
