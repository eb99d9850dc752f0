package schedule

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParseErrorsNameTheExpression checks that Parse refuses malformed
// input with an error that quotes the expression and says what to write,
// never with a panic or a bare message.
func FuzzParseErrorsNameTheExpression(f *testing.F) {
	for _, s := range []string{"cron(0 10 * * ? *)", "cron(0 10 * * * *)", "cron(60 10 * * ? *)", "cron(0/0 10 * * ? *)", "cron(0,,1 10 * * ? *)",
		"cron(0 10 ? * MON#6 *)", "cron(0 10 5-1 * ? *)", "cron(0 0 LW * ? 2030)", "rate(5 minute)", "rate(0 minutes)", "at(2026-12-25 08:00)", "cron(", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		_, err := Parse(expr)
		if err == nil {
			return
		}
		prefix := fmt.Sprintf("schedule expression %q: ", expr)
		msg := err.Error()
		if !strings.HasPrefix(msg, prefix) || len(msg) == len(prefix) {
			t.Fatalf("Parse(%q) = %q, want an error starting %q and saying what is wrong", expr, msg, prefix)
		}
	})
}
