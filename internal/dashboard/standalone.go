package dashboard

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// GraphElementID is the id of the element that carries a graph inside a
// standalone page: <script type="application/json" id="stacklab-graph">.
// The page shows only the architecture view when it finds it.
const GraphElementID = "stacklab-graph"

var (
	scriptTag     = regexp.MustCompile(`(?is)<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["'][^>]*>\s*</script>`)
	stylesheetTag = regexp.MustCompile(`(?is)<link\b[^>]*\brel\s*=\s*["']stylesheet["'][^>]*>`)
	hrefAttr      = regexp.MustCompile(`(?is)\bhref\s*=\s*["']([^"']+)["']`)
	preloadTag    = regexp.MustCompile(`(?is)<link\b[^>]*\brel\s*=\s*["']modulepreload["'][^>]*>`)
)

// Standalone writes one self-contained page that works offline: the built
// page's index.html with its scripts and stylesheets inlined, and g in a
// <script type="application/json" id="stacklab-graph"> element. It returns
// false, writing nothing, when the page is not built.
func Standalone(w io.Writer, g Graph) (bool, error) { return standalone(w, Files(), g) }

func standalone(w io.Writer, fsys fs.FS, g Graph) (bool, error) {
	index, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		return false, nil
	}
	read := func(ref string) ([]byte, error) {
		name := strings.TrimPrefix(path.Clean("/"+strings.SplitN(ref, "?", 2)[0]), "/")
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("inlining %s of the built dashboard: %w", ref, err)
		}
		return b, nil
	}
	var ferr error // the first file that could not be read
	page := scriptTag.ReplaceAllStringFunc(string(index), func(tag string) string {
		js, err := read(scriptTag.FindStringSubmatch(tag)[1])
		if err != nil {
			ferr = cmp.Or(ferr, err)
			return tag
		}
		typ := ""
		if strings.Contains(strings.ToLower(tag), `type="module"`) {
			typ = ` type="module"`
		}
		return "<script" + typ + ">" + escapeClosing(string(js), "</script") + "</script>"
	})
	page = stylesheetTag.ReplaceAllStringFunc(page, func(tag string) string {
		m := hrefAttr.FindStringSubmatch(tag)
		if m == nil {
			return tag
		}
		css, err := read(m[1])
		if err != nil {
			ferr = cmp.Or(ferr, err)
			return tag
		}
		return "<style>" + escapeClosing(string(css), "</style") + "</style>"
	})
	page = preloadTag.ReplaceAllString(page, "")
	if ferr != nil {
		return true, ferr
	}
	// json.Marshal escapes <, > and &, so the data cannot end the element.
	data, err := json.Marshal(g)
	if err != nil {
		return true, err
	}
	elem := `<script type="application/json" id="` + GraphElementID + `">` + string(data) + "</script>\n"
	if i := strings.Index(strings.ToLower(page), "</head>"); i >= 0 {
		page = page[:i] + elem + page[i:]
	} else {
		page = elem + page
	}
	_, err = io.WriteString(w, page)
	return true, err
}

// escapeClosing breaks every case-insensitive occurrence of closing (such
// as "</script") in inlined code so that it cannot end its element: "<\/".
func escapeClosing(s, closing string) string {
	lower := strings.ToLower(s)
	if !strings.Contains(lower, closing) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, closing)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+1])
		b.WriteString(`\`)
		s, lower = s[i+1:], lower[i+1:]
	}
}

// StandaloneSVG writes the page used when the dashboard is not built: the
// stack's SVG with a title, and g in the same JSON element.
func StandaloneSVG(w io.Writer, title string, svg []byte, g Graph) error {
	data, err := json.Marshal(g)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}svg{max-width:100%%;height:auto}</style>
<script type="application/json" id="%s">%s</script>
</head><body>
<h1>%s</h1>
`, html.EscapeString(title), GraphElementID, data, html.EscapeString(title))
	// Inside HTML the SVG needs no XML declaration.
	if bytes.HasPrefix(svg, []byte("<?xml")) {
		if i := bytes.Index(svg, []byte("?>")); i >= 0 {
			svg = bytes.TrimLeft(svg[i+2:], "\r\n")
		}
	}
	b.Write(svg)
	b.WriteString("\n<p>Drawn by stacklab graph. Build the dashboard (make ui) for the interactive view.</p>\n</body></html>\n")
	_, err = w.Write(b.Bytes())
	return err
}
