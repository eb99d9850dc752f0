package ids

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"testing"
	"time"
)

func TestV4(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := make(map[string]bool, 100_000)
	for range 100_000 {
		id := V4()
		if !re.MatchString(id) {
			t.Fatalf("got %q, want a lowercase UUID of version 4 and variant 10", id)
		}
		if seen[id] {
			t.Fatalf("got %q twice", id)
		}
		seen[id] = true
	}
}

// V7: version 7, variant 10, the time's milliseconds first, unique (also
// within a millisecond), and in time order across milliseconds.
func TestV7(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	at := time.Date(2026, 11, 22, 6, 15, 0, 123456789, time.UTC)
	if got, want := V7(at)[:13], "01a201e4-c71b"; got != want {
		t.Errorf("got time bits %q, want %q (%x ms)", got, want, at.UnixMilli())
	}
	seen := make(map[string]bool, 100_000)
	prev := ""
	for i := range 100_000 {
		id := V7(at.Add(time.Duration(i/10) * time.Millisecond)) // ten a millisecond
		if !re.MatchString(id) {
			t.Fatalf("got %q, want a lowercase UUID of version 7 and variant 10", id)
		}
		if seen[id] {
			t.Fatalf("got %q twice", id)
		}
		seen[id] = true
		if i%10 == 0 && id <= prev {
			t.Fatalf("got %q after %q, want ids made a millisecond later to sort later", id, prev)
		}
		prev = id
	}
}

func TestTrace(t *testing.T) {
	at := time.Date(2026, 11, 22, 6, 15, 0, 123456789, time.UTC)
	id := Trace(at)
	if got, want := hex.EncodeToString(id[:8]), fmt.Sprintf("%08x%08x", at.Unix(), 123456789); got != want {
		t.Errorf("got time bits %s, want %s (seconds, then nanoseconds)", got, want)
	}
	seen := make(map[[16]byte]bool, 100_000)
	var prev [16]byte
	for i := range 100_000 {
		id := Trace(at.Add(time.Duration(i) * 7 * time.Microsecond))
		if seen[id] {
			t.Fatalf("got %x twice", id)
		}
		seen[id] = true
		if bytes.Compare(id[:], prev[:]) <= 0 || binary.BigEndian.Uint64(id[8:]) == 0 {
			t.Fatalf("got %x after %x, want ids made later to sort later, with a random right half", id, prev)
		}
		prev = id
	}
}
