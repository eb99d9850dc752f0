package runtime

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// The sampler reads what processRSS reads: this process has no children
// here, so both see the same resident memory, give or take what the test
// itself allocates meanwhile.
func TestRSSSampler(t *testing.T) {
	s := newRSSSampler(os.Getpid())
	defer s.close()
	for range 3 {
		got, want := s.sample(), rssOf(os.Getpid())
		if got <= 0 || got < want/2 || got > want*2 {
			t.Fatalf("sampled %d bytes, /proc says %d", got, want)
		}
	}
	if got := statmRSS([]byte("1000 25 3 1 0 7 0\n")); got != 25*int64(os.Getpagesize()) {
		t.Errorf("statmRSS: got %d, want 25 pages", got)
	}
}

// A child's memory counts with its parent's.
func TestRSSSamplerChildren(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 30 & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() }()
	s := newRSSSampler(cmd.Process.Pid)
	defer s.close()
	for range 200 {
		s.n = 0 // look for children every time
		if s.sample(); len(s.children) > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Error("the shell's child was never found")
}
