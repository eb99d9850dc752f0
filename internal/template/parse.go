package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/stacklab/stacklab/internal/diag"
	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the number of values one document may expand to, so that a
// small file with nested YAML aliases cannot exhaust memory.
const maxNodes = 1_000_000

// maxDepth bounds how deep values may nest, in YAML and in JSON.
const maxDepth = 1000

// shortTags maps YAML short-form tags to the long-form key. Tags not listed
// here but of the form !Name become Fn::Name.
var shortTags = map[string]string{
	"!Ref":       "Ref",
	"!Condition": "Condition",
}

// knownFns lists the intrinsic functions stacklab knows, in long form.
var knownFns = map[string]bool{
	"Fn::Base64": true, "Fn::Cidr": true, "Fn::FindInMap": true, "Fn::GetAtt": true,
	"Fn::GetAZs": true, "Fn::ImportValue": true, "Fn::Join": true, "Fn::Select": true,
	"Fn::Split": true, "Fn::Sub": true, "Fn::Transform": true, "Fn::If": true,
	"Fn::Equals": true, "Fn::Not": true, "Fn::And": true, "Fn::Or": true,
	"Fn::Length": true, "Fn::ToJsonString": true, "Fn::ForEach": true,
}

// Parse reads a YAML or JSON template document. name is used in positions.
// Syntax errors, unknown tags and duplicate keys are returned as diagnostics;
// the Value is nil only when nothing could be read.
func Parse(name string, src []byte) (*Value, diag.List) {
	p := &parser{file: name}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	err := dec.Decode(&doc)
	if err != nil {
		if errors.Is(err, io.EOF) {
			p.diags.Errorf(diag.Pos{File: name, Line: 1, Col: 1}, "", "", "write a template with at least a Resources section", "the template is empty")
			return nil, p.diags
		}
		trimmed := bytes.TrimLeft(src, " \t\r\n\ufeff")
		if len(trimmed) > 0 && trimmed[0] == '{' {
			return parseJSON(name, src)
		}
		p.diags = append(p.diags, yamlError(name, err))
		return nil, p.diags
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	v := p.node(root, 0)
	return v, p.diags
}

type parser struct {
	file  string
	diags diag.List
	nodes int
}

func (p *parser) pos(n *yaml.Node) diag.Pos {
	return diag.Pos{File: p.file, Line: n.Line, Col: n.Column}
}

func (p *parser) node(n *yaml.Node, depth int) *Value {
	p.nodes++
	if p.nodes > maxNodes || depth > maxDepth {
		if p.nodes == maxNodes+1 || depth == maxDepth+1 {
			p.diags.Errorf(p.pos(n), "", "", "remove the recursive or deeply nested YAML aliases", "the document expands to too many values (more than %d, or nested more than %d deep)", maxNodes, maxDepth)
		}
		return &Value{Kind: Null, Pos: p.pos(n)}
	}
	var v *Value
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return &Value{Kind: Null, Pos: p.pos(n)}
		}
		v = p.node(n.Alias, depth+1)
		v.Pos = p.pos(n)
		return v
	case yaml.ScalarNode:
		v = p.scalar(n)
	case yaml.SequenceNode:
		v = &Value{Kind: List, Pos: p.pos(n), Items: make([]*Value, 0, len(n.Content))}
		for _, c := range n.Content {
			v.Items = append(v.Items, p.node(c, depth+1))
		}
	case yaml.MappingNode:
		v = p.mapping(n, depth)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return &Value{Kind: Null, Pos: p.pos(n)}
		}
		return p.node(n.Content[0], depth+1)
	default:
		v = &Value{Kind: Null, Pos: p.pos(n)}
	}
	return p.tag(n, v)
}

func (p *parser) scalar(n *yaml.Node) *Value {
	v := &Value{Kind: String, Scalar: n.Value, Pos: p.pos(n)}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return v
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		v.Kind = Number
	case "!!bool":
		v.Kind = Bool
		v.Scalar = strings.ToLower(n.Value)
	case "!!null":
		v.Kind = Null
		v.Scalar = ""
	}
	return v
}

func (p *parser) mapping(n *yaml.Node, depth int) *Value {
	v := &Value{Kind: Map, Pos: p.pos(n)}
	seen := make(map[string]diag.Pos, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag != "!!str" && k.Style == 0 {
			p.merge(v, val, seen, depth)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.diags.Errorf(p.pos(k), "", "", "use a plain string as the key", "a map key must be a string, not a %s", kindName(k))
			continue
		}
		key := k.Value
		if prev, dup := seen[key]; dup {
			p.diags.Errorf(p.pos(k), "", key, "remove one of the two, or rename it", "duplicate key %q (first defined at line %d)", key, prev.Line)
			continue
		}
		seen[key] = p.pos(k)
		v.Fields = append(v.Fields, Field{Key: key, KeyPos: p.pos(k), Value: p.node(val, depth+1)})
	}
	return v
}

// merge applies a YAML merge key (<<: *anchor or a list of them); keys already
// present win, as YAML specifies.
func (p *parser) merge(v *Value, n *yaml.Node, seen map[string]diag.Pos, depth int) {
	m := p.node(n, depth+1)
	var maps []*Value
	switch m.Kind {
	case Map:
		maps = []*Value{m}
	case List:
		maps = m.Items
	}
	for _, mm := range maps {
		if mm.Kind != Map {
			continue
		}
		for _, f := range mm.Fields {
			if _, ok := seen[f.Key]; ok {
				continue
			}
			seen[f.Key] = f.KeyPos
			v.Fields = append(v.Fields, f)
		}
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "map"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// tag turns a short-form intrinsic (!Ref x, !GetAtt a.b, !Sub ...) into its
// long form ({"Ref": x}, {"Fn::GetAtt": [a, b]}, {"Fn::Sub": ...}).
func (p *parser) tag(n *yaml.Node, v *Value) *Value {
	t := n.Tag
	if t == "" || strings.HasPrefix(t, "!!") || t == "!" {
		return v
	}
	if strings.HasPrefix(t, "tag:yaml.org,2002:") {
		return v
	}
	key, ok := shortTags[t]
	if !ok {
		key = "Fn::" + strings.TrimPrefix(t, "!")
		if !knownFns[key] {
			p.diags.Errorf(p.pos(n), "", "", "use one of !Ref, !Sub, !GetAtt, !Join, !Select, !Split, !If, !Equals, !Not, !And, !Or, !FindInMap, !Base64, !Condition, !ImportValue, !GetAZs, !Cidr", "unknown tag %s", t)
			return v
		}
	}
	if key == "Fn::GetAtt" && v.Kind == String {
		// !GetAtt Res.Attr: split at the first dot; attributes may contain dots.
		res, attr, found := strings.Cut(v.Scalar, ".")
		if !found {
			p.diags.Errorf(v.Pos, "", "", "write !GetAtt Resource.Attribute", "!GetAtt %q has no attribute", v.Scalar)
		}
		v = &Value{Kind: List, Pos: v.Pos, Items: []*Value{str(res, v.Pos), str(attr, v.Pos)}}
	}
	if v.Kind == Null && n.Value == "" && (key == "Fn::GetAZs") {
		v = str("", v.Pos)
	}
	pos := p.pos(n)
	return &Value{Kind: Map, Pos: pos, Fields: []Field{{Key: key, KeyPos: pos, Value: v}}}
}

var yamlLineRe = regexp.MustCompile(`(?:yaml: )?line (\d+):?\s*(?:column (\d+):?\s*)?(.*)`)

func yamlError(name string, err error) diag.Diagnostic {
	msg := err.Error()
	pos := diag.Pos{File: name, Line: 1, Col: 1}
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			pos.Col, _ = strconv.Atoi(m[2])
		} else {
			pos.Col = 1
		}
		msg = m[3]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return diag.Diagnostic{Severity: diag.Error, Pos: pos, Message: "invalid YAML: " + msg, Fix: "fix the syntax at this place (indentation with spaces, balanced quotes and brackets)"}
}

// parseJSON reads a JSON document with positions; used when the YAML reader
// refuses a document that is JSON (for example with tab indentation).
func parseJSON(name string, src []byte) (*Value, diag.List) {
	jp := &jsonParser{file: name, src: src, dec: json.NewDecoder(bytes.NewReader(src))}
	jp.dec.UseNumber()
	v, err := jp.value()
	if err == nil {
		if _, err2 := jp.dec.Token(); err2 != io.EOF {
			err = fmt.Errorf("unexpected data after the document")
		}
	}
	if err != nil {
		pos := jp.at(jp.dec.InputOffset())
		var se *json.SyntaxError
		if errors.As(err, &se) {
			pos = jp.at(se.Offset)
		}
		jp.diags.Errorf(pos, "", "", "fix the JSON syntax at this place", "invalid JSON: %v", err)
		return nil, jp.diags
	}
	return v, jp.diags
}

type jsonParser struct {
	file  string
	src   []byte
	dec   *json.Decoder
	diags diag.List
	depth int // of the value being read

	// at's cursor: the position of byte offset off, so that positions are
	// found in one pass over the document rather than from its start.
	off       int64
	line, col int
}

func (j *jsonParser) at(off int64) diag.Pos {
	if off > int64(len(j.src)) {
		off = int64(len(j.src))
	}
	if off < j.off || j.line == 0 {
		j.off, j.line, j.col = 0, 1, 1
	}
	for _, c := range j.src[j.off:off] {
		if c == '\n' {
			j.line++
			j.col = 1
		} else {
			j.col++
		}
	}
	j.off = off
	return diag.Pos{File: j.file, Line: j.line, Col: j.col}
}

// here returns the position of the next token.
func (j *jsonParser) here() diag.Pos {
	off := j.dec.InputOffset()
	for off < int64(len(j.src)) {
		switch j.src[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return j.at(off)
}

func (j *jsonParser) value() (*Value, error) {
	j.depth++
	defer func() { j.depth-- }()
	if j.depth > maxDepth {
		return nil, fmt.Errorf("the document is nested more than %d deep", maxDepth)
	}
	pos := j.here()
	tok, err := j.dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &Value{Kind: Map, Pos: pos}
			seen := map[string]diag.Pos{}
			for j.dec.More() {
				kpos := j.here()
				kt, err := j.dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				val, err := j.value()
				if err != nil {
					return nil, err
				}
				if prev, dup := seen[key]; dup {
					j.diags.Errorf(kpos, "", key, "remove one of the two, or rename it", "duplicate key %q (first defined at line %d)", key, prev.Line)
					continue
				}
				seen[key] = kpos
				v.Fields = append(v.Fields, Field{Key: key, KeyPos: kpos, Value: val})
			}
			_, err := j.dec.Token()
			return v, err
		case '[':
			v := &Value{Kind: List, Pos: pos}
			for j.dec.More() {
				it, err := j.value()
				if err != nil {
					return nil, err
				}
				v.Items = append(v.Items, it)
			}
			_, err := j.dec.Token()
			return v, err
		}
	case string:
		return &Value{Kind: String, Scalar: t, Pos: pos}, nil
	case json.Number:
		return &Value{Kind: Number, Scalar: t.String(), Pos: pos}, nil
	case bool:
		return &Value{Kind: Bool, Scalar: strconv.FormatBool(t), Pos: pos}, nil
	case nil:
		return &Value{Kind: Null, Pos: pos}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
