package events

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// path is a compiled JSONPath of the form EventBridge's InputPath and
// InputPathsMap use: $, $.a.b, $.a[0], $['a b'].
type path []step

type step struct {
	key   string
	index int // -1: key
}

// parsePath compiles a JSONPath; only field and index steps are supported.
func parsePath(s string) (path, error) {
	const help = `write a path like $.detail.items[0].sku`
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("%q does not start with $; %s", s, help)
	}
	var p path
	rest := s[1:]
	for rest != "" {
		switch {
		case rest[0] == '.':
			rest = rest[1:]
			n := strings.IndexAny(rest, ".[")
			if n < 0 {
				n = len(rest)
			}
			key := rest[:n]
			if key == "" || key == "*" {
				return nil, fmt.Errorf("%q has an empty or * field; %s", s, help)
			}
			p = append(p, step{key: key, index: -1})
			rest = rest[n:]
		case strings.HasPrefix(rest, "['"):
			end := strings.Index(rest[2:], "']")
			if end < 0 {
				return nil, fmt.Errorf("%q has an unclosed ['; %s", s, help)
			}
			p = append(p, step{key: rest[2 : 2+end], index: -1})
			rest = rest[2+end+2:]
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("%q has an unclosed [; %s", s, help)
			}
			i, err := strconv.Atoi(rest[1:end])
			if err != nil || i < 0 {
				return nil, fmt.Errorf("%q: only field names and list indexes like [0] are supported, not [%s]; %s", s, rest[1:end], help)
			}
			p = append(p, step{index: i})
			rest = rest[end+1:]
		default:
			return nil, fmt.Errorf("%q: unexpected %q; %s", s, rest[:1], help)
		}
	}
	return p, nil
}

// get follows the path in a decoded JSON value.
func (p path) get(v any) (any, bool) {
	for _, s := range p {
		if s.index >= 0 {
			l, ok := v.([]any)
			if !ok || s.index >= len(l) {
				return nil, false
			}
			v = l[s.index]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[s.key]; !ok {
			return nil, false
		}
	}
	return v, true
}

// Transformer is a target's InputTransformer: values picked from the event
// by InputPathsMap, put into InputTemplate where it says <name>.
type Transformer struct {
	PathsMap map[string]string `json:"inputPathsMap,omitempty"`
	Template string            `json:"inputTemplate"`
}

// input is how a target's payload is made from the event, compiled.
type input struct {
	constant []byte
	path     path
	paths    map[string]path // transformer
	template string
	templ    bool
}

// compileInput checks a target's Input, InputPath and InputTransformer; at
// most one may be given.
func compileInput(t Target) (*input, error) {
	n := 0
	for _, set := range []bool{t.Input != "", t.InputPath != "", t.Transformer != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, fmt.Errorf("%w: give at most one of Input, InputPath and InputTransformer", ErrInvalid)
	}
	in := &input{}
	switch {
	case t.Input != "":
		if !json.Valid([]byte(t.Input)) {
			return nil, fmt.Errorf("%w: Input %q is not JSON; write it as a JSON text, like {\"key\": \"value\"}", ErrInvalid, t.Input)
		}
		in.constant = []byte(t.Input)
	case t.InputPath != "":
		p, err := parsePath(t.InputPath)
		if err != nil {
			return nil, fmt.Errorf("%w: InputPath %v", ErrInvalid, err)
		}
		in.path = p
	case t.Transformer != nil:
		if t.Transformer.Template == "" {
			return nil, fmt.Errorf("%w: InputTransformer needs an InputTemplate, like {\"state\": <state>}", ErrInvalid)
		}
		if len(t.Transformer.PathsMap) > 100 {
			return nil, fmt.Errorf("%w: InputTransformer: InputPathsMap has %d paths, more than the 100 allowed", ErrInvalid, len(t.Transformer.PathsMap))
		}
		in.templ, in.template, in.paths = true, t.Transformer.Template, map[string]path{}
		for name, s := range t.Transformer.PathsMap {
			if strings.HasPrefix(name, "aws.") {
				return nil, fmt.Errorf("%w: InputTransformer: InputPathsMap key %q starts with aws., which EventBridge keeps for its own values", ErrInvalid, name)
			}
			p, err := parsePath(s)
			if err != nil {
				return nil, fmt.Errorf("%w: InputTransformer: InputPathsMap %s: %v", ErrInvalid, name, err)
			}
			in.paths[name] = p
		}
	}
	return in, nil
}

// payload is what a target gets for an event.
func (in *input) payload(raw []byte, event map[string]any, rule *rule, ingested string) []byte {
	switch {
	case in.constant != nil:
		return in.constant
	case in.path != nil:
		v, ok := in.path.get(event)
		if !ok {
			return []byte("null")
		}
		b, _ := json.Marshal(v)
		return b
	case in.templ:
		return in.render(raw, event, rule, ingested)
	}
	return raw
}

// render fills the template: a placeholder inside a JSON string gets the
// value's text, one outside gets the value as JSON (null when missing).
func (in *input) render(raw []byte, event map[string]any, r *rule, ingested string) []byte {
	var b strings.Builder
	t := in.template
	inString, escaped := false, false
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == '<' {
			if end := strings.IndexByte(t[i:], '>'); end > 0 {
				name := t[i+1 : i+end]
				if v, known, ok := in.lookup(name, raw, event, r, ingested); known {
					writeValue(&b, v, ok, inString)
					i += end
					escaped = false
					continue
				}
			}
		}
		switch {
		case escaped:
			escaped = false
		case c == '\\' && inString:
			escaped = true
		case c == '"':
			inString = !inString
		}
		b.WriteByte(c)
	}
	return []byte(b.String())
}

// lookup is a placeholder's value; known is false for names that are not
// placeholders (the text is kept as written).
func (in *input) lookup(name string, raw []byte, event map[string]any, r *rule, ingested string) (v any, known, ok bool) {
	switch name {
	case "aws.events.rule-arn":
		return r.arn, true, true
	case "aws.events.rule-name":
		return r.cfg.Name, true, true
	case "aws.events.event", "aws.events.event.json":
		return json.RawMessage(raw), true, true
	case "aws.events.event.ingestion-time":
		return ingested, true, true
	}
	p, known := in.paths[name]
	if !known {
		return nil, false, false
	}
	v, ok = p.get(event)
	return v, true, ok
}

func writeValue(b *strings.Builder, v any, ok, inString bool) {
	if !inString {
		if !ok {
			b.WriteString("null")
			return
		}
		j, _ := json.Marshal(v)
		b.Write(j)
		return
	}
	if !ok {
		return
	}
	s, isStr := v.(string)
	if !isStr {
		j, _ := json.Marshal(v)
		s = string(j)
	}
	q, _ := json.Marshal(s)
	b.Write(q[1 : len(q)-1])
}
