package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
)

// dist is the built page: web/ built by Vite (make ui) into dist. On a
// clean clone it holds only placeholder.txt, and the page says how to build
// it.
//
//go:embed all:dist
var dist embed.FS

// Files is the built page (index.html, assets/...); without index.html
// when the page is not built.
func Files() fs.FS {
	sub, _ := fs.Sub(dist, "dist")
	return sub
}

// Built reports whether the page was built into the binary.
func Built() bool { return built(Files()) }

func built(fsys fs.FS) bool {
	_, err := fs.Stat(fsys, "index.html")
	return err == nil
}

// Handler serves the page: index.html at /, its files (/assets/...) by
// name, and when the page is not built a short page saying how to build
// it. Files whose names carry a content hash (app-3f9a1c2b.js) are cached
// for a year; the others are revalidated by their ETag. It serves GET and
// HEAD only and needs no token: the files hold no data.
func Handler() http.Handler { return newHandler(Files()) }

func newHandler(fsys fs.FS) http.Handler {
	return &static{fsys: fsys}
}

type static struct {
	fsys  fs.FS
	etags sync.Map // file name -> quoted ETag
}

// hashed matches a file name with a bundler's content hash before its
// extension.
var hashed = regexp.MustCompile(`[-.][A-Za-z0-9_]{8,}\.[a-z0-9]+$`)

func (s *static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the dashboard's files answer GET and HEAD only", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if name == "index.html" && !built(s.fsys) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte(notBuiltPage))
		return
	}
	b, err := fs.ReadFile(s.fsys, name)
	if err != nil || name == "placeholder.txt" {
		http.Error(w, r.URL.Path+" is not a file of the dashboard; the control API is under /v1/", http.StatusNotFound)
		return
	}
	if hashed.MatchString(name) && strings.HasPrefix(name, "assets/") {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", s.etag(name, b))
	}
	// ServeContent sets the type from the name and answers If-None-Match.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

func (s *static) etag(name string, b []byte) string {
	if v, ok := s.etags.Load(name); ok {
		return v.(string)
	}
	sum := sha256.Sum256(b)
	tag := `"` + hex.EncodeToString(sum[:8]) + `"`
	s.etags.Store(name, tag)
	return tag
}

// notBuiltPage is served at / by a binary built without the page.
const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stacklab dashboard</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}code{background:#f1f3f5;padding:.1em .3em}</style>
</head><body>
<h1>The dashboard is not built</h1>
<p>This stacklab binary was built without the dashboard's page. Build it with
<code>make ui</code> and then the binary (or run <code>make run</code>, which does both),
and start <code>stacklab up</code> again.</p>
<p>The control API works without it: <code>stacklab ls</code>, <code>stacklab traces</code>,
and every endpoint under <code>/v1/</code> with the control token.</p>
</body></html>
`
