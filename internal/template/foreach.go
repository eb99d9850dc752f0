package template

import (
	"strings"
)

// forEachSection expands the Fn::ForEach loops at the top of a section
// (Resources, Conditions, Outputs) of a template with AWS::LanguageExtensions.
func (l *loader) forEachSection(sec *Value, name string) *Value {
	if sec == nil || sec.Kind != Map {
		return sec
	}
	rs := &resolver{l: l, refs: map[string]bool{}, section: name}
	return l.expandForEach(sec, "", rs)
}

// expandForEach replaces every "Fn::ForEach::Name: [Identifier, Collection,
// {OutputKey: OutputValue}]" key of map v with the keys it generates, one set
// per item of the collection. ${Identifier} and &{Identifier} (the item with
// non-alphanumeric characters removed) are replaced in keys and strings, and
// Ref: Identifier by the item.
func (l *loader) expandForEach(v *Value, path string, rs *resolver) *Value {
	if !l.t.HasTransform("AWS::LanguageExtensions") || !hasForEach(v) {
		return v
	}
	out := &Value{Kind: Map, Pos: v.Pos}
	seen := map[string]bool{}
	add := func(f Field) {
		if seen[f.Key] {
			rs.errorf(f.KeyPos, join(path, f.Key), "make the generated keys unique, e.g. by using the identifier in the key", "Fn::ForEach generates key %q more than once", f.Key)
			return
		}
		seen[f.Key] = true
		out.Fields = append(out.Fields, f)
	}
	for _, f := range v.Fields {
		if !strings.HasPrefix(f.Key, "Fn::ForEach::") {
			add(f)
			continue
		}
		loop := join(path, f.Key)
		arg := f.Value
		if arg.Kind != List || len(arg.Items) != 3 {
			rs.errorf(arg.Pos, loop, "write Fn::ForEach::Name: [Identifier, [Collection...], {OutputKey: OutputValue}]", "Fn::ForEach needs an identifier, a collection and an output map")
			continue
		}
		ident, ok := arg.Items[0].Str()
		if !ok || arg.Items[0].Kind != String || !validLogicalID(ident) {
			rs.errorf(arg.Items[0].Pos, loop, "name the loop variable with letters and digits", "Fn::ForEach's identifier must be an alphanumeric string")
			continue
		}
		coll := rs.resolve(arg.Items[1], loop)
		if coll == nil || coll.Kind != List {
			if l.budget.over {
				continue // not resolved for want of budget, and reported
			}
			if coll != nil && coll.Kind == Map {
				rs.warnf(arg.Items[1].Pos, loop, "give the parameter it depends on a value with --param", "Fn::ForEach's collection is not known here, so the loop is not expanded")
			} else {
				rs.errorf(arg.Items[1].Pos, loop, "give a list, or Ref to a CommaDelimitedList parameter", "Fn::ForEach's collection must be a list")
			}
			continue
		}
		body := arg.Items[2]
		if body.Kind != Map {
			rs.errorf(body.Pos, loop, "write the output as a map of key templates to values", "Fn::ForEach's output must be a map, not a %s", body.Kind)
			continue
		}
		// What one item makes of each output: values, bytes, and uses of
		// the identifier, each of which becomes the item.
		costs := make([][3]int, len(body.Fields))
		for i, bf := range body.Fields {
			n, b, u := measure(bf.Value, "{"+ident+"}")
			costs[i] = [3]int{n, b + len(bf.Key), u + strings.Count(bf.Key, "{"+ident+"}")}
		}
	items:
		for _, it := range coll.Items {
			item, ok := it.Str()
			if !ok || it.Kind == Map {
				rs.errorf(it.Pos, loop, "use plain strings in the collection", "Fn::ForEach's collection items must be strings")
				continue
			}
			for i, bf := range body.Fields {
				if c := costs[i]; !l.spend(c[0], c[1]+c[2]*len(item), bf.KeyPos) {
					break items
				}
				key := substituteIdent(bf.Key, ident, item)
				add(Field{Key: key, KeyPos: bf.KeyPos, Value: substituteValue(bf.Value.Clone(), ident, item)})
			}
		}
	}
	return l.expandForEach(out, path, rs)
}

func hasForEach(v *Value) bool {
	if v == nil || v.Kind != Map {
		return false
	}
	for _, f := range v.Fields {
		if strings.HasPrefix(f.Key, "Fn::ForEach::") {
			return true
		}
	}
	return false
}

func substituteIdent(s, ident, item string) string {
	if !strings.Contains(s, "{"+ident+"}") {
		return s
	}
	s = strings.ReplaceAll(s, "${"+ident+"}", item)
	return strings.ReplaceAll(s, "&{"+ident+"}", alnum(item))
}

func alnum(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func substituteValue(v *Value, ident, item string) *Value {
	switch v.Kind {
	case String:
		v.Scalar = substituteIdent(v.Scalar, ident, item)
	case List:
		for i := range v.Items {
			v.Items[i] = substituteValue(v.Items[i], ident, item)
		}
	case Map:
		if name, arg, ok := v.Intrinsic(); ok && name == "Ref" {
			if s, ok := arg.Str(); ok && s == ident {
				return str(item, v.Pos)
			}
		}
		for i := range v.Fields {
			v.Fields[i].Key = substituteIdent(v.Fields[i].Key, ident, item)
			v.Fields[i].Value = substituteValue(v.Fields[i].Value, ident, item)
		}
	}
	return v
}
