package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/stacklab/stacklab/internal/runtime/bootstrap"
)

// Source is a function's code as a template gives it.
type Source struct {
	Name        string // for messages
	Runtime     string // python3.12, nodejs20.x, go1.x, provided.al2023, ...
	Handler     string
	CodeDir     string // CodeUri, resolved against the template's folder
	BuildMethod string // Metadata.BuildMethod
}

// Builder turns function sources into commands that speak the Runtime API,
// building Go functions once per content hash under its cache folder.
type Builder struct {
	Dir string // cache: <Dir>/go/<hash>/bootstrap, <Dir>/bootstrap/...

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// BuildError is a failed build, with the compiler's output.
type BuildError struct {
	Function string
	Output   string
	Err      error
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("building %s: %v\n%s", e.Function, e.Err, strings.TrimSpace(e.Output))
}

// Prepare returns the command that runs src's handler and the folder it
// runs in (LAMBDA_TASK_ROOT). Go sources are built (or taken from the
// cache); Python and Node.js run under stacklab's bootstraps.
func (b *Builder) Prepare(ctx context.Context, src Source) ([]string, error) {
	if src.CodeDir == "" {
		return nil, fmt.Errorf("function %s: no CodeUri; give the folder of its code", src.Name)
	}
	st, err := os.Stat(src.CodeDir)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("function %s: CodeUri %s is not a folder on this machine", src.Name, src.CodeDir)
	}
	rt := src.Runtime
	switch {
	case strings.HasPrefix(rt, "python3"):
		py, err := interpreter("python3", "import sys; print(sys.executable)")
		if err != nil {
			return nil, fmt.Errorf("function %s: runtime %s needs python3 on this machine (apt-get install python3): %w", src.Name, rt, err)
		}
		boot, err := b.bootstrapFile("bootstrap.py", bootstrap.Python)
		if err != nil {
			return nil, err
		}
		return []string{py, "-u", boot}, nil
	case strings.HasPrefix(rt, "nodejs"):
		node, err := interpreter("node", "console.log(process.execPath)")
		if err != nil {
			return nil, fmt.Errorf("function %s: runtime %s needs node on this machine (apt-get install nodejs): %w", src.Name, rt, err)
		}
		boot, err := b.bootstrapFile("bootstrap.js", bootstrap.Node)
		if err != nil {
			return nil, err
		}
		return []string{node, boot}, nil
	case rt == "go1.x" || strings.HasPrefix(rt, "provided"):
		if src.BuildMethod == "go1.x" || rt == "go1.x" || hasGoFiles(src.CodeDir) {
			bin, err := b.buildGo(ctx, src)
			if err != nil {
				return nil, err
			}
			return []string{bin}, nil
		}
		boot := filepath.Join(src.CodeDir, "bootstrap")
		if st, err := os.Stat(boot); err == nil && st.Mode()&0o111 != 0 {
			return []string{boot}, nil
		}
		return nil, fmt.Errorf("function %s: runtime %s needs an executable named bootstrap in %s, or Go source with a main package", src.Name, rt, src.CodeDir)
	}
	return nil, fmt.Errorf("function %s: runtime %q is not run by stacklab; use python3.x, nodejs*, go1.x or provided.al2023", src.Name, rt)
}

// interpreter finds a program on the PATH and the real executable behind it
// (past shims such as pyenv's), by asking it.
func interpreter(name, expr string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	flag := "-c"
	if name == "node" {
		flag = "-e"
	}
	out, err := exec.Command(path, flag, expr).Output()
	if err != nil {
		return path, nil
	}
	if real := strings.TrimSpace(string(out)); real != "" {
		return real, nil
	}
	return path, nil
}

// bootstrapFile writes an embedded bootstrap into the cache once.
func (b *Builder) bootstrapFile(name string, content []byte) (string, error) {
	sum := sha256.Sum256(content)
	dir := filepath.Join(b.Dir, "bootstrap", hex.EncodeToString(sum[:8]))
	path := filepath.Join(dir, name)
	// Functions are prepared in parallel and share one bootstrap file.
	lock := b.lock(path)
	lock.Lock()
	defer lock.Unlock()
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

func hasGoFiles(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(m) > 0
}

// buildGo builds the main package in src.CodeDir into <cache>/go/<hash>/bootstrap.
func (b *Builder) buildGo(ctx context.Context, src Source) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		if p := "/usr/local/go/bin/go"; fileExists(p) {
			gobin = p
		} else {
			return "", fmt.Errorf("function %s: building Go needs the go command on this machine", src.Name)
		}
	}
	if moduleRoot(src.CodeDir) == "" {
		return "", fmt.Errorf("function %s: the Go source in %s is in no Go module; add one: cd %s && go mod init %s && go mod tidy", src.Name, src.CodeDir, src.CodeDir, strings.ToLower(src.Name))
	}
	hash, err := sourceHash(src.CodeDir)
	if err != nil {
		return "", fmt.Errorf("function %s: reading its source: %w", src.Name, err)
	}
	dir := filepath.Join(b.Dir, "go", hash)
	bin := filepath.Join(dir, "bootstrap")
	lock := b.lock(hash)
	lock.Lock()
	defer lock.Unlock()
	if fileExists(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp := bin + ".tmp"
	cmd := exec.CommandContext(ctx, gobin, "build", "-trimpath", "-o", tmp, ".")
	cmd.Dir = src.CodeDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH, "GOFLAGS=-buildvcs=false")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", &BuildError{Function: src.Name, Output: out.String(), Err: err}
	}
	return bin, os.Rename(tmp, bin)
}

func (b *Builder) lock(key string) *sync.Mutex {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.locks == nil {
		b.locks = map[string]*sync.Mutex{}
	}
	if b.locks[key] == nil {
		b.locks[key] = &sync.Mutex{}
	}
	return b.locks[key]
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// sourceHash hashes every file of a Go function's folder, the Go files of
// the packages of its module it imports, the go.mod and go.sum of that
// module, and the Go version and architecture.
func sourceHash(dir string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", runtime.Version(), runtime.GOARCH)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == ".stacklab") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if root := moduleRoot(dir); root != "" {
		for _, d := range localPackageDirs(dir, root) {
			gofiles, _ := filepath.Glob(filepath.Join(d, "*"))
			for _, p := range gofiles {
				if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
					files = append(files, p)
				}
			}
		}
		for _, f := range []string{"go.mod", "go.sum"} {
			if p := filepath.Join(root, f); fileExists(p) {
				files = append(files, p)
			}
		}
	}
	sort.Strings(files)
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s\n", rel)
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

func moduleRoot(dir string) string {
	d, _ := filepath.Abs(dir)
	for {
		if fileExists(filepath.Join(d, "go.mod")) {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}
