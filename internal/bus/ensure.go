package bus

import (
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Every deploy makes sure of the streams, key-value and object stores its
// services use. jetstream's CreateOrUpdate* send an update each time, even
// when nothing changed, and nats-server (2.15) rewrites a stream's store
// configuration on an update without the lock a consumer's creation reads it
// under: platforms sharing one NATS that run the same deployment at once (or
// one that lists deployments while another makes sure of their store) race
// inside the server. The Ensure functions look first and update only a store
// whose configuration differs from what is asked.

// EnsureStream returns the stream cfg names, made if missing and updated
// only when a field cfg sets differs from the stream's. A zero field of cfg
// is the server's default and is not compared, so a field set before and
// left zero now keeps its value: give every field that may change.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := js.Stream(ctx, cfg.Name)
	if err == nil && StreamCovers(s.CachedInfo().Config, cfg) {
		return s, nil
	}
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, err
	}
	return js.CreateOrUpdateStream(ctx, cfg)
}

// StreamCovers tells whether a stream configured as have already is what
// want asks: every field want sets (not zero) is equal in have.
func StreamCovers(have, want jetstream.StreamConfig) bool {
	h, w := reflect.ValueOf(have), reflect.ValueOf(want)
	for i := range w.NumField() {
		f := w.Field(i)
		if !w.Type().Field(i).IsExported() || f.IsZero() {
			continue
		}
		if !reflect.DeepEqual(h.Field(i).Interface(), f.Interface()) {
			return false
		}
	}
	return true
}

// EnsureKeyValue returns the key-value store cfg names, made if missing and
// updated only when its description, history, TTL or storage differ.
func EnsureKeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	history := int64(max(cfg.History, 1))
	if same, err := backingStreamIs(ctx, js, "KV_"+cfg.Bucket, cfg.Description, cfg.TTL, cfg.Storage, &history); err != nil {
		return nil, err
	} else if same {
		return js.KeyValue(ctx, cfg.Bucket)
	}
	return js.CreateOrUpdateKeyValue(ctx, cfg)
}

// EnsureObjectStore returns the object store cfg names, made if missing
// and updated only when its description, TTL or storage differ.
func EnsureObjectStore(ctx context.Context, js jetstream.JetStream, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, error) {
	if same, err := backingStreamIs(ctx, js, "OBJ_"+cfg.Bucket, cfg.Description, cfg.TTL, cfg.Storage, nil); err != nil {
		return nil, err
	} else if same {
		return js.ObjectStore(ctx, cfg.Bucket)
	}
	return js.CreateOrUpdateObjectStore(ctx, cfg)
}

// backingStreamIs tells whether the stream behind a key-value or object
// store exists with these settings (perSubject: the key-value history);
// false without an error when it is missing.
func backingStreamIs(ctx context.Context, js jetstream.JetStream, name, description string, ttl time.Duration, storage jetstream.StorageType, perSubject *int64) (bool, error) {
	s, err := js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c := s.CachedInfo().Config
	return c.Description == description && c.MaxAge == ttl && c.Storage == storage &&
		(perSubject == nil || c.MaxMsgsPerSubject == *perSubject), nil
}
