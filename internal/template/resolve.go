package template

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/stacklab/stacklab/internal/diag"
)

// resolver evaluates intrinsic functions inside one part of a template (a
// resource's properties, an output, a condition).
type resolver struct {
	l           *loader
	res         string // logical id, when inside a resource
	section     string // otherwise, e.g. "Outputs.Api"
	refs        map[string]bool
	lenient     bool // Metadata: unknown references are not errors
	inCondition bool
}

func (r *resolver) errorf(pos diag.Pos, path, fix, format string, args ...any) {
	if r.lenient {
		return
	}
	r.l.diags.Errorf(pos, r.res, r.prop(path), fix, format, args...)
}

func (r *resolver) warnf(pos diag.Pos, path, fix, format string, args ...any) {
	r.l.diags.Warnf(pos, r.res, r.prop(path), fix, format, args...)
}

func (r *resolver) prop(path string) string {
	if r.res != "" {
		return path
	}
	if path == "" {
		return r.section
	}
	return r.section + "." + path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// resolve returns v with every intrinsic function that can be evaluated
// replaced by its value. It returns nil for AWS::NoValue.
func (r *resolver) resolve(v *Value, path string) *Value {
	if v == nil {
		return nil
	}
	if !r.l.spend(1, len(v.Scalar), v.Pos) {
		return v
	}
	switch v.Kind {
	case Map:
		if name, arg, ok := v.Intrinsic(); ok && !strings.HasPrefix(name, "Fn::ForEach::") {
			return r.fn(name, arg, v, path)
		}
		out := &Value{Kind: Map, Pos: v.Pos, Fields: make([]Field, 0, len(v.Fields))}
		for _, f := range r.l.expandForEach(v, path, r).Fields {
			if rv := r.resolve(f.Value, join(path, f.Key)); rv != nil {
				out.Fields = append(out.Fields, Field{Key: f.Key, KeyPos: f.KeyPos, Value: rv})
			}
		}
		return out
	case List:
		out := &Value{Kind: List, Pos: v.Pos, Items: make([]*Value, 0, len(v.Items))}
		for i, it := range v.Items {
			if rv := r.resolve(it, index(path, i)); rv != nil {
				out.Items = append(out.Items, rv)
			}
		}
		return out
	case String:
		if strings.Contains(v.Scalar, "{{resolve:") {
			return r.dynamicRefs(v, path)
		}
	}
	return v
}

var dynRefRe = regexp.MustCompile(`\{\{resolve:([A-Za-z0-9-]+):([^}]*)\}\}`)

// dynamicRefs replaces {{resolve:service:key}} with values the user supplied;
// missing ones are warnings and stay as they are.
func (r *resolver) dynamicRefs(v *Value, path string) *Value {
	missing := false
	s := dynRefRe.ReplaceAllStringFunc(v.Scalar, func(m string) string {
		sub := dynRefRe.FindStringSubmatch(m)
		if val, ok := r.l.opts.Values[m]; ok {
			return val
		}
		if val, ok := r.l.opts.Values[sub[2]]; ok {
			return val
		}
		r.warnf(v.Pos, path, "supply it with --value '"+sub[2]+"=VALUE' or a values file", "dynamic reference %s has no value here", m)
		missing = true
		return m
	})
	_ = missing
	return str(s, v.Pos)
}

// isConst reports whether v holds no intrinsic function.
func isConst(v *Value) bool {
	switch v.Kind {
	case Map:
		if _, _, ok := v.Intrinsic(); ok {
			return false
		}
		for _, f := range v.Fields {
			if !isConst(f.Value) {
				return false
			}
		}
	case List:
		for _, it := range v.Items {
			if !isConst(it) {
				return false
			}
		}
	}
	return true
}

func call(name string, arg *Value, pos diag.Pos) *Value {
	return &Value{Kind: Map, Pos: pos, Fields: []Field{{Key: name, KeyPos: pos, Value: arg}}}
}

func list(pos diag.Pos, items ...*Value) *Value { return &Value{Kind: List, Pos: pos, Items: items} }

func (r *resolver) fn(name string, arg, orig *Value, path string) *Value {
	switch name {
	case "Ref":
		return r.ref(arg, orig, path)
	case "Fn::GetAtt":
		return r.getAtt(arg, orig, path)
	case "Fn::Sub":
		return r.sub(arg, orig, path)
	case "Fn::Join":
		return r.join(arg, orig, path)
	case "Fn::Select":
		return r.selectFn(arg, orig, path)
	case "Fn::Split":
		return r.split(arg, orig, path)
	case "Fn::If":
		return r.ifFn(arg, orig, path)
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition":
		t := r.condValue(orig, path)
		if t == Unknown {
			return orig
		}
		return &Value{Kind: Bool, Scalar: strconv.FormatBool(t == True), Pos: orig.Pos}
	case "Fn::FindInMap":
		return r.findInMap(arg, orig, path)
	case "Fn::Base64":
		a := r.resolve(arg, path)
		if s, ok := a.Str(); ok && a.Kind != Map {
			return str(base64.StdEncoding.EncodeToString([]byte(s)), orig.Pos)
		}
		if a != nil && a.Kind != Map {
			r.errorf(arg.Pos, path, "give Fn::Base64 a string", "Fn::Base64 needs a string, not a %s", a.Kind)
		}
		return call(name, a, orig.Pos)
	case "Fn::GetAZs":
		a := r.resolve(arg, path)
		region, ok := a.Str()
		if !ok {
			return call(name, a, orig.Pos)
		}
		if region == "" {
			region = r.l.opts.Region
		}
		return list(orig.Pos, str(region+"a", orig.Pos), str(region+"b", orig.Pos), str(region+"c", orig.Pos))
	case "Fn::Cidr":
		return r.cidr(arg, orig, path)
	case "Fn::ImportValue":
		a := r.resolve(arg, path)
		if s, ok := a.Str(); ok && a.Kind == String {
			if val, ok := r.l.opts.Values[s]; ok {
				return str(val, orig.Pos)
			}
			r.warnf(orig.Pos, path, "supply it with --value '"+s+"=VALUE' or a values file", "Fn::ImportValue %q has no value here", s)
		} else if a != nil && a.Kind != Map {
			r.errorf(arg.Pos, path, "give Fn::ImportValue the export name as a string", "Fn::ImportValue needs a string, not a %s", a.Kind)
		}
		return call(name, a, orig.Pos)
	case "Fn::Length":
		a := r.resolve(arg, path)
		if a != nil && a.Kind == List {
			return &Value{Kind: Number, Scalar: strconv.Itoa(len(a.Items)), Pos: orig.Pos}
		}
		if a != nil && a.Kind != Map {
			r.errorf(arg.Pos, path, "give Fn::Length a list", "Fn::Length needs a list, not a %s", a.Kind)
		}
		return call(name, a, orig.Pos)
	case "Fn::ToJsonString":
		a := r.resolve(arg, path)
		if a != nil && isConst(a) {
			b, err := json.Marshal(a.Interface())
			if err == nil {
				return str(string(b), orig.Pos)
			}
		}
		return call(name, a, orig.Pos)
	case "Fn::Transform":
		r.warnf(orig.Pos, path, "inline the included content", "Fn::Transform (macros, AWS::Include) is accepted but not run")
		return orig
	}
	r.errorf(orig.Pos, path, "use one of Ref, Fn::Sub, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::FindInMap, Fn::Base64, Fn::ImportValue, Fn::GetAZs, Fn::Cidr"+suggest(name, slices.Sorted(mapKeys(knownFns))), "unknown intrinsic function %s", name)
	return orig
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

var pseudoParams = []string{"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"}

func (r *resolver) pseudo(name string, pos diag.Pos) (*Value, bool) {
	o := r.l.opts
	switch name {
	case "AWS::AccountId":
		return str(o.AccountID, pos), true
	case "AWS::Region":
		return str(o.Region, pos), true
	case "AWS::StackName":
		return str(o.StackName, pos), true
	case "AWS::Partition":
		return str(o.Partition, pos), true
	case "AWS::URLSuffix":
		return str(o.URLSuffix, pos), true
	case "AWS::StackId":
		return str("arn:"+o.Partition+":cloudformation:"+o.Region+":"+o.AccountID+":stack/"+o.StackName+"/00000000-0000-0000-0000-000000000000", pos), true
	case "AWS::NotificationARNs":
		return list(pos), true
	case "AWS::NoValue":
		return nil, true
	}
	return nil, false
}

// known reports whether name is a resource of the template, or one that the
// SAM transform generates from one, and records the reference.
func (r *resolver) resource(name string) bool {
	if _, ok := r.l.resources[name]; ok {
		r.refs[name] = true
		return true
	}
	for _, g := range r.l.generated {
		if strings.HasPrefix(name, g) {
			return true
		}
	}
	return false
}

func (r *resolver) ref(arg, orig *Value, path string) *Value {
	a := arg
	if a.Kind == Map {
		a = r.resolve(arg, path)
	}
	name, ok := a.Str()
	if !ok || a.Kind != String {
		if a != nil && a.Kind == Map {
			return call("Ref", a, orig.Pos)
		}
		r.errorf(arg.Pos, path, "write Ref: LogicalId or Ref: ParameterName", "Ref needs a name, not a %s", arg.Kind)
		return orig
	}
	if p, ok := r.l.params[name]; ok {
		if p.Value == nil {
			return orig
		}
		if n, b := size(p.Value); !r.l.spend(n, b, orig.Pos) {
			return orig
		}
		v := p.Value.Clone()
		v.Pos = orig.Pos
		return v
	}
	if v, ok := r.pseudo(name, orig.Pos); ok {
		return v
	}
	if r.resource(name) {
		return orig
	}
	// SAM: Ref: MyFunction.Alias / MyFunction.Version.
	if base, suffix, found := strings.Cut(name, "."); found && (suffix == "Alias" || suffix == "Version") && r.resource(base) {
		return orig
	}
	if strings.HasPrefix(name, "AWS::") {
		r.errorf(a.Pos, path, "use one of "+strings.Join(pseudoParams, ", ")+suggest(name, pseudoParams), "unknown pseudo parameter %s", name)
		return orig
	}
	r.errorf(a.Pos, path, "declare it under Parameters or Resources"+suggest(name, r.names()), "Ref to unknown parameter or resource %q", name)
	return orig
}

func (r *resolver) names() []string {
	out := keysOf(r.l.resources)
	out = append(out, keysOf(r.l.params)...)
	return out
}

func (r *resolver) getAtt(arg, orig *Value, path string) *Value {
	a := arg
	if a.Kind == String {
		res, attr, found := strings.Cut(a.Scalar, ".")
		if !found {
			r.errorf(a.Pos, path, "write Fn::GetAtt: [Resource, Attribute]", "Fn::GetAtt %q names no attribute", a.Scalar)
			return orig
		}
		a = list(a.Pos, str(res, a.Pos), str(attr, a.Pos))
	}
	if a.Kind != List || len(a.Items) != 2 {
		r.errorf(arg.Pos, path, "write Fn::GetAtt: [Resource, Attribute] or !GetAtt Resource.Attribute", "Fn::GetAtt needs a resource and an attribute")
		return orig
	}
	attr := r.resolve(a.Items[1], path)
	first := a.Items[0]
	if first.Kind == Map {
		// AWS::LanguageExtensions allows a computed logical id, e.g.
		// !GetAtt [!Sub 'Bucket${Name}', Arn] inside Fn::ForEach.
		first = r.resolve(first, path)
		if first == nil || first.Kind == Map {
			return orig
		}
	}
	id, ok := first.Str()
	if !ok || first.Kind != String {
		r.errorf(a.Items[0].Pos, path, "name the resource by its logical id", "Fn::GetAtt's first argument must be a logical id")
		return orig
	}
	out := call("Fn::GetAtt", list(a.Pos, str(id, a.Items[0].Pos), attr), orig.Pos)
	if _, isRes := r.l.resources[id]; !isRes {
		if r.resource(id) {
			return out
		}
		if _, isParam := r.l.params[id]; isParam {
			r.errorf(a.Items[0].Pos, path, "use Ref for a parameter", "Fn::GetAtt of parameter %q: only resources have attributes", id)
			return out
		}
		r.errorf(a.Items[0].Pos, path, "name a resource of this template"+suggest(id, keysOf(r.l.resources)), "Fn::GetAtt of unknown resource %q", id)
		return out
	}
	r.refs[id] = true
	if an, ok := attr.Str(); ok && attr.Kind == String {
		if attrs, known := attributes[r.l.resTypes[id]]; known && !slices.Contains(attrs, an) && !hasPrefixIn(an, attrs) {
			r.errorf(a.Items[1].Pos, path, "use one of "+strings.Join(attrs, ", ")+suggest(an, attrs), "%s (%s) has no attribute %q", id, r.l.resTypes[id], an)
		}
	}
	return out
}

func hasPrefixIn(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasSuffix(p, ".") && strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// attributes lists the Fn::GetAtt attributes of the types stacklab models.
// Types not listed here accept any attribute. An entry ending in "." accepts
// any attribute with that prefix.
var attributes = map[string][]string{
	"AWS::Serverless::Function":       {"Arn", "SnapStartResponse", "SnapStartResponse.", "FunctionUrl", "Alias", "Alias.", "Version", "Version."},
	"AWS::Lambda::Function":           {"Arn", "SnapStartResponse", "SnapStartResponse."},
	"AWS::S3::Bucket":                 {"Arn", "DomainName", "DualStackDomainName", "RegionalDomainName", "WebsiteURL", "MetadataTableConfiguration.", "MetadataConfiguration."},
	"AWS::SQS::Queue":                 {"Arn", "QueueName", "QueueUrl"},
	"AWS::SNS::Topic":                 {"TopicArn", "TopicName"},
	"AWS::DynamoDB::Table":            {"Arn", "StreamArn"},
	"AWS::Serverless::SimpleTable":    {"Arn", "StreamArn"},
	"AWS::Kinesis::Stream":            {"Arn"},
	"AWS::Events::Rule":               {"Arn"},
	"AWS::Events::EventBus":           {"Arn", "Name", "Policy"},
	"AWS::Serverless::StateMachine":   {"Arn", "Name"},
	"AWS::Lambda::EventSourceMapping": {"Id", "EventSourceMappingArn"},
}

var subVarRe = regexp.MustCompile(`\$\{([^}]*)\}`)

func (r *resolver) sub(arg, orig *Value, path string) *Value {
	var tmpl *Value
	vars := map[string]*Value{}
	switch arg.Kind {
	case String:
		tmpl = arg
	case List:
		if len(arg.Items) != 2 {
			r.errorf(arg.Pos, path, "write Fn::Sub: [String, {Var: Value}]", "Fn::Sub's list form needs exactly two items, a string and a map of variables")
			return orig
		}
		tmpl = arg.Items[0]
		vm := arg.Items[1]
		if vm.Kind != Map {
			r.errorf(vm.Pos, path, "write the variables as a map of names to values", "Fn::Sub's variables must be a map, not a %s", vm.Kind)
			return orig
		}
		for _, f := range vm.Fields {
			vars[f.Key] = r.resolve(f.Value, join(path, f.Key))
		}
		if tmpl.Kind == Map {
			tmpl = r.resolve(tmpl, path)
		}
		if !tmpl.IsString() {
			if tmpl.Kind != Map {
				r.errorf(tmpl.Pos, path, "give Fn::Sub a string", "Fn::Sub needs a string, not a %s", tmpl.Kind)
			}
			return orig
		}
	default:
		r.errorf(arg.Pos, path, "give Fn::Sub a string, or [String, {Var: Value}]", "Fn::Sub needs a string, not a %s", arg.Kind)
		return orig
	}
	if strings.Contains(tmpl.Scalar, "{{resolve:") {
		tmpl = r.dynamicRefs(tmpl, path)
	}
	resolved := true
	// value is what ${...} (m) becomes, when the budget allows it.
	value := func(m, s string) string {
		if !r.l.spend(0, len(s), tmpl.Pos) {
			resolved = false
			return m
		}
		return s
	}
	s := subVarRe.ReplaceAllStringFunc(tmpl.Scalar, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return m // literal, unescaped below when fully resolved
		}
		name = strings.TrimSpace(name)
		if v, ok := vars[name]; ok {
			if v != nil && (v.Kind == String || v.Kind == Number || v.Kind == Bool) {
				return value(m, v.Scalar)
			}
			resolved = false
			return m
		}
		if p, ok := r.l.params[name]; ok {
			if p.Value == nil {
				resolved = false
				return m
			}
			if p.Value.Kind == List {
				r.errorf(tmpl.Pos, path, "use Fn::Join to turn the list into a string", "${%s} in Fn::Sub refers to list parameter %s", name, name)
				resolved = false
				return m
			}
			return value(m, p.Value.Scalar)
		}
		if v, ok := r.pseudo(name, tmpl.Pos); ok && v != nil && v.Kind == String {
			return value(m, v.Scalar)
		}
		resolved = false
		base, attr, dotted := strings.Cut(name, ".")
		if r.resource(name) || dotted && r.resource(base) {
			if dotted {
				if _, isRes := r.l.resources[base]; isRes {
					if attrs, known := attributes[r.l.resTypes[base]]; known && !slices.Contains(attrs, attr) && !hasPrefixIn(attr, attrs) {
						r.errorf(tmpl.Pos, path, "use one of "+strings.Join(attrs, ", ")+suggest(attr, attrs), "${%s}: %s (%s) has no attribute %q", name, base, r.l.resTypes[base], attr)
					}
				}
			}
			return m
		}
		if _, isParam := r.l.params[base]; dotted && isParam {
			r.errorf(tmpl.Pos, path, "use ${"+base+"} for a parameter", "${%s}: only resources have attributes", name)
			return m
		}
		r.errorf(tmpl.Pos, path, "declare it under Parameters or Resources, pass it in Fn::Sub's variable map, or write ${!"+name+"} for a literal"+suggest(name, r.names()), "Fn::Sub refers to unknown variable ${%s}", name)
		return m
	})
	if resolved {
		return str(strings.ReplaceAll(s, "${!", "${"), orig.Pos)
	}
	return call("Fn::Sub", str(s, tmpl.Pos), orig.Pos)
}

func (r *resolver) join(arg, orig *Value, path string) *Value {
	if arg.Kind != List || len(arg.Items) != 2 {
		r.errorf(arg.Pos, path, "write Fn::Join: [Delimiter, [Values...]]", "Fn::Join needs a delimiter and a list")
		return orig
	}
	delim, ok := arg.Items[0].Str()
	if !ok {
		r.errorf(arg.Items[0].Pos, path, "give the delimiter as a string", "Fn::Join's delimiter must be a string")
		return orig
	}
	items := r.resolve(arg.Items[1], path)
	if items == nil || items.Kind != List {
		if items != nil && items.Kind != Map {
			r.errorf(arg.Items[1].Pos, path, "give Fn::Join a list of values", "Fn::Join's second argument must be a list, not a %s", items.Kind)
		}
		return call("Fn::Join", list(arg.Pos, arg.Items[0], items), orig.Pos)
	}
	parts := make([]string, 0, len(items.Items))
	for _, it := range items.Items {
		s, ok := it.Str()
		if !ok {
			if it.Kind == List || it.Kind == Null {
				r.errorf(it.Pos, path, "give Fn::Join strings", "Fn::Join's values must be strings, not a %s", it.Kind)
			}
			return call("Fn::Join", list(arg.Pos, arg.Items[0], items), orig.Pos)
		}
		parts = append(parts, s)
	}
	n := len(delim) * max(len(parts)-1, 0)
	for _, p := range parts {
		n += len(p)
	}
	if !r.l.spend(0, n, orig.Pos) {
		return orig
	}
	return str(strings.Join(parts, delim), orig.Pos)
}

func (r *resolver) selectFn(arg, orig *Value, path string) *Value {
	if arg.Kind != List || len(arg.Items) != 2 {
		r.errorf(arg.Pos, path, "write Fn::Select: [Index, [Values...]]", "Fn::Select needs an index and a list")
		return orig
	}
	idx := r.resolve(arg.Items[0], path)
	items := r.resolve(arg.Items[1], path)
	is, ok := idx.Str()
	if !ok || items == nil || items.Kind != List {
		if items != nil && items.Kind != List && items.Kind != Map {
			r.errorf(arg.Items[1].Pos, path, "give Fn::Select a list", "Fn::Select's second argument must be a list, not a %s", items.Kind)
		}
		return call("Fn::Select", list(arg.Pos, idx, items), orig.Pos)
	}
	i, err := strconv.Atoi(is)
	if err != nil {
		r.errorf(idx.Pos, path, "give a whole number", "Fn::Select's index %q is not a whole number", is)
		return orig
	}
	if i < 0 || i >= len(items.Items) {
		r.errorf(idx.Pos, path, "use an index from 0 to "+strconv.Itoa(len(items.Items)-1), "Fn::Select index %d is out of range (the list has %d items)", i, len(items.Items))
		return orig
	}
	return items.Items[i]
}

func (r *resolver) split(arg, orig *Value, path string) *Value {
	if arg.Kind != List || len(arg.Items) != 2 {
		r.errorf(arg.Pos, path, "write Fn::Split: [Delimiter, String]", "Fn::Split needs a delimiter and a string")
		return orig
	}
	delim, ok := arg.Items[0].Str()
	if !ok {
		r.errorf(arg.Items[0].Pos, path, "give the delimiter as a string", "Fn::Split's delimiter must be a string")
		return orig
	}
	src := r.resolve(arg.Items[1], path)
	s, ok := src.Str()
	if !ok || src.Kind == Map {
		if src != nil && src.Kind == List {
			r.errorf(src.Pos, path, "give Fn::Split a string", "Fn::Split's second argument must be a string, not a list")
		}
		return call("Fn::Split", list(arg.Pos, arg.Items[0], src), orig.Pos)
	}
	if delim == "" {
		r.errorf(arg.Items[0].Pos, path, "give a non-empty delimiter", "Fn::Split's delimiter is empty")
		return orig
	}
	if !r.l.spend(strings.Count(s, delim)+1, 0, orig.Pos) {
		return orig
	}
	out := list(orig.Pos)
	for _, p := range strings.Split(s, delim) {
		out.Items = append(out.Items, str(p, orig.Pos))
	}
	return out
}

func (r *resolver) ifFn(arg, orig *Value, path string) *Value {
	if arg.Kind != List || len(arg.Items) != 3 {
		r.errorf(arg.Pos, path, "write Fn::If: [Condition, ValueIfTrue, ValueIfFalse]", "Fn::If needs a condition name and two values")
		return orig
	}
	name, ok := arg.Items[0].Str()
	if !ok {
		r.errorf(arg.Items[0].Pos, path, "name a condition from the Conditions section", "Fn::If's first argument must be a condition name")
		return orig
	}
	if _, known := r.l.condDefs[name]; !known {
		r.errorf(arg.Items[0].Pos, path, "define it under Conditions"+suggest(name, keysOf(r.l.condDefs)), "Fn::If names unknown condition %q", name)
		return orig
	}
	switch r.l.condition(name, arg.Items[0].Pos) {
	case True:
		return r.resolve(arg.Items[1], path)
	case False:
		return r.resolve(arg.Items[2], path)
	}
	noValue := func(v *Value) *Value {
		if v == nil {
			return call("Ref", str("AWS::NoValue", orig.Pos), orig.Pos)
		}
		return v
	}
	a, b := noValue(r.resolve(arg.Items[1], path)), noValue(r.resolve(arg.Items[2], path))
	return call("Fn::If", list(arg.Pos, arg.Items[0], a, b), orig.Pos)
}

// condValue evaluates a condition function.
func (r *resolver) condValue(v *Value, path string) Tri {
	name, arg, ok := v.Intrinsic()
	if !ok {
		if v.Kind == Bool {
			return tri(v.Scalar == "true")
		}
		r.errorf(v.Pos, path, "use Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition", "a condition must be a condition function, not a %s", v.Kind)
		return Unknown
	}
	switch name {
	case "Condition":
		c, ok := arg.Str()
		if !ok {
			r.errorf(arg.Pos, path, "name a condition", "Condition needs a condition name")
			return Unknown
		}
		if _, known := r.l.condDefs[c]; !known {
			r.errorf(arg.Pos, path, "define it under Conditions"+suggest(c, keysOf(r.l.condDefs)), "unknown condition %q", c)
			return Unknown
		}
		return r.l.condition(c, arg.Pos)
	case "Fn::Equals":
		if arg.Kind != List || len(arg.Items) != 2 {
			r.errorf(arg.Pos, path, "write Fn::Equals: [Value1, Value2]", "Fn::Equals needs exactly two values")
			return Unknown
		}
		a, b := r.resolve(arg.Items[0], path), r.resolve(arg.Items[1], path)
		if a == nil || b == nil || !isConst(a) || !isConst(b) {
			return Unknown
		}
		return tri(equalValues(a, b))
	case "Fn::Not":
		if arg.Kind != List || len(arg.Items) != 1 {
			r.errorf(arg.Pos, path, "write Fn::Not: [Condition]", "Fn::Not needs a list of exactly one condition")
			return Unknown
		}
		switch r.condValue(arg.Items[0], path) {
		case True:
			return False
		case False:
			return True
		}
		return Unknown
	case "Fn::And", "Fn::Or":
		if arg.Kind != List || len(arg.Items) < 2 || len(arg.Items) > 10 {
			r.errorf(arg.Pos, path, "write "+name+": [Condition1, Condition2, ...]", "%s needs a list of 2 to 10 conditions", name)
			return Unknown
		}
		and := name == "Fn::And"
		result := tri(and)
		for _, it := range arg.Items {
			switch r.condValue(it, path) {
			case Unknown:
				result = Unknown
			case True:
				if !and {
					return True
				}
			case False:
				if and {
					return False
				}
			}
		}
		return result
	}
	if r.inCondition {
		r.errorf(v.Pos, path, "use Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition", "%s cannot be used as a condition", name)
	}
	return Unknown
}

func equalValues(a, b *Value) bool {
	if a.Kind == List || b.Kind == List || a.Kind == Map || b.Kind == Map {
		ja, _ := json.Marshal(a.Interface())
		jb, _ := json.Marshal(b.Interface())
		return string(ja) == string(jb)
	}
	return a.Scalar == b.Scalar
}

func (r *resolver) findInMap(arg, orig *Value, path string) *Value {
	if arg.Kind != List || len(arg.Items) < 3 || len(arg.Items) > 4 {
		r.errorf(arg.Pos, path, "write Fn::FindInMap: [MapName, TopLevelKey, SecondLevelKey]", "Fn::FindInMap needs a map name and two keys")
		return orig
	}
	var def *Value
	if len(arg.Items) == 4 {
		if d := arg.Items[3]; d.Kind == Map && d.Get("DefaultValue") != nil {
			def = d.Get("DefaultValue")
		} else {
			r.errorf(arg.Items[3].Pos, path, "write {DefaultValue: ...}", "Fn::FindInMap's fourth argument must be {DefaultValue: ...}")
		}
	}
	keys := make([]string, 3)
	for i := range 3 {
		k := r.resolve(arg.Items[i], path)
		s, ok := k.Str()
		if !ok || k.Kind == Map {
			return orig
		}
		keys[i] = s
	}
	fallback := func(fix, format string, args ...any) *Value {
		if def != nil {
			return r.resolve(def, path)
		}
		r.errorf(arg.Pos, path, fix, format, args...)
		return orig
	}
	m := r.l.t.Mappings.Get(keys[0])
	if m == nil {
		return fallback("define it under Mappings"+suggest(keys[0], fieldKeys(r.l.t.Mappings)), "Fn::FindInMap: unknown mapping %q", keys[0])
	}
	top := m.Get(keys[1])
	if top == nil {
		return fallback("add it to mapping "+keys[0]+suggest(keys[1], fieldKeys(m)), "Fn::FindInMap: mapping %s has no key %q", keys[0], keys[1])
	}
	val := top.Get(keys[2])
	if val == nil {
		return fallback("add it under "+keys[0]+"."+keys[1]+suggest(keys[2], fieldKeys(top)), "Fn::FindInMap: mapping %s.%s has no key %q", keys[0], keys[1], keys[2])
	}
	return r.resolve(val, path)
}

func fieldKeys(v *Value) []string {
	if v == nil {
		return nil
	}
	out := make([]string, len(v.Fields))
	for i, f := range v.Fields {
		out[i] = f.Key
	}
	return out
}
