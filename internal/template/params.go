package template

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stacklab/stacklab/internal/diag"
)

// parameterTypes are the parameter types CloudFormation accepts, besides the
// AWS-specific ones (AWS::EC2::..., AWS::SSM::Parameter::Value<...>, List<...>).
var parameterTypes = []string{"String", "Number", "List<Number>", "CommaDelimitedList"}

var parameterAttrs = []string{"Type", "Default", "AllowedValues", "AllowedPattern", "MinLength", "MaxLength", "MinValue", "MaxValue", "NoEcho", "Description", "ConstraintDescription"}

func (l *loader) parameters(v *Value) {
	l.params = map[string]*Parameter{}
	defer l.undeclaredParams()
	if v == nil {
		return
	}
	if v.Kind != Map {
		l.diags.Errorf(v.Pos, "", "Parameters", "write Parameters as a map of names to {Type: ...}", "Parameters must be a map, not a %s", v.Kind)
		return
	}
	for _, f := range v.Fields {
		p := &Parameter{Name: f.Key, Pos: f.KeyPos}
		path := "Parameters." + f.Key
		if !validLogicalID(f.Key) {
			l.diags.Errorf(f.KeyPos, "", path, "use only letters and digits in a parameter name", "parameter name %q is not alphanumeric", f.Key)
		}
		l.params[f.Key] = p
		l.t.Parameters = append(l.t.Parameters, p)
		def := f.Value
		if def.Kind != Map {
			l.diags.Errorf(def.Pos, "", path, "write the parameter as a map with a Type", "a parameter must be a map, not a %s", def.Kind)
			continue
		}
		for _, a := range def.Fields {
			if !slices.Contains(parameterAttrs, a.Key) {
				l.diags.Errorf(a.KeyPos, "", path+"."+a.Key, "use one of "+strings.Join(parameterAttrs, ", ")+suggest(a.Key, parameterAttrs), "unknown parameter attribute %q", a.Key)
			}
		}
		tv := def.Get("Type")
		if tv == nil {
			l.diags.Errorf(def.Pos, "", path, "add Type: String (or Number, CommaDelimitedList, List<...>)", "the parameter has no Type")
			p.Type = "String"
		} else if s, ok := tv.Str(); !ok || tv.Kind != String {
			l.diags.Errorf(tv.Pos, "", path+".Type", "write the type as a string", "Type must be a string")
			p.Type = "String"
		} else {
			p.Type = s
			if !slices.Contains(parameterTypes, s) && !strings.HasPrefix(s, "AWS::") && !strings.HasPrefix(s, "List<") {
				l.diags.Errorf(tv.Pos, "", path+".Type", "use String, Number, List<Number>, CommaDelimitedList or an AWS-specific type"+suggest(s, parameterTypes), "unknown parameter type %q", s)
			}
		}
		if ne := def.Get("NoEcho"); ne != nil {
			s, _ := ne.Str()
			p.NoEcho = strings.EqualFold(s, "true")
		}
		var raw *Value
		if s, ok := l.opts.Params[f.Key]; ok {
			raw = str(s, f.KeyPos)
		} else if d := def.Get("Default"); d != nil {
			raw = d
		}
		if raw == nil {
			l.diags.Warnf(f.KeyPos, "", path, "give it a Default or pass --param "+f.Key+"=VALUE", "parameter %s has no value; references to it stay unresolved", f.Key)
			continue
		}
		p.Value = l.parameterValue(p, raw, def, path)
	}
}

// undeclaredParams reports --param values for parameters the template does
// not declare.
func (l *loader) undeclaredParams() {
	for _, k := range sortedKeys(l.opts.Params) {
		if _, ok := l.params[k]; !ok {
			l.diags.Errorf(diag.Pos{File: l.file, Line: 1, Col: 1}, "", "Parameters", "declare it under Parameters, or drop the --param"+suggest(k, keysOf(l.params)), "--param %s names a parameter the template does not declare", k)
		}
	}
}

// parameterValue checks a value against the parameter's constraints and
// returns it in the shape Ref gives: a string, or a list of strings for list
// types.
func (l *loader) parameterValue(p *Parameter, raw, def *Value, path string) *Value {
	isList := p.Type == "CommaDelimitedList" || strings.HasPrefix(p.Type, "List<") || strings.HasPrefix(p.Type, "AWS::SSM::Parameter::Value<List<")
	var elems []*Value
	switch raw.Kind {
	case String, Number, Bool:
		if isList {
			if raw.Scalar == "" {
				elems = nil
			} else {
				for _, s := range strings.Split(raw.Scalar, ",") {
					elems = append(elems, str(strings.TrimSpace(s), raw.Pos))
				}
			}
		} else {
			elems = []*Value{str(raw.Scalar, raw.Pos)}
		}
	case List:
		if !isList {
			l.diags.Errorf(raw.Pos, "", path, "give a single value, or make the parameter a CommaDelimitedList", "parameter of type %s has a list value", p.Type)
			return nil
		}
		for _, it := range raw.Items {
			s, ok := it.Str()
			if !ok {
				l.diags.Errorf(it.Pos, "", path, "use plain values", "list parameter items must be scalars")
				continue
			}
			elems = append(elems, str(s, it.Pos))
		}
	default:
		if _, _, isFn := raw.Intrinsic(); isFn {
			l.diags.Errorf(raw.Pos, "", path+".Default", "write a literal value; parameter defaults cannot use intrinsic functions", "a parameter's value cannot be an intrinsic function")
		} else {
			l.diags.Errorf(raw.Pos, "", path, "write a string or a number", "parameter value must be a scalar, not a %s", raw.Kind)
		}
		return nil
	}
	ok := true
	numeric := p.Type == "Number" || p.Type == "List<Number>"
	for _, e := range elems {
		ok = l.checkParam(p, e, def, path, numeric) && ok
	}
	if !ok {
		return nil
	}
	if isList {
		return &Value{Kind: List, Items: elems, Pos: raw.Pos}
	}
	return elems[0]
}

func (l *loader) checkParam(p *Parameter, e, def *Value, path string, numeric bool) bool {
	s := e.Scalar
	shown := strconv.Quote(s)
	if p.NoEcho {
		shown = "(hidden, NoEcho)"
	}
	fail := func(attr *Value, fix, format string, args ...any) bool {
		pos := e.Pos
		l.diags.Errorf(pos, "", path, fix, format, args...)
		return false
	}
	if numeric {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return fail(nil, "give a number", "value %s of %s parameter %s is not a number", shown, p.Type, p.Name)
		}
	}
	if av := def.Get("AllowedValues"); av != nil && av.Kind == List {
		var allowed []string
		for _, it := range av.Items {
			if a, ok := it.Str(); ok {
				allowed = append(allowed, a)
			}
		}
		if !slices.Contains(allowed, s) {
			return fail(av, "use one of: "+strings.Join(allowed, ", "), "value %s of parameter %s is not in AllowedValues", shown, p.Name)
		}
	}
	if ap := def.Get("AllowedPattern"); ap != nil {
		if pat, ok := ap.Str(); ok {
			re, err := regexp.Compile("^(?:" + pat + ")$")
			if err != nil {
				l.diags.Errorf(ap.Pos, "", path+".AllowedPattern", "write a valid regular expression", "AllowedPattern does not compile: %v", err)
			} else if !re.MatchString(s) {
				return fail(ap, "give a value that matches "+pat, "value %s of parameter %s does not match AllowedPattern", shown, p.Name)
			}
		}
	}
	n := utf8.RuneCountInString(s)
	if v, ok := numAttr(def, "MinLength"); ok && float64(n) < v {
		return fail(nil, "give a longer value", "value %s of parameter %s is shorter than MinLength %v", shown, p.Name, v)
	}
	if v, ok := numAttr(def, "MaxLength"); ok && float64(n) > v {
		return fail(nil, "give a shorter value", "value %s of parameter %s is longer than MaxLength %v", shown, p.Name, v)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if v, ok := numAttr(def, "MinValue"); ok && f < v {
			return fail(nil, "give a larger value", "value %s of parameter %s is below MinValue %v", shown, p.Name, v)
		}
		if v, ok := numAttr(def, "MaxValue"); ok && f > v {
			return fail(nil, "give a smaller value", "value %s of parameter %s is above MaxValue %v", shown, p.Name, v)
		}
	}
	return true
}

func numAttr(def *Value, name string) (float64, bool) {
	s, ok := def.Get(name).Str()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func (l *loader) mappings(v *Value) {
	if v == nil {
		return
	}
	l.t.Mappings = v
	if v.Kind != Map {
		l.diags.Errorf(v.Pos, "", "Mappings", "write Mappings as map -> top-level key -> second-level key -> value", "Mappings must be a map, not a %s", v.Kind)
		l.t.Mappings = nil
		return
	}
	for _, m := range v.Fields {
		if m.Value.Kind != Map {
			l.diags.Errorf(m.Value.Pos, "", "Mappings."+m.Key, "write the mapping as a map of top-level keys to maps", "a mapping must be a map, not a %s", m.Value.Kind)
			continue
		}
		for _, top := range m.Value.Fields {
			if top.Value.Kind != Map {
				l.diags.Errorf(top.Value.Pos, "", "Mappings."+m.Key+"."+top.Key, "write the top-level key's value as a map of second-level keys to values", "a mapping's top-level key must hold a map, not a %s", top.Value.Kind)
			}
		}
	}
}
