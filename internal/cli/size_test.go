package cli

import (
	"strings"
	"testing"
)

func TestSizeFlag(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		text string
	}{
		{"1048576", 1 << 20, "1MiB"},
		{"5GiB", 5 << 30, "5GiB"},
		{"5gib", 5 << 30, "5GiB"},
		{"100MB", 100e6, "100000000"},
		{"512 KiB", 512 << 10, "512KiB"},
		{"1TiB", 1 << 40, "1TiB"},
		{"7B", 7, "7"},
		{"1000", 1000, "1000"},
	} {
		var s sizeFlag
		if err := s.Set(c.in); err != nil {
			t.Errorf("Set(%q): %v", c.in, err)
			continue
		}
		if int64(s) != c.want || s.String() != c.text {
			t.Errorf("Set(%q) = %d (%s), want %d (%s)", c.in, int64(s), s.String(), c.want, c.text)
		}
	}
	for _, in := range []string{"", "0", "-5MB", "5 GB extra", "1.5GiB", "GiB", "9999999TiB", "5XB"} {
		var s sizeFlag
		if err := s.Set(in); err == nil || !strings.Contains(err.Error(), "5GiB") {
			t.Errorf("Set(%q): %v, want an error that shows how to write a size", in, err)
		}
	}
}
