package schedule

import (
	"strings"
	"testing"
	"time"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	const now = "2026-11-22T02:10:00Z" // a Sunday
	tests := []struct {
		expr, after, want string // want "" is no tick
	}{
		// AWS documentation examples.
		{"cron(0 10 * * ? *)", now, "2026-11-22T10:00:00Z"},
		{"cron(15 12 * * ? *)", now, "2026-11-22T12:15:00Z"},
		{"cron(0 18 ? * MON-FRI *)", now, "2026-11-23T18:00:00Z"},
		{"cron(0 8 1 * ? *)", now, "2026-12-01T08:00:00Z"},
		{"cron(0/15 * * * ? *)", now, "2026-11-22T02:15:00Z"},
		{"cron(0/10 * ? * MON-FRI *)", now, "2026-11-23T00:00:00Z"},
		{"cron(0/5 8-17 ? * MON-FRI *)", "2026-11-23T17:56:00Z", "2026-11-24T08:00:00Z"},
		{"cron(0 9 ? * 2#1 *)", now, "2026-12-07T09:00:00Z"},
		{"cron(0 0 L * ? *)", now, "2026-11-30T00:00:00Z"},
		{"cron(0 0 15W * ? *)", "2026-11-01T00:00:00Z", "2026-11-16T00:00:00Z"}, // the 15th is a Sunday
		{"cron(0 0 15W * ? *)", now, "2026-12-15T00:00:00Z"},
		{"cron(0 0 1W * ? *)", "2026-07-31T12:00:00Z", "2026-08-03T00:00:00Z"}, // Aug 1 is a Saturday
		{"cron(0 0 LW * ? *)", "2026-12-31T01:00:00Z", "2027-01-29T00:00:00Z"}, // Jan 31 is a Sunday
		{"cron(0 12 ? * 6L *)", now, "2026-11-27T12:00:00Z"},
		{"cron(0 12 ? * FRIL *)", now, "2026-11-27T12:00:00Z"},
		{"cron(0 12 ? * SUN *)", now, "2026-11-22T12:00:00Z"},
		{"cron(0 12 ? * 1 *)", now, "2026-11-22T12:00:00Z"},
		{"cron(30 9 ? JAN,JUL MON *)", now, "2027-01-04T09:30:00Z"},
		{"cron(0 0 29 FEB ? *)", now, "2028-02-29T00:00:00Z"},
		{"cron(0 0 30 FEB ? *)", now, ""},
		{"cron(0 10 * * ? 2025)", now, ""},
		{"cron(0 10 * * ? 2027-2030)", now, "2027-01-01T10:00:00Z"},
		{"cron(*/10 8-9 * * ? *)", now, "2026-11-22T08:00:00Z"},
		{"cron(5,35 * * * ? *)", now, "2026-11-22T02:35:00Z"},
		{"cron(0 0 * * ? *)", "2026-11-22T23:59:59Z", "2026-11-23T00:00:00Z"},
		{"cron(0 10 * * ? *)", "2026-11-22T10:00:00Z", "2026-11-23T10:00:00Z"}, // strictly after
		{"rate(1 minute)", now, "2026-11-22T02:11:00Z"},
		{"rate(5 minutes)", "2026-11-22T02:10:30Z", "2026-11-22T02:15:00Z"},
		{"rate(1 hour)", now, "2026-11-22T03:00:00Z"},
		{"rate(1 day)", now, "2026-11-23T00:00:00Z"},
		{"at(2026-12-25T08:00:00)", now, "2026-12-25T08:00:00Z"},
		{"at(2026-12-25T08:00:00)", "2026-12-25T08:00:00Z", ""},
	}
	for _, tt := range tests {
		t.Run(tt.expr+"@"+tt.after, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := s.Next(ts(tt.after))
			var want time.Time
			if tt.want != "" {
				want = ts(tt.want)
			}
			if !got.Equal(want) {
				t.Errorf("Next(%s) = %v, want %v", tt.after, got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", "write rate(...), cron(...) or at(...)"},
		{"every(5 minutes)", "unknown kind"},
		{"rate(5 minute)", "write rate(5 minutes)"},
		{"rate(1 minutes)", "write rate(1 minute)"},
		{"rate(0 minutes)", "whole number from 1"},
		{"rate(5 weeks)", "minute(s), hour(s) or day(s)"},
		{"rate(5)", "rate(VALUE UNIT)"},
		{"cron(0 10 * * ?)", "6 fields"},
		{"cron(60 10 * * ? *)", `minutes field "60"`},
		{"cron(0 24 * * ? *)", `hours field "24"`},
		{"cron(0 10 32 * ? *)", `day-of-month field "32"`},
		{"cron(0 10 * 13 ? *)", `month field "13"`},
		{"cron(0 10 ? * 8 *)", `day-of-week field "8"`},
		{"cron(0 10 ? * MON#6 *)", "must be 1 to 5"},
		{"cron(0 10 * * ? 1969)", `year field "1969"`},
		{"cron(0 10 * * * *)", "write ? in one of them"},
		{"cron(0 10 ? * ? *)", "cannot both be ?"},
		{"cron(0 10 5-1 * ? *)", "goes backwards"},
		{"cron(0/0 10 * * ? *)", "step"},
		{"cron(0,,1 10 * * ? *)", "empty item"},
		{"at(2026-12-25 08:00)", "at(yyyy-mm-ddThh:mm:ss)"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := Parse(tt.expr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) error = %v, want it to contain %q", tt.expr, err, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"cron(0 10 * * ? *)", "cron(0 18 ? * MON-FRI *)", "cron(0 9 ? * 2#1 *)", "cron(0 0 L * ? *)", "cron(0 0 15W * ? *)", "cron(0 0 LW * ? 2030)", "cron(0/15 * ? * 6L *)", "rate(5 minutes)", "at(2026-12-25T08:00:00)"} {
		f.Add(s, int64(1795000000))
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64) {
		s, err := Parse(expr)
		if err != nil {
			return
		}
		after := time.Unix(unix%(1<<36), 0)
		if next := s.Next(after); !next.IsZero() && !next.After(after) {
			t.Fatalf("%s: Next(%v) = %v, not after it", expr, after, next)
		}
	})
}
