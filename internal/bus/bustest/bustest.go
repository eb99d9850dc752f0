// Package bustest starts the embedded bus for the tests of the packages
// that keep things in it.
package bustest

import (
	"context"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/bus"
)

// Start starts an embedded NATS JetStream with its store in dir (give the
// same dir again to restart it on what it kept). The caller closes it, so
// that a test can stop and restart it; the test fails if it does not start
// within 30 s.
func Start(t testing.TB, dir string) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Start(ctx, bus.Options{Dir: dir})
	if err != nil {
		t.Fatalf("starting the bus in %s: %v", dir, err)
	}
	return b
}
