package runtime

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/stacklab/stacklab/internal/jsonw"
)

// Line is one line of a function's log.
type Line struct {
	Time      time.Time `json:"time"`
	Function  string    `json:"function"`
	RequestID string    `json:"requestId,omitempty"`
	Stream    string    `json:"stream"` // the instance, as a log stream name
	Text      string    `json:"text"`
}

// Logs keeps the recent log lines of every function in memory, appends them
// to one file per function, and lets readers follow them.
type Logs struct {
	dir     string // "" keeps logs in memory only
	keep    int    // lines kept in memory per function
	maxFile int64  // bytes per file before it is rotated to .1

	mu      sync.Mutex
	lines   map[string]*lineQueue // recent lines per function
	files   map[string]*logFile
	subs    map[chan Line]string // follower -> function ("" for all)
	pending []Line               // lines not yet written to files
	spare   []Line               // the storage of the last flushed pending, for the next
	pendB   int                  // their bytes
	dropped int                  // lines not written because the writer fell behind

	// fileBuf holds each function's encoded lines during a flush; kept
	// across flushes so that a busy function does not grow a new buffer
	// five times a second. Only flush uses it.
	fileBuf map[string][]byte

	flushOnce sync.Once
	stop      chan struct{}
	stopped   chan struct{}
}

type logFile struct {
	f    *os.File
	size int64
}

// NewLogs returns a log store writing under dir (no files when dir is "").
func NewLogs(dir string) *Logs {
	return &Logs{dir: dir, keep: 10000, maxFile: 64 << 20, lines: map[string]*lineQueue{}, files: map[string]*logFile{}, subs: map[chan Line]string{}, stop: make(chan struct{}), stopped: make(chan struct{})}
}

// Bounds on what logs hold in memory, so that a function writing gigabytes
// costs little: the recent lines of a function, and lines waiting to be
// written to files.
const (
	maxKeptBytes    = 8 << 20
	maxPendingBytes = 32 << 20
)

// lineQueue holds a function's recent lines, oldest first, within the
// line and byte bounds.
type lineQueue struct {
	lines []Line
	head  int // index of the oldest kept line
	bytes int
}

func (q *lineQueue) push(l Line, keep int) {
	q.lines = append(q.lines, l)
	q.bytes += len(l.Text)
	for len(q.lines)-q.head > keep || q.bytes > maxKeptBytes && len(q.lines)-q.head > 1 {
		q.bytes -= len(q.lines[q.head].Text)
		q.lines[q.head] = Line{}
		q.head++
	}
	if q.head > 1024 && q.head > len(q.lines)/2 {
		q.lines = append([]Line(nil), q.lines[q.head:]...)
		q.head = 0
	}
}

func (q *lineQueue) all() []Line { return q.lines[q.head:] }

// flushInterval is how often lines are written to the files: writing them
// in batches keeps file I/O off the invocation path.
const flushInterval = 200 * time.Millisecond

func (l *Logs) flushLoop() {
	defer close(l.stopped)
	t := time.NewTicker(flushInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			l.flush()
			return
		case <-t.C:
			l.flush()
		}
	}
}

// flush writes the pending lines to their files.
func (l *Logs) flush() {
	l.mu.Lock()
	lines, dropped := l.pending, l.dropped
	l.pending, l.pendB, l.dropped = l.spare[:0], 0, 0
	l.spare = nil
	l.mu.Unlock()
	defer func() {
		clear(lines) // let go of the texts
		if cap(lines) <= 64<<10 {
			l.mu.Lock()
			l.spare = lines[:0]
			l.mu.Unlock()
		}
	}()
	if dropped > 0 && len(lines) > 0 {
		last := lines[len(lines)-1]
		lines = append(lines, Line{Time: last.Time, Function: last.Function, Stream: last.Stream, Text: fmt.Sprintf("[stacklab] %d lines were not written to this file: functions wrote faster than the disk took them", dropped)})
	}
	if len(lines) == 0 {
		return
	}
	if l.fileBuf == nil {
		l.fileBuf = map[string][]byte{}
	}
	fn, b := "", []byte(nil)
	for _, line := range lines {
		if line.Function != fn {
			if fn != "" {
				l.fileBuf[fn] = b
			}
			fn, b = line.Function, l.fileBuf[line.Function]
		}
		b = append(appendLine(b, line), '\n')
	}
	l.fileBuf[fn] = b
	for fn, b := range l.fileBuf {
		if len(b) > 0 {
			l.write(fn, b)
		}
		if cap(b) > 4<<20 {
			delete(l.fileBuf, fn)
		} else {
			l.fileBuf[fn] = b[:0]
		}
	}
}

// appendLine appends l as JSON, as encoding/json writes a Line but
// without escaping <, > and &.
func appendLine(b []byte, l Line) []byte {
	b = append(b, `{"time":"`...)
	b = l.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","function":`...)
	b = jsonw.AppendString(b, l.Function)
	if l.RequestID != "" {
		b = append(b, `,"requestId":`...)
		b = jsonw.AppendString(b, l.RequestID)
	}
	b = append(b, `,"stream":`...)
	b = jsonw.AppendString(b, l.Stream)
	b = append(b, `,"text":`...)
	b = jsonw.AppendString(b, l.Text)
	return append(b, '}')
}

// add records a line of function fn; tail, when not nil, collects the
// invocation's lines for X-Amz-Log-Result.
func (l *Logs) add(fn, reqID, stream, text string, tail *tailBuffer) {
	line := Line{Time: time.Now().UTC(), Function: fn, RequestID: reqID, Stream: stream, Text: text}
	if tail != nil {
		tail.add(text)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.lines[fn]
	if q == nil {
		q = &lineQueue{}
		l.lines[fn] = q
	}
	q.push(line, l.keep)
	if l.dir != "" {
		l.flushOnce.Do(func() { go l.flushLoop() })
		if l.pendB+len(text) <= maxPendingBytes {
			l.pending = append(l.pending, line)
			l.pendB += len(text)
		} else {
			l.dropped++
		}
	}
	for ch, want := range l.subs {
		if want == "" || want == fn {
			select {
			case ch <- line:
			default: // a slow follower misses lines rather than slowing functions
			}
		}
	}
}

// write appends encoded lines to fn's file, rotating it when it is full.
// Only the flush loop calls it.
func (l *Logs) write(fn string, b []byte) {
	lf := l.files[fn]
	if lf == nil {
		if err := os.MkdirAll(l.dir, 0o700); err != nil {
			return
		}
		f, err := os.OpenFile(filepath.Join(l.dir, fn+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return
		}
		st, _ := f.Stat()
		lf = &logFile{f: f, size: st.Size()}
		l.files[fn] = lf
	}
	if lf.size+int64(len(b)) > l.maxFile {
		path := lf.f.Name()
		lf.f.Close()
		os.Rename(path, path+".1")
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			delete(l.files, fn)
			return
		}
		lf.f, lf.size = f, 0
	}
	n, _ := lf.f.Write(b)
	lf.size += int64(n)
}

// Query returns the lines of fn (all functions when fn is "") since a time,
// oldest first, optionally only those of one request.
func (l *Logs) Query(fn string, since time.Time, requestID string) []Line {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Line
	for name, q := range l.lines {
		if fn != "" && name != fn {
			continue
		}
		for _, line := range q.all() {
			if line.Time.Before(since) || requestID != "" && line.RequestID != requestID {
				continue
			}
			out = append(out, line)
		}
	}
	sortLines(out)
	return out
}

// Follow returns a channel of new lines of fn ("" for all) until ctx ends.
func (l *Logs) Follow(ctx context.Context, fn string) <-chan Line {
	ch := make(chan Line, 1024)
	l.mu.Lock()
	l.subs[ch] = fn
	l.mu.Unlock()
	go func() {
		<-ctx.Done()
		l.mu.Lock()
		delete(l.subs, ch)
		l.mu.Unlock()
	}()
	return ch
}

// Close writes the pending lines and closes the log files.
func (l *Logs) Close() {
	started := true
	l.flushOnce.Do(func() {
		// No flush loop will start now: a later Close must not wait for it.
		started = false
		close(l.stopped)
	})
	if started {
		select {
		case <-l.stop:
		default:
			close(l.stop)
		}
		<-l.stopped
	}
	l.flush()
	for _, lf := range l.files {
		lf.f.Close()
	}
	l.files = map[string]*logFile{}
}

func sortLines(lines []Line) {
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
}

// tailBuffer keeps the last 4 KB of an invocation's log.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 4096

func (t *tailBuffer) add(text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.buf == nil {
		t.buf = make([]byte, 0, max(256, len(text)+1))
	}
	t.buf = append(t.buf, text...)
	t.buf = append(t.buf, '\n')
	if len(t.buf) > 2*tailSize {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-tailSize:]...)
	}
}

func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buf) > tailSize {
		return append([]byte(nil), t.buf[len(t.buf)-tailSize:]...)
	}
	return append([]byte(nil), t.buf...)
}

// reportLine is Lambda's REPORT line.
func reportLine(reqID string, d, billed, init time.Duration, memMB, maxMB int) string {
	s := make([]byte, 0, 160)
	s = append(s, "REPORT RequestId: "...)
	s = append(s, reqID...)
	s = append(s, "\tDuration: "...)
	s = strconv.AppendFloat(s, float64(d)/float64(time.Millisecond), 'f', 2, 64)
	s = append(s, " ms\tBilled Duration: "...)
	s = strconv.AppendInt(s, int64(billed/time.Millisecond), 10)
	s = append(s, " ms\tMemory Size: "...)
	s = strconv.AppendInt(s, int64(memMB), 10)
	s = append(s, " MB\tMax Memory Used: "...)
	s = strconv.AppendInt(s, int64(maxMB), 10)
	s = append(s, " MB"...)
	if init > 0 {
		s = append(s, "\tInit Duration: "...)
		s = strconv.AppendFloat(s, float64(init)/float64(time.Millisecond), 'f', 2, 64)
		s = append(s, " ms"...)
	}
	return string(s)
}
