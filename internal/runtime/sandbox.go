package runtime

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// sandbox runs instances under bubblewrap: their own pid, ipc and uts
// namespaces, the system's directories and the function's code read-only,
// an empty /tmp of their own, and nothing else of the host's files (so no
// state directory, control token or other function's code). The network is
// shared, as the Runtime API listens on the loopback.
type sandbox struct {
	bwrap string
	hide  []string // covered with an empty tmpfs where a bound folder holds them
}

// newSandbox returns a sandbox, or nil when bubblewrap is not installed.
func newSandbox(hide []string) *sandbox {
	path, err := exec.LookPath("bwrap")
	if err != nil {
		return nil
	}
	return &sandbox{bwrap: path, hide: hide}
}

// systemDirs are bound read-only into every sandbox when they exist.
var systemDirs = []string{"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc"}

// wrap returns the command line that runs argv inside the sandbox.
func (s *sandbox) wrap(spec *Spec, argv []string) []string {
	args := []string{s.bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
		"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--hostname", "stacklab"}
	// Paths inside a hidden one (the built bootstrap under the state
	// directory) are bound after the hidden path is covered.
	bound := map[string]bool{}
	var outer, inner []string
	bind := func(path string) {
		hidden := s.hidden(path)
		if path == "" || bound[path] || !hidden && underAny(path, bound) {
			return
		}
		if _, err := os.Stat(path); err != nil {
			return
		}
		bound[path] = true
		if hidden {
			inner = append(inner, path)
		} else {
			outer = append(outer, path)
		}
	}
	for _, d := range systemDirs {
		bind(d)
	}
	// The interpreter or binary, with the installation it belongs to (for
	// example a Python under /root/.pyenv/versions/3.11.7).
	if exe := argv[0]; filepath.IsAbs(exe) {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		if strings.HasSuffix(filepath.Dir(exe), "/bin") {
			bind(filepath.Dir(filepath.Dir(exe)))
		} else {
			bind(exe)
		}
	}
	for _, a := range argv[1:] {
		if filepath.IsAbs(a) {
			bind(a)
		}
	}
	bind(spec.Dir)
	outerSet := map[string]bool{}
	for _, p := range outer {
		outerSet[p] = true
		args = append(args, "--ro-bind", p, p)
	}
	// A hidden folder inside a bound one (the state directory next to the
	// template when CodeUri is ".") is covered with an empty tmpfs.
	for _, h := range s.hide {
		if underAny(h, outerSet) {
			args = append(args, "--tmpfs", h)
		}
	}
	for _, p := range inner {
		args = append(args, "--ro-bind", p, p)
	}
	args = append(args, "--chdir", spec.Dir, "--")
	return append(args, argv...)
}

// hidden reports whether path is a hidden path or lies in one.
func (s *sandbox) hidden(path string) bool {
	for _, h := range s.hide {
		if path == h || strings.HasPrefix(path, h+"/") {
			return true
		}
	}
	return false
}

func underAny(path string, dirs map[string]bool) bool {
	for d := range dirs {
		if strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}
