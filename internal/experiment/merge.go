package experiment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/template"
)

// Merged is every variant of an experiment as one template: each variant's
// resources, parameters, conditions and mappings under its own logical-id
// prefix, its physical names under its own name prefix, so the variants
// run side by side on one platform without sharing a bucket, queue, table
// or route.
type Merged struct {
	// Source is the merged template (JSON).
	Source []byte
	// Variants in the order of the experiment file.
	Variants []*Prepared
}

// Prepared is one variant ready to deploy within the merged template.
type Prepared struct {
	Name string
	// Prefix is put before every logical id ("Fast" for variant fast).
	Prefix string
	// NamePrefix is put before every physical name the template sets
	// ("fast-").
	NamePrefix string
	// Description says how the variant differs from the base template.
	Description string
	// File is the variant's template.
	File string
	// IDs maps the variant's logical ids to their ids in the merged template.
	IDs map[string]string
	// Names maps the physical names the variant's template sets to the
	// names they get.
	Names map[string]string
}

// nameProps are the properties that set a resource's physical name.
var nameProps = map[string]string{
	"AWS::Serverless::Function":        "FunctionName",
	"AWS::Lambda::Function":            "FunctionName",
	"AWS::S3::Bucket":                  "BucketName",
	"AWS::SQS::Queue":                  "QueueName",
	"AWS::SNS::Topic":                  "TopicName",
	"AWS::DynamoDB::Table":             "TableName",
	"AWS::Serverless::SimpleTable":     "TableName",
	"AWS::Events::EventBus":            "Name",
	"AWS::Events::Rule":                "Name",
	"AWS::Serverless::StateMachine":    "Name",
	"AWS::StepFunctions::StateMachine": "StateMachineName",
}

// Merge builds the merged template of a spec's variants. Every variant's
// own template is checked first, so a problem is reported at its place in
// the file that has it.
func Merge(s *Spec, opts template.Options) (*Merged, error) {
	m := &Merged{}
	out := &template.Value{Kind: template.Map}
	resources := &template.Value{Kind: template.Map}
	params := &template.Value{Kind: template.Map}
	conds := &template.Value{Kind: template.Map}
	maps := &template.Value{Kind: template.Map}
	used := map[string]string{} // merged logical id -> variant
	for i := range s.Variants {
		v := &s.Variants[i]
		file := s.path(firstNonEmpty(v.Template, s.Template))
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, &Error{Pos: s.at("variants", i), Message: fmt.Sprintf("variant %s: reading its template: %v", v.Name, err), Fix: "give the path of a template, relative to the experiment file"}
		}
		root, diags := template.Parse(file, src)
		if diags.HasErrors() {
			return nil, fmt.Errorf("variant %s: the template has errors:\n%s", v.Name, diagText(diags))
		}
		p := &Prepared{Name: v.Name, Prefix: camel(v.Name), NamePrefix: v.Name + "-", File: file, IDs: map[string]string{}, Names: map[string]string{}}
		p.Description = describe(s, v)
		if err := s.override(root, i); err != nil {
			return nil, err
		}
		// The variant alone must be a valid template: its errors are then
		// reported against its own lines.
		alone, err := json.Marshal(valueJSON(root))
		if err != nil {
			return nil, err
		}
		vopts := opts
		vopts.Params = nil
		if _, diags := template.Load(file, alone, vopts); diags.HasErrors() {
			return nil, fmt.Errorf("variant %s (%s) does not resolve:\n%s", v.Name, p.Description, diagText(diags))
		}
		r := &renamer{p: p, stackName: firstNonEmpty(opts.StackName, "stacklab") + "-" + v.Name, dir: filepath.Dir(file)}
		for _, sec := range []string{"Resources", "Parameters", "Conditions", "Mappings"} {
			for _, f := range fieldsOf(root.Get(sec)) {
				p.IDs[f.Key] = p.Prefix + f.Key
			}
		}
		for id, mid := range p.IDs {
			if other, ok := used[mid]; ok {
				return nil, fmt.Errorf("variants %s and %s both give the logical id %s; rename the variant or the resource", other, v.Name, mid)
			}
			used[mid] = v.Name
			_ = id
		}
		r.collectNames(root.Get("Resources"))
		// Globals go into each variant's resources: variants may differ in
		// them, and they may reference the variant's parameters.
		if diags := template.InlineGlobals(file, root); diags.HasErrors() {
			return nil, fmt.Errorf("variant %s: Globals:\n%s", v.Name, diagText(diags))
		}
		for _, f := range fieldsOf(root.Get("Parameters")) {
			params.Fields = append(params.Fields, template.Field{Key: p.IDs[f.Key], KeyPos: f.KeyPos, Value: f.Value})
		}
		for _, f := range fieldsOf(root.Get("Conditions")) {
			conds.Fields = append(conds.Fields, template.Field{Key: p.IDs[f.Key], KeyPos: f.KeyPos, Value: r.value(f.Value)})
		}
		for _, f := range fieldsOf(root.Get("Mappings")) {
			maps.Fields = append(maps.Fields, template.Field{Key: p.IDs[f.Key], KeyPos: f.KeyPos, Value: f.Value})
		}
		for _, f := range fieldsOf(root.Get("Resources")) {
			resources.Fields = append(resources.Fields, template.Field{Key: p.IDs[f.Key], KeyPos: f.KeyPos, Value: r.resource(f.Value)})
		}
		for _, api := range r.implicitAPIs() {
			if _, taken := used[api.Key]; taken {
				return nil, fmt.Errorf("variant %s: logical id %s is taken; rename the resource", v.Name, api.Key)
			}
			used[api.Key] = v.Name
			resources.Fields = append(resources.Fields, api)
		}
		if i == 0 {
			for _, k := range []string{"AWSTemplateFormatVersion", "Transform"} {
				if x := root.Get(k); x != nil {
					out.Fields = append(out.Fields, template.Field{Key: k, Value: x})
				}
			}
		}
		m.Variants = append(m.Variants, p)
	}
	out.Fields = append(out.Fields, template.Field{Key: "Description", Value: &template.Value{Kind: template.String, Scalar: "stacklab experiment " + s.Name + ": variants " + strings.Join(s.variantNames(), ", ")}})
	// Every variant's own parameters carry its values as defaults.
	for _, sec := range []struct {
		key string
		v   *template.Value
	}{{"Parameters", params}, {"Conditions", conds}, {"Mappings", maps}, {"Resources", resources}} {
		if sec.v != nil && len(sec.v.Fields) > 0 {
			out.Fields = append(out.Fields, template.Field{Key: sec.key, Value: sec.v})
		}
	}
	src, err := json.MarshalIndent(valueJSON(out), "", "  ")
	if err != nil {
		return nil, err
	}
	m.Source = src
	return m, nil
}

// override applies the spec's and the variant's parameters (as the
// parameters' defaults) and the variant's patches to a parsed template.
func (s *Spec) override(root *template.Value, i int) error {
	v := &s.Variants[i]
	params := root.Get("Parameters")
	set := func(values map[string]string, where ...any) error {
		for _, k := range slices.Sorted(maps.Keys(values)) {
			p := params.Get(k)
			if p == nil {
				return &Error{Pos: s.at(append(where, k)...), Message: fmt.Sprintf("variant %s: the template has no parameter %s", v.Name, k), Fix: "name one of its parameters: " + strings.Join(keysOf(params), ", ")}
			}
			p.Set("Default", &template.Value{Kind: template.String, Scalar: values[k]})
		}
		return nil
	}
	if err := set(s.Parameters, "parameters"); err != nil {
		return err
	}
	if err := set(v.Parameters, "variants", i, "parameters"); err != nil {
		return err
	}
	for _, path := range slices.Sorted(maps.Keys(v.Patch)) {
		if err := patch(root, path, v.Patch[path]); err != nil {
			return &Error{Pos: s.at("variants", i, "patch", path), Message: fmt.Sprintf("variant %s: patch %s: %v", v.Name, path, err), Fix: "patch a path of the template: Resources.<Id>.Properties.<Property>"}
		}
	}
	return nil
}

// patch sets the value at a dotted path; the resource must exist, the
// maps below it are made as needed.
func patch(root *template.Value, path string, val any) error {
	keys := strings.Split(path, ".")
	if len(keys) < 2 {
		return fmt.Errorf("the path is too short")
	}
	cur := root
	for i, k := range keys[:len(keys)-1] {
		next := cur.Get(k)
		if next == nil {
			if i < 2 {
				return fmt.Errorf("%s is not in the template", strings.Join(keys[:i+1], "."))
			}
			next = &template.Value{Kind: template.Map}
			cur.Set(k, next)
		}
		if next.Kind != template.Map {
			return fmt.Errorf("%s is not a map", strings.Join(keys[:i+1], "."))
		}
		cur = next
	}
	cur.Set(keys[len(keys)-1], template.FromInterface(normalize(val), diag.Pos{}))
	return nil
}

// normalize turns what YAML decodes into plain JSON values.
func normalize(x any) any {
	switch t := x.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			out[k] = normalize(v)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			out[i] = normalize(v)
		}
		return out
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	}
	return x
}

func describe(s *Spec, v *Variant) string {
	var parts []string
	if v.Template != "" {
		parts = append(parts, "template "+v.Template)
	}
	for _, k := range slices.Sorted(maps.Keys(v.Parameters)) {
		parts = append(parts, k+"="+v.Parameters[k])
	}
	for _, k := range slices.Sorted(maps.Keys(v.Patch)) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, v.Patch[k]))
	}
	if len(parts) == 0 {
		return "the base template"
	}
	return strings.Join(parts, ", ")
}

// renamer rewrites one variant's template into its part of the merged one.
type renamer struct {
	p         *Prepared
	stackName string
	dir       string
	implicit  map[string]bool // ServerlessRestApi / ServerlessHttpApi needed
}

func (r *renamer) id(s string) (string, bool) {
	m, ok := r.p.IDs[s]
	return m, ok
}

func (r *renamer) collectNames(resources *template.Value) {
	for _, f := range fieldsOf(resources) {
		prop := nameProps[strOf(f.Value.Get("Type"))]
		if prop == "" {
			continue
		}
		if n := f.Value.Get("Properties").Get(prop); n != nil && n.Kind == template.String && len(n.Scalar) >= 3 {
			r.p.Names[n.Scalar] = r.p.NamePrefix + n.Scalar
		}
	}
}

func (r *renamer) resource(v *template.Value) *template.Value {
	out := r.value(v)
	typ := strOf(out.Get("Type"))
	if dep := out.Get("DependsOn"); dep != nil {
		switch dep.Kind {
		case template.String:
			dep.Scalar = r.rename(dep.Scalar)
		case template.List:
			for _, it := range dep.Items {
				if it.Kind == template.String {
					it.Scalar = r.rename(it.Scalar)
				}
			}
		}
	}
	if c := out.Get("Condition"); c != nil && c.Kind == template.String {
		c.Scalar = r.rename(c.Scalar)
	}
	props := out.Get("Properties")
	if prop := nameProps[typ]; prop != "" && props != nil {
		if n := props.Get(prop); n != nil && n.Kind != template.String {
			// A name made by an intrinsic gets the prefix too.
			props.Set(prop, &template.Value{Kind: template.Map, Fields: []template.Field{{Key: "Fn::Join", Value: &template.Value{Kind: template.List, Items: []*template.Value{
				{Kind: template.String}, {Kind: template.List, Items: []*template.Value{{Kind: template.String, Scalar: r.p.NamePrefix}, n}}}}}}})
		}
	}
	if typ == "AWS::Serverless::Function" && props != nil {
		if cu := props.Get("CodeUri"); cu != nil && cu.Kind == template.String && !strings.Contains(cu.Scalar, "://") && !filepath.IsAbs(cu.Scalar) {
			cu.Scalar = filepath.Join(r.dir, cu.Scalar)
		}
		r.explicitAPIs(props)
	}
	if typ == "AWS::Serverless::Connector" && props != nil {
		for _, k := range []string{"Source", "Destination"} {
			r.connectorIDs(props.Get(k))
		}
	}
	if cs := props.Get("Connectors"); cs != nil {
		for _, c := range fieldsOf(cs) {
			r.connectorIDs(c.Value.Get("Properties").Get("Destination"))
		}
	}
	return out
}

func (r *renamer) connectorIDs(v *template.Value) {
	items := []*template.Value{v}
	if v != nil && v.Kind == template.List {
		items = v.Items
	}
	for _, it := range items {
		if id := it.Get("Id"); id != nil && id.Kind == template.String {
			id.Scalar = r.rename(id.Scalar)
		}
	}
}

// explicitAPIs points a function's Api and HttpApi events that use the
// implicit APIs at the variant's own copies of them.
func (r *renamer) explicitAPIs(props *template.Value) {
	for _, ev := range fieldsOf(props.Get("Events")) {
		typ := strOf(ev.Value.Get("Type"))
		key, api := "", ""
		switch typ {
		case "Api":
			key, api = "RestApiId", "ServerlessRestApi"
		case "HttpApi":
			key, api = "ApiId", "ServerlessHttpApi"
		default:
			continue
		}
		ep := ev.Value.Get("Properties")
		if ep == nil {
			ep = &template.Value{Kind: template.Map}
			ev.Value.Set("Properties", ep)
		}
		if ep.Get(key) != nil {
			continue
		}
		if r.implicit == nil {
			r.implicit = map[string]bool{}
		}
		r.implicit[api] = true
		ep.Set(key, &template.Value{Kind: template.Map, Fields: []template.Field{{Key: "Ref", Value: &template.Value{Kind: template.String, Scalar: r.p.Prefix + api}}}})
		r.p.IDs[api] = r.p.Prefix + api
	}
}

func (r *renamer) implicitAPIs() []template.Field {
	var out []template.Field
	for _, api := range []string{"ServerlessHttpApi", "ServerlessRestApi"} {
		if !r.implicit[api] {
			continue
		}
		res := &template.Value{Kind: template.Map}
		if api == "ServerlessHttpApi" {
			res.Set("Type", &template.Value{Kind: template.String, Scalar: "AWS::Serverless::HttpApi"})
		} else {
			res.Set("Type", &template.Value{Kind: template.String, Scalar: "AWS::Serverless::Api"})
			props := &template.Value{Kind: template.Map}
			props.Set("StageName", &template.Value{Kind: template.String, Scalar: "Prod"})
			res.Set("Properties", props)
		}
		out = append(out, template.Field{Key: r.p.Prefix + api, Value: res})
	}
	return out
}

func (r *renamer) rename(s string) string {
	if m, ok := r.id(s); ok {
		return m
	}
	return s
}

// value copies v with every reference to the variant's own ids renamed,
// AWS::StackName replaced by the variant's stack name and the physical
// names the template sets prefixed.
func (r *renamer) value(v *template.Value) *template.Value {
	if v == nil {
		return nil
	}
	if name, arg, ok := v.Intrinsic(); ok {
		switch name {
		case "Ref":
			if s, ok := arg.Str(); ok {
				if s == "AWS::StackName" {
					return &template.Value{Kind: template.String, Scalar: r.stackName, Pos: v.Pos}
				}
				return intrinsic(v, name, &template.Value{Kind: template.String, Scalar: r.rename(s), Pos: arg.Pos})
			}
		case "Fn::GetAtt":
			a := arg.Clone()
			if a.Kind == template.List && len(a.Items) > 0 && a.Items[0].Kind == template.String {
				a.Items[0].Scalar = r.rename(a.Items[0].Scalar)
			} else if a.Kind == template.String {
				res, attr, _ := strings.Cut(a.Scalar, ".")
				a.Scalar = r.rename(res) + "." + attr
			}
			return intrinsic(v, name, a)
		case "Fn::Sub":
			a := arg.Clone()
			switch {
			case a.Kind == template.String:
				a.Scalar = r.sub(a.Scalar, nil)
			case a.Kind == template.List && len(a.Items) == 2 && a.Items[0].Kind == template.String:
				local := map[string]bool{}
				for _, f := range fieldsOf(a.Items[1]) {
					local[f.Key] = true
				}
				a.Items[0].Scalar = r.sub(a.Items[0].Scalar, local)
				a.Items[1] = r.value(a.Items[1])
			}
			return intrinsic(v, name, a)
		case "Fn::If":
			a := r.value(arg)
			if a.Kind == template.List && len(a.Items) > 0 && a.Items[0].Kind == template.String {
				a.Items[0].Scalar = r.rename(a.Items[0].Scalar)
			}
			return intrinsic(v, name, a)
		case "Condition":
			if s, ok := arg.Str(); ok {
				return intrinsic(v, name, &template.Value{Kind: template.String, Scalar: r.rename(s), Pos: arg.Pos})
			}
		case "Fn::FindInMap":
			a := r.value(arg)
			if a.Kind == template.List && len(a.Items) > 0 && a.Items[0].Kind == template.String {
				a.Items[0].Scalar = r.rename(a.Items[0].Scalar)
			}
			return intrinsic(v, name, a)
		}
	}
	c := *v
	switch v.Kind {
	case template.String:
		if n, ok := r.p.Names[v.Scalar]; ok {
			c.Scalar = n
		}
	case template.List:
		c.Items = make([]*template.Value, len(v.Items))
		for i, it := range v.Items {
			c.Items[i] = r.value(it)
		}
	case template.Map:
		c.Fields = make([]template.Field, len(v.Fields))
		for i, f := range v.Fields {
			c.Fields[i] = template.Field{Key: f.Key, KeyPos: f.KeyPos, Value: r.value(f.Value)}
		}
	}
	return &c
}

func intrinsic(v *template.Value, name string, arg *template.Value) *template.Value {
	return &template.Value{Kind: template.Map, Pos: v.Pos, Fields: []template.Field{{Key: name, KeyPos: v.Pos, Value: arg}}}
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// sub renames the ${Id} and ${Id.Attr} of a Fn::Sub string.
func (r *renamer) sub(s string, local map[string]bool) string {
	return subVar.ReplaceAllStringFunc(s, func(m string) string {
		inner := m[2 : len(m)-1]
		if inner == "AWS::StackName" {
			return r.stackName
		}
		res, attr, dotted := strings.Cut(inner, ".")
		if local[res] {
			return m
		}
		if mid, ok := r.id(res); ok {
			if dotted {
				return "${" + mid + "." + attr + "}"
			}
			return "${" + mid + "}"
		}
		return m
	})
}

// valueJSON turns a Value into JSON that keeps its maps' order.
func valueJSON(v *template.Value) json.Marshaler { return orderedValue{v} }

type orderedValue struct{ v *template.Value }

func (o orderedValue) MarshalJSON() ([]byte, error) {
	v := o.v
	if v == nil {
		return []byte("null"), nil
	}
	switch v.Kind {
	case template.Map:
		var b bytes.Buffer
		b.WriteByte('{')
		for i, f := range v.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(f.Key)
			b.Write(k)
			b.WriteByte(':')
			x, err := orderedValue{f.Value}.MarshalJSON()
			if err != nil {
				return nil, err
			}
			b.Write(x)
		}
		b.WriteByte('}')
		return b.Bytes(), nil
	case template.List:
		var b bytes.Buffer
		b.WriteByte('[')
		for i, it := range v.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			x, err := orderedValue{it}.MarshalJSON()
			if err != nil {
				return nil, err
			}
			b.Write(x)
		}
		b.WriteByte(']')
		return b.Bytes(), nil
	}
	return json.Marshal(v.Interface())
}

func keysOf(v *template.Value) []string {
	var out []string
	for _, f := range fieldsOf(v) {
		out = append(out, f.Key)
	}
	slices.Sort(out)
	return out
}

// camel turns a variant name into a logical-id prefix: "mem-512" gives
// "Mem512".
func camel(name string) string {
	var b strings.Builder
	up := true
	for _, c := range name {
		if c == '-' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		b.WriteRune(c)
	}
	return b.String()
}

func diagText(l diag.List) string {
	var b strings.Builder
	for _, d := range l {
		if d.Severity == diag.Error {
			b.WriteString("  " + d.String() + "\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func fieldsOf(v *template.Value) []template.Field {
	if v == nil || v.Kind != template.Map {
		return nil
	}
	return v.Fields
}

func strOf(v *template.Value) string {
	s, _ := v.Str()
	return s
}
