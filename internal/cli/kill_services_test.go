package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/services/bucket"
	"github.com/stacklab/stacklab/internal/services/queue"
)

// The work of the kill test, and what bounds its duplicates: what can be
// in progress, run but not yet deleted or acknowledged, when the platform
// dies.
//
//   - Queue messages: the batches the stack's one SQS mapping runs at once,
//     killBatchSize (its BatchSize in testdata/killservices) times
//     killQueueBatches. A worker of the mapping asks for its next batch only
//     after its deletes of the last one, on the same connection, so at most
//     one batch a worker is unsettled.
//   - Async invocations and the bucket's notifications to functions (async
//     invocations too): the async queue's MaxAckPending (its Workers), read
//     from the store after the test.
const (
	killQueueMessages = 2000
	killAsyncEvents   = 1000
	killObjects       = 500
	// The kill comes once killAfterAccepted items are accepted and
	// killMinBacklog of them wait or run, not yet processed.
	killAfterAccepted = 1500
	killMinBacklog    = 200

	killBatchSize = 10
	// killQueueBatches is how many batches a mapping of a standard queue
	// runs at once.
	killQueueBatches = queue.DefaultConcurrency

	// asyncAckWait is invoke.AsyncOptions.AckWait's default: an async event
	// in progress at the kill, neither finished nor settled, runs again
	// this long after its last sign of life, so the count is final once
	// nothing has run for longer (a throttled event is retried every
	// second).
	asyncAckWait = 10 * time.Second
	// senders is how many requests the test has open at once.
	senders = 16
)

// killItem is one unit of work: a queue message (its body is the id), an
// async invocation ({"id": id}) or an object (its key is the id).
type killItem struct {
	kind string // queue, async, object
	id   string
}

// killItems interleaves the three kinds, so that all three are in flight
// at the kill.
func killItems() []killItem {
	var out []killItem
	q, a, o := 0, 0, 0
	for q < killQueueMessages || a < killAsyncEvents || o < killObjects {
		if q < killQueueMessages {
			out = append(out, killItem{"queue", fmt.Sprintf("q-%05d", q)})
			q++
		}
		if q%2 == 0 && a < killAsyncEvents {
			out = append(out, killItem{"async", fmt.Sprintf("a-%05d", a)})
			a++
		}
		if q%4 == 0 && o < killObjects {
			out = append(out, killItem{"object", fmt.Sprintf("in/o-%05d", o)})
			o++
		}
	}
	return out
}

// send hands one item to the platform through the control API; nil means
// the platform accepted it (a 2xx answer).
func (it killItem) send(ctx context.Context, c *server.Client) error {
	switch it.kind {
	case "queue":
		body, _ := json.Marshal(queue.SendInput{Body: it.id})
		return c.PostJSON(ctx, "/v1/queues/Jobs/messages", nil, body, nil)
	case "async":
		payload, _ := json.Marshal(map[string]string{"id": it.id})
		return c.PostJSON(ctx, "/v1/functions/AsyncWorker/invoke", url.Values{"type": {"Event"}}, payload, nil)
	default:
		resp, err := c.Stream(ctx, http.MethodPut, "/v1/buckets/Uploads/objects/"+url.PathEscape(it.id), nil,
			http.Header{"Content-Type": {"text/plain"}}, strings.NewReader("object "+it.id))
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
}

// Item states.
const (
	itemUnsent   int32 = iota
	itemAccepted       // answered 2xx
	itemInDoubt        // sent, no answer: the kill came first
)

// TestEventServicesSurviveKill9 sends thousands of queue messages, async
// invocations and objects with S3 notifications to a running `stacklab up`,
// kills it with SIGKILL while they are in flight, starts it again on the
// same state, sends the rest, and checks, counting outside the platform,
// that every accepted item was processed at least once, that duplicates
// stay within what can be in progress at the kill, and that nothing is
// left stuck in the queue or the async queue.
func TestEventServicesSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real processes")
	}
	t0 := time.Now()
	bin := buildBinary(t)
	dir := t.TempDir()
	state := filepath.Join(dir, ".stacklab")
	counts := filepath.Join(dir, "processed.log")
	tmpl, _ := filepath.Abs("testdata/killservices/template.yaml")
	items := killItems()
	status := make([]atomic.Int32, len(items))

	// Before the kill.
	up := startKillable(t, bin, state, tmpl, filepath.Join(dir, "up-1.log"), "--param", "CountFile="+counts)
	c := killClient(t, state)
	var accepted atomic.Int64
	stop := make(chan struct{})
	var killedAt time.Time
	var beforeKill map[string]int
	sent := make(chan struct{})
	go func() {
		for {
			select {
			case <-sent:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if accepted.Load() < killAfterAccepted {
				continue
			}
			done, err := countsIn(counts)
			if err != nil {
				continue
			}
			waiting := 0
			for i := range items {
				if status[i].Load() == itemAccepted && done[items[i].id] == 0 {
					waiting++
				}
			}
			if waiting >= killMinBacklog {
				// stop first: a request that fails before it is closed
				// failed while the platform was alive.
				beforeKill, killedAt = done, time.Now()
				close(stop)
				up.Process.Signal(syscall.SIGKILL)
				return
			}
		}
	}()
	sendAll(items, status, func(i int) bool {
		select {
		case <-stop:
			return false
		default:
		}
		if err := items[i].send(context.Background(), c); err != nil {
			status[i].Store(itemInDoubt)
			select {
			case <-stop:
			default:
				t.Errorf("the platform refused %s %s before the kill: %v", items[i].kind, items[i].id, err)
			}
			return true
		}
		status[i].Store(itemAccepted)
		accepted.Add(1)
		return true
	})
	close(sent)
	select {
	case <-stop:
	case <-time.After(time.Second):
		t.Fatalf("all %d items were sent and the kill never came: the functions kept up, never %d accepted items waiting (slow them with SLEEP_MS)",
			len(items), killMinBacklog)
	}
	up.Wait()
	acceptedAtKill := int(accepted.Load())
	backlog, backlogs := 0, map[string]int{}
	for i := range items {
		if status[i].Load() == itemAccepted && beforeKill[items[i].id] == 0 {
			backlog++
			backlogs[items[i].kind]++
		}
	}
	t.Logf("killed after %d accepted; %d of them not yet processed: %d queue messages, %d async invocations, %d objects",
		acceptedAtKill, backlog, backlogs["queue"], backlogs["async"], backlogs["object"])
	// The instances die with the platform (Pdeathsig).
	waitFor(t, 30*time.Second, "the function instances of the killed platform to end", func() bool {
		return len(processesUnder(state)) == 0
	})
	os.Remove(filepath.Join(state, "endpoints.json")) // left by the killed process

	// After the restart: the rest of the work.
	up = startKillable(t, bin, state, tmpl, filepath.Join(dir, "up-2.log"), "--param", "CountFile="+counts)
	restarted := time.Now()
	c = killClient(t, state)
	sendAll(items, status, func(i int) bool {
		if status[i].Load() != itemUnsent {
			return true
		}
		if err := items[i].send(context.Background(), c); err != nil {
			t.Errorf("sending %s %s after the restart: %v", items[i].kind, items[i].id, err)
			return true
		}
		status[i].Store(itemAccepted)
		return true
	})

	// Wait until every accepted item ran, the queue is empty, and nothing
	// has run for longer than an async event in progress at the kill takes
	// to run again; give up when the count stops growing for a minute.
	var got map[string]int
	lines, lastLines, lastChange := 0, -1, time.Now()
	for {
		got = readCounts(t, counts)
		lines = 0
		for _, n := range got {
			lines += n
		}
		if lines != lastLines {
			lastLines, lastChange = lines, time.Now()
		}
		missing := 0
		for i := range items {
			if status[i].Load() == itemAccepted && got[items[i].id] == 0 {
				missing++
			}
		}
		st, qerr := queueStats(state)
		if missing == 0 && qerr == nil && st.Visible+st.InFlight+st.Delayed == 0 &&
			time.Since(lastChange) > asyncAckWait+3*time.Second {
			break
		}
		if time.Since(lastChange) > time.Minute {
			t.Fatalf("no progress for a minute: %d accepted items not processed; queue %+v (%v); platform log %s:\n%s",
				missing, st, qerr, filepath.Join(dir, "up-2.log"), tail(filepath.Join(dir, "up-2.log")))
		}
		time.Sleep(250 * time.Millisecond)
	}
	// `stacklab queue stats` shows nothing waiting, in flight or delayed.
	stdout, stderr, code := run("queue", "stats", "--state", state)
	if code != exitOK || !regexp.MustCompile(`(?m)^Jobs\s+Jobs\s+0\s+0\s+0\s`).MatchString(stdout) {
		t.Errorf("queue stats: exit %d, want Jobs empty:\n%s%s", code, stdout, stderr)
	}

	// The numbers.
	var acc, doubt, dups, dupItems, doubtDone int
	perKind := map[string][2]int{} // accepted, processed
	dupKinds := map[string]int{}
	var dupIDs []string
	for i, it := range items {
		n := got[it.id]
		switch status[i].Load() {
		case itemAccepted:
			acc++
			k := perKind[it.kind]
			k[0]++
			if n > 0 {
				k[1]++
			} else {
				t.Errorf("%s %s was accepted and never processed", it.kind, it.id)
			}
			perKind[it.kind] = k
		case itemInDoubt:
			doubt++
			if n > 0 {
				doubtDone++
			}
		}
		if n > 1 {
			dups += n - 1
			dupItems++
			dupKinds[it.kind] += n - 1
			if len(dupIDs) < 40 {
				dupIDs = append(dupIDs, fmt.Sprintf("%s (%d runs, %d before the kill)", it.id, n, beforeKill[it.id]))
			}
		}
	}
	for id := range got {
		if !strings.HasPrefix(id, "q-") && !strings.HasPrefix(id, "a-") && !strings.HasPrefix(id, "in/o-") {
			t.Errorf("the functions processed %q, which the test never sent", id)
		}
	}
	t.Logf("sent %d items (%d queue messages, %d async invocations, %d objects): %d accepted (%d before the kill), %d in doubt at the kill (%d of them processed)",
		len(items), killQueueMessages, killAsyncEvents, killObjects, acc, acceptedAtKill, doubt, doubtDone)
	for _, k := range []string{"queue", "async", "object"} {
		t.Logf("  %-6s accepted %d, processed %d, %d duplicate runs", k, perKind[k][0], perKind[k][1], dupKinds[k])
	}
	t.Logf("processed %d times in all: %d duplicate runs over %d items; all done %s after the kill, %s after the restart; %s in all",
		lines, dups, dupItems, lastChange.Sub(killedAt).Round(time.Millisecond), lastChange.Sub(restarted).Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))

	// Stop it cleanly, then look into its store: no work queue holds a
	// message, and every accepted object is in the bucket.
	up.Process.Signal(os.Interrupt)
	if err := up.Wait(); err != nil {
		t.Errorf("stacklab up after Ctrl-C: %v", err)
	}
	asyncPending := checkStoreDrained(t, state, items, status)

	// Duplicates: no more than could be in progress at the kill.
	queueBound := killBatchSize * killQueueBatches
	t.Logf("duplicate runs: %d of queue messages (bound %d: %d batches of %d), %d of async invocations and objects (bound %d: the async queue's MaxAckPending)",
		dupKinds["queue"], queueBound, killQueueBatches, killBatchSize, dupKinds["async"]+dupKinds["object"], asyncPending)
	if dupKinds["queue"] > queueBound || dupKinds["async"]+dupKinds["object"] > asyncPending {
		t.Errorf("more duplicate runs than can be in progress at a kill; the items run more than once: %v", dupIDs)
	}
}

// sendAll runs send for every item, senders at a time, until send answers
// false.
func sendAll(items []killItem, status []atomic.Int32, send func(i int) bool) {
	next := make(chan int)
	var wg sync.WaitGroup
	var stopped atomic.Bool
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if !stopped.Load() && !send(i) {
					stopped.Store(true)
				}
			}
		}()
	}
	for i := range items {
		if stopped.Load() {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
}

// startKillable runs `stacklab up TEMPLATE` as a real process, with more
// flags, its log in a file, and waits until it serves.
func startKillable(t *testing.T, bin, state, tmpl, logFile string, flags ...string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	args := append([]string{"up", tmpl, "--state", state, "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--no-sandbox"}, flags...)
	cmd := exec.Command(bin, args...)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		said := false
		for sc.Scan() {
			if !said && strings.Contains(sc.Text(), "Ctrl-C stops") {
				said = true
				ready <- true
			}
		}
		if !said {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("stacklab up ended before serving:\n%s", tail(logFile))
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("stacklab up did not serve within 2 minutes:\n%s", tail(logFile))
	}
	return cmd
}

// killClient is a control API client of the platform running on state.
func killClient(t *testing.T, state string) *server.Client {
	t.Helper()
	st := server.State{Dir: state}
	ep, err := st.ReadEndpoints()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := st.ReadToken()
	if err != nil {
		t.Fatal(err)
	}
	return &server.Client{Base: ep.Control, Token: tok, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// readCounts reads the functions' count file: how many times each item
// was processed.
func readCounts(t *testing.T, file string) map[string]int {
	t.Helper()
	out, err := countsIn(file)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// countsIn is readCounts for any goroutine.
func countsIn(file string) (map[string]int, error) {
	b, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	out := map[string]int{}
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out[l]++
		}
	}
	return out, nil
}

// queueStats asks the platform for queue Jobs's numbers with the CLI.
func queueStats(state string) (queue.Stats, error) {
	var st queue.Stats
	stdout, stderr, code := run("queue", "stats", "Jobs", "--state", state, "--output", "json")
	if code != exitOK {
		return st, fmt.Errorf("queue stats: exit %d: %s", code, stderr)
	}
	return st, json.Unmarshal([]byte(stdout), &st)
}

// checkStoreDrained opens the JetStream store of a stopped platform: every
// work-queue stream (the queues, the async invocations) is empty, and
// every accepted object is in bucket Uploads. It returns how many events
// the async queue's consumer lets run at once (its MaxAckPending).
func checkStoreDrained(t *testing.T, state string, items []killItem, status []atomic.Int32) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := bus.Start(ctx, bus.Options{Dir: filepath.Join(state, "nats")})
	if err != nil {
		t.Fatalf("opening the store of the stopped platform: %v", err)
	}
	defer b.Close()
	js := b.JetStream()
	streams := 0
	for info := range js.ListStreams(ctx).Info() {
		if info.Config.Retention != jetstream.WorkQueuePolicy {
			continue
		}
		streams++
		if info.State.Msgs != 0 {
			t.Errorf("stream %s (%s) still holds %d messages after everything ran", info.Config.Name, info.Config.Description, info.State.Msgs)
		}
	}
	if streams < 2 {
		t.Errorf("found %d work-queue streams, want the queue's and the async invocations'", streams)
	}
	// The async invocations' stream and consumer (package invoke).
	cons, err := js.Consumer(ctx, "STACKLAB_ASYNC", "invoker")
	if err != nil {
		t.Fatalf("the async invocations' consumer: %v", err)
	}
	asyncPending := cons.CachedInfo().Config.MaxAckPending
	bs := bucket.New(js, bucket.Options{})
	if err := bs.Apply(ctx, []bucket.Config{{ID: "Uploads"}}); err != nil {
		t.Fatal(err)
	}
	objs, err := bs.List(ctx, "Uploads", "")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, o := range objs {
		stored[o.Key] = true
	}
	var lost []string
	for i, it := range items {
		if it.kind == "object" && status[i].Load() == itemAccepted && !stored[it.id] {
			lost = append(lost, it.id)
		}
	}
	sort.Strings(lost)
	if len(lost) > 0 {
		t.Errorf("%d accepted objects are not in the bucket: %v", len(lost), lost)
	}
	return asyncPending
}

// tail is the end of a log file, for failure messages.
func tail(file string) string {
	b, _ := os.ReadFile(file)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}
