package invoke

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stacklab/stacklab/internal/bus"
)

// Where outcomes wait that could not be delivered yet.
const (
	outcomeBucket = "STACKLAB_ASYNC_OUTCOMES"
	// outcomeTTL is how long an undelivered outcome is kept. An event
	// whose outcome expired runs again when it is next delivered (at least
	// once).
	outcomeTTL = 7 * 24 * time.Hour
	// maxSettleDelay caps the backoff between delivery attempts.
	maxSettleDelay = time.Minute
)

// outcomes keeps the outcomes of events whose Settle failed, by request
// id, so that the next delivery of the event settles it again without
// running the function again.
type outcomes struct {
	kv jetstream.KeyValue
}

func openOutcomes(ctx context.Context, js jetstream.JetStream) (*outcomes, error) {
	kv, err := bus.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      outcomeBucket,
		Description: "outcomes of async invocations waiting for their destinations",
		History:     1,
		TTL:         outcomeTTL,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the async outcome store %s: %w", outcomeBucket, err)
	}
	return &outcomes{kv: kv}, nil
}

// key is a KV key for a request id: the id itself when it is a valid key,
// else a hash of it.
func outcomeKey(id string) string {
	ok := id != ""
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			ok = false
			break
		}
	}
	if ok {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "h" + hex.EncodeToString(sum[:16])
}

// get returns the kept outcome of a request, if there is one.
func (s *outcomes) get(ctx context.Context, id string) (*Outcome, bool, error) {
	e, err := s.kv.Get(ctx, outcomeKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading the kept outcome of request %s: %w", id, err)
	}
	var o Outcome
	if err := json.Unmarshal(e.Value(), &o); err != nil {
		return nil, false, fmt.Errorf("decoding the kept outcome of request %s: %w", id, err)
	}
	return &o, true, nil
}

// put keeps an outcome until it is delivered.
func (s *outcomes) put(ctx context.Context, o *Outcome) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	if _, err := s.kv.Put(ctx, outcomeKey(o.RequestID), b); err != nil {
		return fmt.Errorf("keeping the outcome of request %s: %w", o.RequestID, err)
	}
	return nil
}

// drop forgets a delivered outcome.
func (s *outcomes) drop(ctx context.Context, id string) error {
	err := s.kv.Purge(ctx, outcomeKey(id))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("forgetting the outcome of request %s: %w", id, err)
	}
	return nil
}
