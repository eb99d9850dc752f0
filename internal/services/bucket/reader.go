package bucket

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// readAhead is how many chunks (128 KB each by default) a reader buffers.
const readAhead = 8

// chunkWait is how long a reader waits for the next chunk: the chunks of
// an object replaced or deleted while it is read are gone.
var chunkWait = 30 * time.Second

// chunkReader reads an object's chunks with an ordered pull consumer that
// buffers at most readAhead chunks, so a slow reader holds little memory
// whatever the object's size (the object store's own reader uses a push
// consumer that may buffer 64 MB). The content is checked against the
// object's SHA-256 digest at its end.
type chunkReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	it     jetstream.MessagesContext
	buf    []byte
	left   uint64 // bytes not yet read
	h      hash.Hash
	digest string
	err    error
}

// open streams an object's content.
func (s *Service) open(ctx context.Context, b *bucket, info *jetstream.ObjectInfo) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancel(ctx)
	r := &chunkReader{ctx: ctx, cancel: cancel, left: info.Size, h: sha256.New(), digest: info.Digest}
	if info.Size == 0 {
		return r, nil
	}
	store := StoreName(b.cfg.ID)
	cons, err := s.js.OrderedConsumer(ctx, "OBJ_"+store, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{fmt.Sprintf("$O.%s.C.%s", store, info.NUID)},
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("reading %s: %w", info.Name, err)
	}
	r.it, err = cons.Messages(jetstream.PullMaxMessages(readAhead))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("reading %s: %w", info.Name, err)
	}
	return r, nil
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(r.buf) == 0 {
		if r.left == 0 {
			if r.digest != "" && jetstream.GetObjectDigestValue(r.h) != r.digest {
				r.err = fmt.Errorf("%w: the object's content does not match its digest", jetstream.ErrDigestMismatch)
				return 0, r.err
			}
			r.err = io.EOF
			return 0, io.EOF
		}
		ctx, cancel := context.WithTimeout(r.ctx, chunkWait)
		m, err := r.it.Next(jetstream.NextContext(ctx))
		cancel()
		if err != nil {
			r.err = fmt.Errorf("reading the object: %w", err)
			return 0, r.err
		}
		r.buf = m.Data()
		if uint64(len(r.buf)) > r.left {
			r.err = fmt.Errorf("%w: the object has more content than its size", jetstream.ErrDigestMismatch)
			return 0, r.err
		}
		r.h.Write(r.buf)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	r.left -= uint64(n)
	return n, nil
}

func (r *chunkReader) Close() error {
	if r.it != nil {
		r.it.Stop()
	}
	r.cancel()
	return nil
}
