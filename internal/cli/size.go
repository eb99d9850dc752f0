package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeFlag is a flag holding a number of bytes, written as a whole number
// with an optional unit: 1048576, 512KiB, 100MB, 5GiB (KB, MB, GB, TB are
// powers of 1000; KiB, MiB, GiB, TiB powers of 1024).
type sizeFlag int64

// sizeUnits are the units a sizeFlag takes, longest first so that "GiB"
// is not read as "B".
var sizeUnits = []struct {
	name string
	n    int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

func (s *sizeFlag) String() string {
	n := int64(*s)
	for _, u := range []string{"TiB", "GiB", "MiB", "KiB"} {
		for _, v := range sizeUnits {
			if v.name == u && n >= v.n && n%v.n == 0 {
				return strconv.FormatInt(n/v.n, 10) + u
			}
		}
	}
	return strconv.FormatInt(n, 10)
}

func (s *sizeFlag) Set(text string) error {
	num, mult := strings.TrimSpace(text), int64(1)
	for _, u := range sizeUnits {
		if len(num) > len(u.name) && strings.EqualFold(num[len(num)-len(u.name):], u.name) {
			num, mult = strings.TrimSpace(num[:len(num)-len(u.name)]), u.n
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return fmt.Errorf("%q is not a size: write a whole number of bytes above 0, optionally with a unit (KiB, MiB, GiB, TiB, KB, MB, GB, TB), as 5GiB", text)
	}
	*s = sizeFlag(n * mult)
	return nil
}

func (s *sizeFlag) Type() string { return "size" }
