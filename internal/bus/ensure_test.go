package bus_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/bus/bustest"
)

// TestEnsureUpdatesOnlyWhatChanged: making sure of a stream, a key-value
// store and an object store a second time with the same configuration does
// not update them (JetStream's update advisories count the updates); a
// changed field does.
func TestEnsureUpdatesOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	b := bustest.Start(t, t.TempDir())
	defer b.Close()
	js := b.JetStream()
	var updates atomic.Int32
	sub, err := b.Conn().Subscribe("$JS.EVENT.ADVISORY.STREAM.UPDATED.>", func(*nats.Msg) { updates.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	flush := func() {
		t.Helper()
		if err := b.Conn().Flush(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // advisories are published asynchronously
	}

	cfg := jetstream.StreamConfig{Name: "Q", Subjects: []string{"q.a", "q.b"}, Retention: jetstream.WorkQueuePolicy,
		Storage: jetstream.FileStorage, MaxAge: time.Hour, MaxMsgSize: 1 << 16, Duplicates: time.Minute}
	for range 3 {
		if _, err := bus.EnsureStream(ctx, js, cfg); err != nil {
			t.Fatal(err)
		}
	}
	kvCfg := jetstream.KeyValueConfig{Bucket: "deployments", Description: "d", History: 1, Storage: jetstream.FileStorage}
	objCfg := jetstream.ObjectStoreConfig{Bucket: "objects", Description: "o", Storage: jetstream.FileStorage}
	for range 3 {
		kv, err := bus.EnsureKeyValue(ctx, js, kvCfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Put(ctx, "k", []byte("v")); err != nil {
			t.Fatal(err)
		}
		if _, err := bus.EnsureObjectStore(ctx, js, objCfg); err != nil {
			t.Fatal(err)
		}
	}
	flush()
	if n := updates.Load(); n != 0 {
		t.Errorf("%d updates of stores whose configuration did not change, want none", n)
	}

	cfg.MaxAge = 2 * time.Hour
	s, err := bus.EnsureStream(ctx, js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxAge; got != 2*time.Hour {
		t.Errorf("MaxAge after the change = %v, want 2h", got)
	}
	kvCfg.TTL = time.Hour
	if _, err := bus.EnsureKeyValue(ctx, js, kvCfg); err != nil {
		t.Fatal(err)
	}
	objCfg.Description = "o2"
	if _, err := bus.EnsureObjectStore(ctx, js, objCfg); err != nil {
		t.Fatal(err)
	}
	flush()
	if n := updates.Load(); n != 3 {
		t.Errorf("%d updates after changing one field of each store, want 3", n)
	}
}

func TestStreamCovers(t *testing.T) {
	have := jetstream.StreamConfig{Name: "Q", Subjects: []string{"a"}, MaxAge: time.Hour, MaxMsgs: -1, Replicas: 1,
		Metadata: map[string]string{"_nats.level": "1"}}
	for _, c := range []struct {
		want jetstream.StreamConfig
		ok   bool
	}{
		{jetstream.StreamConfig{Name: "Q"}, true},
		{jetstream.StreamConfig{Name: "Q", Subjects: []string{"a"}, MaxAge: time.Hour}, true}, // defaults the server filled in are not compared
		{jetstream.StreamConfig{Name: "Q", Subjects: []string{"a", "b"}}, false},
		{jetstream.StreamConfig{Name: "Q", MaxAge: 2 * time.Hour}, false},
		{jetstream.StreamConfig{Name: "Q", Description: "new"}, false},
	} {
		if got := bus.StreamCovers(have, c.want); got != c.ok {
			t.Errorf("StreamCovers(%+v) = %v, want %v", c.want, got, c.ok)
		}
	}
}
