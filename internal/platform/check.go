package platform

import (
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/services/events"
	"github.com/stacklab/stacklab/internal/stack"
)

// Check makes, without running anything, the checks a deploy makes beyond
// the template's own: that async destinations, bucket notifications, topic
// subscriptions and event rules name things of the stack, that event
// patterns and inputs compile, and that schedule expressions parse.
// `stacklab validate` reports them, so that a template it calls valid
// deploys; topic subscriptions of protocols that are not delivered (http,
// email, ...) are warnings.
func Check(file string, st *stack.Stack) diag.List {
	p := &Platform{log: slog.New(slog.DiscardHandler), events: events.New(nil, nil, nil, nil, events.Options{})}
	var out diag.List
	add := func(err error) {
		if err == nil {
			return
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, checkDiagnostic(file, st, line))
			}
		}
	}
	add(p.checkAsyncDestinations(st))
	add(checkNotifications(st))
	add(checkSubscriptions(st))
	_, err := p.eventsConfig(st)
	add(err)
	_, err = scheduleJobs(st)
	add(err)
	for _, w := range undeliveredSubscriptions(st) {
		d := checkDiagnostic(file, st, w)
		d.Severity = diag.Warning
		out = append(out, d)
	}
	return out
}

// checkLine reads the place and the resource a deploy error names:
// "[file:line:col: ]function|bucket|rule|topic|subscription|resource ID[ ...]:
// message".
var checkLine = regexp.MustCompile(`^(?:(.+):(\d+):(\d+): )?(?:function|bucket|rule|topic|subscription|resource) ([A-Za-z0-9]+)\b`)

// checkDiagnostic is a deploy error as a diagnostic at the resource it
// names, or at the template when it names none.
func checkDiagnostic(file string, st *stack.Stack, line string) diag.Diagnostic {
	d := diag.Diagnostic{Severity: diag.Error, Message: line, Pos: diag.Pos{File: file}}
	m := checkLine.FindStringSubmatch(line)
	if m == nil {
		return d
	}
	msg := line
	if m[1] != "" {
		ln, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		d.Pos = diag.Pos{File: m[1], Line: ln, Col: col}
		msg = strings.TrimPrefix(msg, m[1]+":"+m[2]+":"+m[3]+": ")
	}
	if r := st.Lookup(m[4]); r != nil {
		d.Resource = r.ID
		if m[1] == "" {
			d.Pos = r.Pos
		}
		// The diagnostic names the resource; the message need not.
		for _, kind := range []string{"function ", "bucket ", "rule ", "topic ", "subscription ", "resource "} {
			msg = strings.TrimPrefix(msg, kind+r.ID+": ")
		}
	}
	d.Message = msg
	return d
}
