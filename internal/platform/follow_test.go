package platform

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/diag"
)

// queueNames are the names (or ids) of a platform's queues, sorted.
func queueNames(p *Platform) []string {
	var out []string
	for _, q := range p.Queues().Queues() {
		out = append(out, q.ID)
	}
	slices.Sort(out)
	return out
}

// TestSharedNATSDeployments runs two platforms on one NATS server, as two
// `up --nats` processes: what one deploys the other runs, and deploys made
// through both at once take distinct versions, none lost, after which both
// run the current one.
func TestSharedNATSDeployments(t *testing.T) {
	ctx := context.Background()
	srv, err := bus.Start(ctx, bus.Options{Dir: t.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close) // after the platforms'
	var mu sync.Mutex
	followed := map[string][]int{}
	start := func(name string) *Platform {
		p, err := New(Options{StateDir: t.TempDir(), BusURL: srv.ClientURL()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		if err := p.FollowDeployments(ctx, func(d *Deployment, _ diag.List, err error) {
			if err != nil {
				t.Errorf("%s could not run deployment %d: %v", name, d.Version, err)
			}
			mu.Lock()
			followed[name] = append(followed[name], d.Version)
			mu.Unlock()
		}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := start("a"), start("b")
	file := filepath.Join(t.TempDir(), "template.yaml") // no code to find
	queues := func(names ...string) []byte {
		src := "Resources:\n"
		for _, n := range names {
			src += "  " + n + ":\n    Type: AWS::SQS::Queue\n"
		}
		return []byte(src)
	}

	d, _, err := a.DeploySource(ctx, file, queues("Jobs"), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "b to run a's deployment", func() bool { return b.Running() == d.Version })
	if got := queueNames(b); !slices.Equal(got, []string{"Jobs"}) {
		t.Errorf("b runs the queues %v, want a's [Jobs]", got)
	}
	d, _, err = b.DeploySource(ctx, file, queues("Jobs", "Extra"), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a to run b's deployment", func() bool { return a.Running() == d.Version })
	if got := queueNames(a); !slices.Equal(got, []string{"Extra", "Jobs"}) {
		t.Errorf("a runs the queues %v, want b's [Extra Jobs]", got)
	}
	mu.Lock()
	if !slices.Equal(followed["a"], []int{2}) || !slices.Equal(followed["b"], []int{1}) {
		t.Errorf("followed %v, want a to follow 2 and b 1, neither its own", followed)
	}
	mu.Unlock()

	// Deploys through both at once.
	const each = 5
	var wg sync.WaitGroup
	for i := range each {
		for _, p := range []*Platform{a, b} {
			wg.Go(func() {
				if _, _, err := p.DeploySource(ctx, file, queues(fmt.Sprintf("Q%d", i)), nil); err != nil {
					t.Errorf("deploy: %v", err)
				}
			})
		}
	}
	wg.Wait()
	list, err := a.Deployments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	for _, d := range list {
		versions = append(versions, d.Version)
		if d.Outcome != "deployed" {
			t.Errorf("deployment %d: %s", d.Version, d.Outcome)
		}
	}
	if want := 2 + 2*each; len(list) != want || list[len(list)-1].Version != want {
		t.Errorf("deployments %v, want 1 to %d: deploys made at once took one version", versions, want)
	}
	cur, err := a.Current(ctx)
	if err != nil || cur == nil {
		t.Fatalf("current: %v %v", cur, err)
	}
	waitUntil(t, "both to run the current deployment", func() bool { return a.Running() == cur.Version && b.Running() == cur.Version })
}
