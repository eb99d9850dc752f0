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
}

// newSandbox returns a sandbox, or nil when bubblewrap is not installed.
func newSandbox(hide []string) *sandbox {
	path, err := exec.LookPath("bwrap")
	if err != nil {
		return nil
	}
	return &sandbox{bwrap: path}
}

// systemDirs are bound read-only into every sandbox when they exist.
var systemDirs = []string{"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc"}

// wrap returns the command line that runs argv inside the sandbox.
func (s *sandbox) wrap(spec *Spec, argv []string) []string {
	args := []string{s.bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
		"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--hostname", "stacklab"}
	bound := map[string]bool{}
	bind := func(path string) {
		if path == "" || bound[path] || underAny(path, bound) {
			return
		}
		if _, err := os.Stat(path); err != nil {
			return
		}
		bound[path] = true
		args = append(args, "--ro-bind", path, path)
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
	args = append(args, "--chdir", spec.Dir, "--")
	return append(args, argv...)
}

func underAny(path string, dirs map[string]bool) bool {
	for d := range dirs {
		if strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}
