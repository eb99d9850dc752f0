package runtime

import (
	"bufio"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// localPackageDirs are the folders of the packages of its own module that
// the Go package in dir imports, directly or not: a function built from
// examples/x/functions/api that imports examples/x/pipeline must be built
// again when pipeline changes. Packages of other modules are pinned by
// go.sum and not followed; imports are read from the files alone (build
// tags are ignored, which can only add folders).
func localPackageDirs(dir, root string) []string {
	modPath := modulePath(filepath.Join(root, "go.mod"))
	if modPath == "" {
		return nil
	}
	start, _ := filepath.Abs(dir)
	seen := map[string]bool{start: true}
	queue := []string{start}
	var out []string
	fset := token.NewFileSet()
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		files, _ := filepath.Glob(filepath.Join(d, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
			if err != nil {
				continue // go build reports it
			}
			for _, imp := range af.Imports {
				path, err := strconv.Unquote(imp.Path.Value)
				if err != nil {
					continue
				}
				rest, ok := strings.CutPrefix(path, modPath+"/")
				if !ok {
					continue
				}
				dep := filepath.Join(root, filepath.FromSlash(rest))
				if !seen[dep] {
					seen[dep] = true
					queue = append(queue, dep)
					out = append(out, dep)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// modulePath is the module path a go.mod declares, or "".
func modulePath(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}
