package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed schedule expression.
type Schedule interface {
	// Next returns the first tick strictly after after, or the zero time
	// when there is none.
	Next(after time.Time) time.Time
	String() string
}

// Parse reads rate(...), cron(...) or at(...).
func Parse(expr string) (Schedule, error) {
	s := strings.TrimSpace(expr)
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return nil, fmt.Errorf("schedule expression %q: write rate(...), cron(...) or at(...)", expr)
	}
	kind, body := s[:open], strings.TrimSpace(s[open+1:len(s)-1])
	switch kind {
	case "rate":
		return parseRate(expr, body)
	case "cron":
		return parseCron(expr, body)
	case "at":
		t, err := time.Parse("2006-01-02T15:04:05", body)
		if err != nil {
			return nil, fmt.Errorf("schedule expression %q: write the time as at(yyyy-mm-ddThh:mm:ss), for example at(2026-01-31T09:30:00)", expr)
		}
		return at{t: t.UTC(), src: s}, nil
	}
	return nil, fmt.Errorf("schedule expression %q: unknown kind %q; write rate(...), cron(...) or at(...)", expr, kind)
}

// at fires once.
type at struct {
	t   time.Time
	src string
}

func (a at) Next(after time.Time) time.Time {
	if a.t.After(after) {
		return a.t
	}
	return time.Time{}
}

func (a at) String() string { return a.src }

// rate fires every period, on a grid aligned to the Unix epoch.
type rate struct {
	period int64 // seconds
	src    string
}

func parseRate(expr, body string) (Schedule, error) {
	f := strings.Fields(body)
	if len(f) != 2 {
		return nil, fmt.Errorf("schedule expression %q: write rate(VALUE UNIT), for example rate(5 minutes)", expr)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 || n > 1_000_000 {
		return nil, fmt.Errorf("schedule expression %q: the rate value %q must be a whole number from 1", expr, f[0])
	}
	units := map[string]int64{"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
	sec, ok := units[f[1]]
	if !ok {
		return nil, fmt.Errorf("schedule expression %q: the rate unit %q must be minute(s), hour(s) or day(s)", expr, f[1])
	}
	if plural := strings.HasSuffix(f[1], "s"); plural != (n != 1) {
		want := strings.TrimSuffix(f[1], "s")
		if n != 1 {
			want += "s"
		}
		return nil, fmt.Errorf("schedule expression %q: write rate(%d %s)", expr, n, want)
	}
	return rate{period: int64(n) * sec, src: "rate(" + body + ")"}, nil
}

func (r rate) Next(after time.Time) time.Time {
	u := after.Unix()
	q := u / r.period
	if u < 0 && u%r.period != 0 {
		q--
	}
	t := time.Unix((q+1)*r.period, 0).UTC()
	if !t.After(after) {
		return time.Time{}
	}
	return t
}

func (r rate) String() string { return r.src }

// Years AWS cron accepts.
const (
	minYear = 1970
	maxYear = 2199
)

// bits is a set of small integers (up to 255).
type bits [4]uint64

func (b *bits) set(i int)     { b[i/64] |= 1 << (i % 64) }
func (b bits) has(i int) bool { return i >= 0 && i < 256 && b[i/64]&(1<<(i%64)) != 0 }

// cron is an AWS cron expression: minutes hours day-of-month month
// day-of-week year.
type cron struct {
	min, hour, month bits
	year             bits // year - minYear
	// day of month; domAny is ? or *, used when day-of-week is given.
	dom            bits
	domAny         bool
	domLast        bool  // L
	domLastWeekday bool  // LW
	domWeekday     []int // nW: the weekday nearest day n
	// day of week, 1-7 = SUN-SAT.
	dow     bits
	dowAny  bool
	dowLast []int    // nL: the last weekday n of the month
	dowNth  [][2]int // n#k: the k-th weekday n
	byDOW   bool     // day-of-month is ?: day-of-week decides
	src     string
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

func parseCron(expr, body string) (Schedule, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("schedule expression %q: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), got %d; for example cron(0 10 * * ? *)", expr, len(f))
	}
	c := &cron{src: "cron(" + strings.Join(f, " ") + ")"}
	errf := func(field, format string, args ...any) error {
		return fmt.Errorf("schedule expression %q: %s field %q: %s", expr, field, fieldOf(f, field), fmt.Sprintf(format, args...))
	}
	var err error
	if c.min, _, err = parseField(f[0], 0, 59, nil); err != nil {
		return nil, errf("minutes", "%v (0-59)", err)
	}
	if c.hour, _, err = parseField(f[1], 0, 23, nil); err != nil {
		return nil, errf("hours", "%v (0-23)", err)
	}
	if c.month, _, err = parseField(f[3], 1, 12, monthNames); err != nil {
		return nil, errf("month", "%v (1-12 or JAN-DEC)", err)
	}
	var years bits
	if years, _, err = parseField(f[5], minYear, maxYear, nil); err != nil {
		return nil, errf("year", "%v (%d-%d)", err, minYear, maxYear)
	}
	c.year = years
	c.byDOW = f[2] == "?"
	if err := c.parseDOM(f[2]); err != nil {
		return nil, errf("day-of-month", "%v (1-31, L, LW or nW)", err)
	}
	if err := c.parseDOW(f[4]); err != nil {
		return nil, errf("day-of-week", "%v (1-7 or SUN-SAT, nL or n#k)", err)
	}
	switch {
	case f[2] == "?" && f[4] == "?":
		return nil, errf("day-of-month", "day-of-month and day-of-week cannot both be ?; set one of them, for example cron(0 10 * * ? *)")
	case f[2] != "?" && f[4] != "?":
		return nil, errf("day-of-week", "day-of-month and day-of-week cannot both be set; write ? in one of them, for example cron(0 18 ? * MON-FRI *)")
	}
	return c, nil
}

func fieldOf(f []string, name string) string {
	i := map[string]int{"minutes": 0, "hours": 1, "day-of-month": 2, "month": 3, "day-of-week": 4, "year": 5}[name]
	return f[i]
}

// parseField reads a comma list of *, ?, N, A-B and X/STEP. Values are
// stored as given, except years, stored as year-minYear. any reports a
// bare * or ?.
func parseField(s string, lo, hi int, names map[string]int) (bits, bool, error) {
	var b bits
	any := false
	off := 0
	if lo >= minYear {
		off = minYear
	}
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			return b, false, fmt.Errorf("empty item in the list")
		}
		rng, step := item, 1
		if i := strings.IndexByte(item, '/'); i >= 0 {
			n, err := strconv.Atoi(item[i+1:])
			if err != nil || n <= 0 || n > hi-lo+1 {
				return b, false, fmt.Errorf("the step %q must be a whole number from 1 to %d", item[i+1:], hi-lo+1)
			}
			rng, step = item[:i], n
		}
		a, z := lo, hi
		switch {
		case rng == "*" || rng == "?":
			if step == 1 {
				any = true
			}
		case strings.Contains(rng, "-"):
			parts := strings.SplitN(rng, "-", 2)
			var err error
			if a, err = value(parts[0], lo, hi, names); err != nil {
				return b, false, err
			}
			if z, err = value(parts[1], lo, hi, names); err != nil {
				return b, false, err
			}
			if a > z {
				return b, false, fmt.Errorf("the range %q goes backwards; write the smaller value first", rng)
			}
		default:
			var err error
			if a, err = value(rng, lo, hi, names); err != nil {
				return b, false, err
			}
			if step > 1 || strings.Contains(item, "/") {
				z = hi
			} else {
				z = a
			}
		}
		for v := a; v <= z; v += step {
			b.set(v - off)
		}
	}
	return b, any, nil
}

func value(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return v, nil
}

func (c *cron) parseDOM(s string) error {
	var rest []string
	for _, item := range strings.Split(s, ",") {
		switch {
		case item == "L":
			c.domLast = true
		case item == "LW":
			c.domLastWeekday = true
		case strings.HasSuffix(item, "W") && len(item) > 1:
			n, err := value(item[:len(item)-1], 1, 31, nil)
			if err != nil {
				return err
			}
			c.domWeekday = append(c.domWeekday, n)
		default:
			rest = append(rest, item)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	var err error
	c.dom, c.domAny, err = parseField(strings.Join(rest, ","), 1, 31, nil)
	return err
}

func (c *cron) parseDOW(s string) error {
	var rest []string
	for _, item := range strings.Split(s, ",") {
		switch {
		case item == "L":
			c.dowLast = append(c.dowLast, 7)
		case strings.HasSuffix(item, "L") && len(item) > 1:
			n, err := value(item[:len(item)-1], 1, 7, dayNames)
			if err != nil {
				return err
			}
			c.dowLast = append(c.dowLast, n)
		case strings.Contains(item, "#"):
			parts := strings.SplitN(item, "#", 2)
			n, err := value(parts[0], 1, 7, dayNames)
			if err != nil {
				return err
			}
			k, err := strconv.Atoi(parts[1])
			if err != nil || k < 1 || k > 5 {
				return fmt.Errorf("in %q the week %q must be 1 to 5", item, parts[1])
			}
			c.dowNth = append(c.dowNth, [2]int{n, k})
		default:
			rest = append(rest, item)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	var err error
	c.dow, c.dowAny, err = parseField(strings.Join(rest, ","), 1, 7, dayNames)
	return err
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// dayMatches reports whether the day t falls on is in the expression.
func (c *cron) dayMatches(t time.Time) bool {
	y, m, d := t.Date()
	last := daysIn(y, m)
	wd := int(t.Weekday()) + 1 // 1-7 = SUN-SAT
	if c.byDOW {
		// day-of-week decides.
		if c.dow.has(wd) {
			return true
		}
		for _, n := range c.dowLast {
			if n == wd && d+7 > last {
				return true
			}
		}
		for _, nk := range c.dowNth {
			if nk[0] == wd && (d-1)/7+1 == nk[1] {
				return true
			}
		}
		return false
	}
	if c.dom.has(d) || (c.domLast && d == last) {
		return true
	}
	if c.domLastWeekday && d == nearestWeekday(y, m, last) {
		return true
	}
	for _, n := range c.domWeekday {
		if n <= last && d == nearestWeekday(y, m, n) {
			return true
		}
	}
	return false
}

// nearestWeekday is the weekday (MON-FRI) nearest day n of the month,
// without leaving the month.
func nearestWeekday(y int, m time.Month, n int) int {
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == daysIn(y, m) {
			return n - 2
		}
		return n + 1
	}
	return n
}

func (c *cron) Next(after time.Time) time.Time {
	t := after.UTC().Truncate(time.Minute).Add(time.Minute)
	for t.Year() <= maxYear {
		y, m, d := t.Date()
		switch {
		case t.Year() < minYear:
			t = time.Date(minYear, 1, 1, 0, 0, 0, 0, time.UTC)
		case !c.year.has(y - minYear):
			t = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
		case !c.month.has(int(m)):
			t = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.dayMatches(t):
			t = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
		case !c.hour.has(t.Hour()):
			t = time.Date(y, m, d, t.Hour()+1, 0, 0, 0, time.UTC)
		case !c.min.has(t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

func (c *cron) String() string { return c.src }
