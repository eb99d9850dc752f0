package runtime

import (
	"os"
	"strconv"
)

// rssSampler reads the resident memory of an instance's process tree
// every few milliseconds without reopening /proc files each time: the
// process's statm stays open and is read again from its start, and its
// children (the function under a sandbox, or processes it started) are
// looked up only every childEvery samples.
type rssSampler struct {
	pid      int
	statm    *os.File // nil when it could not be opened
	buf      [128]byte
	children []int
	n        int
}

// childEvery is how many samples pass between looks for child processes.
const childEvery = 10

func newRSSSampler(pid int) *rssSampler {
	s := &rssSampler{pid: pid}
	s.statm, _ = os.Open("/proc/" + strconv.Itoa(pid) + "/statm")
	return s
}

// sample returns the resident memory of the process and its descendants,
// in bytes.
func (s *rssSampler) sample() int64 {
	if s.statm == nil {
		return processRSS(s.pid)
	}
	n, err := s.statm.ReadAt(s.buf[:], 0)
	if n == 0 && err != nil {
		return 0
	}
	total := statmRSS(s.buf[:n])
	if s.n%childEvery == 0 {
		s.children = s.children[:0]
		b, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/task/" + strconv.Itoa(s.pid) + "/children")
		if err == nil {
			for _, f := range splitFields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					s.children = append(s.children, c)
				}
			}
		}
	}
	s.n++
	for _, c := range s.children {
		total += processRSS(c)
	}
	return total
}

func (s *rssSampler) close() {
	if s.statm != nil {
		s.statm.Close()
	}
}

// statmRSS reads the resident pages (the second field) of a statm line,
// in bytes.
func statmRSS(b []byte) int64 {
	i := 0
	for i < len(b) && b[i] != ' ' {
		i++
	}
	i++
	var pages int64
	for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		pages = pages*10 + int64(b[i]-'0')
	}
	return pages * int64(os.Getpagesize())
}
