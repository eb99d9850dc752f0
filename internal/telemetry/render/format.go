package render

import (
	"fmt"
	"time"
)

// Duration formats a duration compactly for tables: 412µs, 12.3ms, 1.24s, 3m05s.
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	m := int(d / time.Minute)
	return fmt.Sprintf("%dm%02ds", m, int((d-time.Duration(m)*time.Minute)/time.Second))
}

// percent formats a 0..1 fraction as a percentage.
func percent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// money formats a cost in dollars with enough digits for tiny Lambda costs.
func money(c float64) string {
	switch {
	case c == 0:
		return "$0"
	case c < 0.01:
		return fmt.Sprintf("$%.6f", c)
	}
	return fmt.Sprintf("$%.4f", c)
}
