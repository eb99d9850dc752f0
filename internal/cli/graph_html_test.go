package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/dashboard"
)

// 'stacklab graph --format html' writes one page that needs nothing else:
// the graph laid out in a stacklab-graph element, and either the
// dashboard's script and style inlined or, when it is not built, the SVG.
func TestGraphHTML(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"graph", validTemplate, "--format", "html", "-o", filepath.Join(dir, "a.html")},
		{"graph", validTemplate, "-o", filepath.Join(dir, "b.htm")},
	} {
		_, stderr, code := run(args...)
		if code != exitOK || !strings.Contains(stderr, "wrote ") {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
		b, err := os.ReadFile(args[len(args)-1])
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		m := regexp.MustCompile(`<script type="application/json" id="stacklab-graph">(.*?)</script>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("%v: no stacklab-graph element", args)
		}
		var g dashboard.Graph
		if err := json.Unmarshal([]byte(m[1]), &g); err != nil || len(g.Nodes) == 0 || g.Width <= 0 {
			t.Errorf("%v: graph %v, %+v", args, err, g)
		}
		if dashboard.Built() {
			if strings.Contains(page, `src="./assets/`) || strings.Contains(page, `href="./assets/`) {
				t.Errorf("%v: the page still loads files", args)
			}
		} else if !strings.Contains(page, "<svg") {
			t.Errorf("%v: without the dashboard, the page has no SVG", args)
		}
	}
}
