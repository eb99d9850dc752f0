package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxValue is how many characters of a value a table line shows.
const maxValue = 80

// WriteTable writes the change set for people: one row per resource under
// the header ACTION  ID  TYPE  DETAILS, one details line per changed
// property, a blank line and the summary (see ChangeSet.Summary). A details
// line starts with ~ for a changed property, + for an added one, - for a
// removed one, and ! for one that forces replacement:
//
//	~ MemorySize: 128 -> 512
//	+ Environment.Variables.TABLE: !Ref Table
//	! BucketName: a -> b (forces replacement)
//
// Long values are cut short; the JSON form of the change set has them whole.
// An empty change set is written as one line saying so.
func WriteTable(w io.Writer, c ChangeSet) error {
	var b bytes.Buffer
	if c.Empty() {
		fmt.Fprintf(&b, "No changes (%d unchanged).\n", c.Unchanged)
		_, err := w.Write(b.Bytes())
		return err
	}

	wAction, wID, wType := len("ACTION"), len("ID"), len("TYPE")
	for _, ch := range c.Changes {
		wAction = max(wAction, utf8.RuneCountInString(string(ch.Action)))
		wID = max(wID, utf8.RuneCountInString(ch.ID))
		wType = max(wType, utf8.RuneCountInString(ch.Type))
	}
	row := func(action, id, typ, details string) {
		line := pad(action, wAction) + "  " + pad(id, wID) + "  " + pad(typ, wType) + "  " + details
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}

	row("ACTION", "ID", "TYPE", "DETAILS")
	for _, ch := range c.Changes {
		details := detailLines(ch)
		first := ""
		if len(details) > 0 {
			first = details[0]
		}
		row(string(ch.Action), ch.ID, ch.Type, first)
		for _, d := range details[min(1, len(details)):] {
			row("", "", "", d)
		}
	}
	b.WriteByte('\n')
	b.WriteString(c.Summary())
	b.WriteByte('\n')

	_, err := w.Write(b.Bytes())
	return err
}

// detailLines returns the lines describing what changed in one resource.
func detailLines(ch Change) []string {
	var lines []string
	if ch.OldType != "" {
		lines = append(lines, fmt.Sprintf("! Type: %s -> %s (forces replacement)", ch.OldType, ch.Type))
	}
	for _, p := range ch.Properties {
		var line string
		switch {
		case p.Replaces:
			line = fmt.Sprintf("! %s: %s -> %s (forces replacement)", p.Path, formatValue(p.Old), formatValue(p.New))
		case p.Old == nil:
			line = fmt.Sprintf("+ %s: %s", p.Path, formatValue(p.New))
		case p.New == nil:
			line = fmt.Sprintf("- %s: %s", p.Path, formatValue(p.Old))
		default:
			line = fmt.Sprintf("~ %s: %s -> %s", p.Path, formatValue(p.Old), formatValue(p.New))
		}
		lines = append(lines, line)
	}
	return lines
}

// formatValue writes a plain JSON value on one short line: strings bare
// unless they need quotes, references in the template's short form (!Ref,
// !GetAtt), everything else as compact JSON.
func formatValue(v any) string {
	if v == nil {
		return "(none)"
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
		if needsQuotes(x) {
			s = strconv.Quote(x)
		}
	default:
		if ref, ok := shortRef(v); ok {
			s = ref
			break
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			s = fmt.Sprint(v)
		} else {
			s = strings.TrimSuffix(b.String(), "\n")
		}
	}
	return truncate(s, maxValue)
}

// shortRef writes {"Ref": "Id"} as "!Ref Id" and {"Fn::GetAtt": ["Id",
// "Arn"]} as "!GetAtt Id.Arn".
func shortRef(v any) (string, bool) {
	m, ok := asMap(v)
	if !ok || len(m) != 1 {
		return "", false
	}
	if id, ok := m["Ref"].(string); ok {
		return "!Ref " + id, true
	}
	switch att := m["Fn::GetAtt"].(type) {
	case string:
		return "!GetAtt " + att, true
	case []any:
		if len(att) == 2 {
			id, ok1 := att[0].(string)
			name, ok2 := att[1].(string)
			if ok1 && ok2 {
				return "!GetAtt " + id + "." + name, true
			}
		}
	}
	return "", false
}

// needsQuotes reports whether a string value would be hard to read bare:
// empty, with spaces or control characters, with quotes of its own, or
// looking like something else in a table ("(none)", "!Ref X").
func needsQuotes(s string) bool {
	if s == "" || s == "(none)" || strings.HasPrefix(s, "!") {
		return true
	}
	for _, r := range s {
		if r == '"' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

// truncate cuts s to at most n characters, marking the cut with "...".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}

// pad fills s with spaces to width characters.
func pad(s string, width int) string {
	if n := width - utf8.RuneCountInString(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}
