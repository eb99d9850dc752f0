package runtime

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSourceHashFollowsLocalImports: a function's build hash changes when
// a package of its module that it imports (directly or through another)
// changes, and not when an unrelated package does.
func TestSourceHashFollowsLocalImports(t *testing.T) {
	root := t.TempDir()
	write := func(rel, text string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/shop\n\ngo 1.22\n")
	write("functions/api/main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/shop/pipeline\"\n)\n\nfunc main() { fmt.Println(pipeline.Name) }\n")
	write("pipeline/pipeline.go", "package pipeline\n\nimport \"example.com/shop/pipeline/score\"\n\nvar Name = score.Best\n")
	write("pipeline/score/score.go", "package score\n\nconst Best = \"a\"\n")
	write("unrelated/u.go", "package unrelated\n")
	fn := filepath.Join(root, "functions/api")
	hash := func() string {
		t.Helper()
		h, err := sourceHash(fn)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h0 := hash()
	write("unrelated/u.go", "package unrelated\n\nvar X = 1\n")
	if h := hash(); h != h0 {
		t.Errorf("an unrelated package changed the hash")
	}
	write("pipeline/score/score.go", "package score\n\nconst Best = \"b\"\n")
	h1 := hash()
	if h1 == h0 {
		t.Errorf("a package imported through another did not change the hash")
	}
	write("pipeline/pipeline.go", "package pipeline\n\nimport \"example.com/shop/pipeline/score\"\n\nvar Name = score.Best + \"!\"\n")
	if h := hash(); h == h1 {
		t.Errorf("a package imported directly did not change the hash")
	}
	if got := modulePath(filepath.Join(root, "go.mod")); got != "example.com/shop" {
		t.Errorf("modulePath = %q", got)
	}
}
