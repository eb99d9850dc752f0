package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// dash stands for a value that is not known.
const dash = "–"

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// fmtMs formats milliseconds with a precision that suits their size.
func fmtMs(v float64) string {
	if !finite(v) {
		return dash
	}
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
}

// fmtDeltaMs formats a change in milliseconds with its sign ("−812 ms").
func fmtDeltaMs(v float64) string {
	if !finite(v) {
		return dash
	}
	sign := "+"
	if v < 0 {
		sign = "−" // U+2212, the minus sign
	}
	return sign + fmtMs(math.Abs(v)) + " ms"
}

// perMillion is the number of requests costs are shown for: a cost per
// request is a few millionths of a dollar, unreadable as "$0.0000021".
const perMillion = 1e6

// fmtCost formats a cost per request in US dollars as the cost of a million
// requests: 2.13e-6 gives "$2.13".
func fmtCost(usdPerRequest float64) string {
	if !finite(usdPerRequest) {
		return dash
	}
	v := usdPerRequest * perMillion
	a := math.Abs(v)
	switch {
	case a == 0:
		return "$0"
	case a >= 100:
		return "$" + strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1:
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	default:
		// Three significant digits.
		d := 2 - int(math.Floor(math.Log10(a)))
		return "$" + strconv.FormatFloat(v, 'f', d, 64)
	}
}

// fmtValue formats a clause statistic in its unit.
func fmtValue(v float64, unit string) string {
	if !finite(v) {
		return dash
	}
	switch strings.ToLower(unit) {
	case "ms":
		return fmtMs(v) + " ms"
	case "usd", "$":
		return fmtCost(v) + " per 1M"
	case "":
		return strconv.FormatFloat(v, 'g', 4, 64)
	default:
		return strconv.FormatFloat(v, 'g', 4, 64) + " " + unit
	}
}

// fmtLevel formats a confidence level given as a fraction (0.983 gives
// "98.3%"); a level above 1 is taken as a percentage already.
func fmtLevel(level float64) string {
	if !finite(level) || level <= 0 {
		return dash
	}
	if level <= 1 {
		level *= 100
	}
	return strconv.FormatFloat(math.Round(level*10)/10, 'f', -1, 64) + "%"
}

// fmtRatio formats a ratio with its interval: "0.42 [0.38, 0.47] (98.3% CI)".
func fmtRatio(iv Interval) string {
	if !finite(iv.Estimate) {
		return dash
	}
	s := strconv.FormatFloat(iv.Estimate, 'f', 2, 64)
	if finite(iv.Lo) && finite(iv.Hi) {
		s += fmt.Sprintf(" [%.2f, %.2f]", iv.Lo, iv.Hi)
		if l := fmtLevel(iv.Level); l != dash {
			s += " (" + l + " CI)"
		}
	}
	return s
}

// fmtP formats a p-value.
func fmtP(p float64) string {
	switch {
	case !finite(p):
		return dash
	case p < 0.001:
		return "<0.001"
	default:
		return strconv.FormatFloat(p, 'f', 3, 64)
	}
}

// fmtSigned formats an effect size in -1..1 with its sign.
func fmtSigned(v float64) string {
	if !finite(v) {
		return dash
	}
	return fmt.Sprintf("%+.2f", v)
}

// fmtShare formats a fraction as a whole percentage.
func fmtShare(v float64) string {
	if !finite(v) {
		return dash
	}
	p := math.Round(v * 100)
	if p == 0 {
		p = 0 // no "-0%"
	}
	return strconv.FormatFloat(p, 'f', 0, 64) + "%"
}

// fmtRate formats a small fraction, such as a cold-start rate, as a
// percentage with one decimal under 10%: 0.005 gives "0.5%".
func fmtRate(v float64) string {
	if !finite(v) {
		return dash
	}
	if math.Abs(v) < 0.1 && v != 0 {
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	}
	return fmtShare(v)
}

// fmtThroughput formats requests per second.
func fmtThroughput(v float64) string {
	if !finite(v) {
		return dash
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " req/s"
}

// fmtTime formats a time in its own location, or a dash for the zero time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return dash
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

// fmtDuration formats how long the run took, to the second.
func fmtDuration(start, end time.Time) string {
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return dash
	}
	return end.Sub(start).Round(time.Second).String()
}

// orDash returns s, or a dash when s is empty.
func orDash(s string) string {
	if s == "" {
		return dash
	}
	return s
}
