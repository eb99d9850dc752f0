// Package ids makes the UUIDs stacklab hands out: random ones (version 4)
// for messages, events and API Gateway request ids, and time-ordered ones
// (version 7) for invocation request ids, which the span store indexes
// and so appends to; and time-ordered trace ids (Trace) for the same reason. Ids must be unique, not secret: the random bits come
// from math/rand/v2's per-thread generator (ChaCha8, seeded from the
// system), not a system call each. It knows nothing of what they name.
package ids

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"time"
)

// V4 is a random (version 4) UUID, lowercase 8-4-4-4-12 hex.
func V4() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = 0x40 | b[6]&0x0f
	return format(&b)
}

// V7 is a time-ordered (version 7) UUID: the 48 bits of now's Unix
// milliseconds first, then random bits, so ids made later sort later.
func V7(now time.Time) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	ms := uint64(now.UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = 0x70 | b[6]&0x0f
	return format(&b)
}

// Trace is the trace id of a new root: now's Unix seconds in the first
// four bytes, so that it is also an X-Ray trace id (1-<8 hex>-<24 hex>);
// the nanoseconds within that second in the next four, so that ids made
// later sort later and the span store's indexes of trace ids are appended
// to rather than split anywhere; then eight random bytes, the random right
// part W3C Trace Context's "random" flag speaks of.
func Trace(now time.Time) (id [16]byte) {
	binary.BigEndian.PutUint32(id[:4], uint32(now.Unix()))
	binary.BigEndian.PutUint32(id[4:8], uint32(now.Nanosecond()))
	for binary.BigEndian.Uint64(id[8:]) == 0 { // never all zero
		binary.BigEndian.PutUint64(id[8:], rand.Uint64())
	}
	return id
}

// format sets the RFC 9562 variant and writes b as 8-4-4-4-12 hex.
func format(b *[16]byte) string {
	b[8] = 0x80 | b[8]&0x3f
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}
