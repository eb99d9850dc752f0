package template

import (
	"slices"
	"strings"

	"github.com/stacklab/stacklab/internal/diag"
)

// Options are what the user supplies beside the template: parameter values,
// pseudo parameter values and the values of imports and dynamic references.
type Options struct {
	Params map[string]string // --param Name=Value

	Region    string // AWS::Region, default us-east-1
	AccountID string // AWS::AccountId, default 123456789012
	StackName string // AWS::StackName, default stacklab
	Partition string // AWS::Partition, default aws
	URLSuffix string // AWS::URLSuffix, default amazonaws.com

	// Values holds the values of Fn::ImportValue exports (by export name) and
	// of dynamic references (by the whole reference, e.g.
	// "{{resolve:ssm:/app/key}}", or by its key, "/app/key").
	Values map[string]string
}

func (o *Options) defaults() {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "123456789012"
	}
	if o.StackName == "" {
		o.StackName = "stacklab"
	}
	if o.Partition == "" {
		o.Partition = "aws"
	}
	if o.URLSuffix == "" {
		o.URLSuffix = "amazonaws.com"
	}
}

// Template is a resolved template.
type Template struct {
	File        string
	Description string
	Transforms  []string
	Parameters  []*Parameter
	Conditions  map[string]Tri
	Mappings    *Value
	Resources   []*Resource // every resource, in file order; see Resource.Active
	Outputs     []*Output
}

// Resource is one entry of the Resources section.
type Resource struct {
	ID         string
	Type       string
	Pos        diag.Pos // position of the logical id
	Properties *Value   // resolved; a map, or nil when there are none
	Metadata   *Value   // resolved Metadata, or nil
	DependsOn  []string
	Condition  string
	// Active is false when the resource's Condition is false: it is not
	// created, but is still named in plans and diagrams.
	Active bool
	// Refs are the logical ids of other resources this one references through
	// Ref, Fn::GetAtt, Fn::Sub (DependsOn not included).
	Refs []string
}

// Parameter is a declared parameter and the value it takes.
type Parameter struct {
	Name   string
	Type   string
	Pos    diag.Pos
	NoEcho bool
	// Value is the value from --param or Default, or nil when there is none.
	Value *Value
}

// Output is one entry of the Outputs section.
type Output struct {
	Name   string
	Pos    diag.Pos
	Value  *Value
	Export *Value
}

// Resource returns the resource with the logical id, or nil.
func (t *Template) Resource(id string) *Resource {
	for _, r := range t.Resources {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// HasTransform reports whether the template declares the transform, e.g.
// "AWS::Serverless-2016-10-31".
func (t *Template) HasTransform(name string) bool { return slices.Contains(t.Transforms, name) }

var topLevel = []string{"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions", "Transform", "Resources", "Outputs", "Globals", "Hooks"}

// Load parses and resolves a template. It always returns a Template when the
// document could be read, so that callers can draw what is valid even when
// diagnostics hold errors.
func Load(file string, src []byte, opts Options) (*Template, diag.List) {
	opts.defaults()
	root, diags := Parse(file, src)
	if root == nil {
		return nil, diags
	}
	l := &loader{file: file, opts: opts, diags: diags, t: &Template{File: file, Conditions: map[string]Tri{}}}
	l.load(root)
	l.diags.Sort()
	return l.t, l.diags
}

type loader struct {
	file  string
	opts  Options
	diags diag.List
	t     *Template

	root      *Value
	params    map[string]*Parameter
	resources map[string]*Value // raw resource maps by logical id
	resTypes  map[string]string
	condDefs  map[string]*Value
	condState map[string]int // 0 unvisited, 1 visiting, 2 done
	generated []string       // logical ids SAM generates, as prefixes
	budget    budget         // what resolving has made so far
}

func (l *loader) pos(v *Value) diag.Pos {
	if v == nil {
		return diag.Pos{File: l.file, Line: 1, Col: 1}
	}
	return v.Pos
}

func (l *loader) load(root *Value) {
	if root.Kind != Map {
		l.diags.Errorf(root.Pos, "", "", "write the template as a map with a Resources section", "the template must be a map, not a %s", root.Kind)
		return
	}
	l.root = root
	for _, f := range root.Fields {
		if !slices.Contains(topLevel, f.Key) {
			l.diags.Errorf(f.KeyPos, "", f.Key, "use one of "+strings.Join(topLevel, ", ")+suggest(f.Key, topLevel), "unknown top-level section %q", f.Key)
		}
	}
	if d := root.Get("Description"); d != nil {
		if s, ok := d.Str(); ok {
			l.t.Description = s
		}
	}
	l.transforms(root.Get("Transform"))
	l.parameters(root.Get("Parameters"))
	l.mappings(root.Get("Mappings"))

	res := root.Get("Resources")
	switch {
	case res == nil:
		l.diags.Errorf(root.Pos, "", "Resources", "add a Resources section with at least one resource", "the template has no Resources section")
	case res.Kind != Map:
		l.diags.Errorf(res.Pos, "", "Resources", "write Resources as a map of logical ids to resources", "Resources must be a map, not a %s", res.Kind)
		res = nil
	}
	if l.t.HasTransform("AWS::LanguageExtensions") {
		res = l.forEachSection(res, "Resources")
		if c := root.Get("Conditions"); c != nil {
			root.Set("Conditions", l.forEachSection(c, "Conditions"))
		}
		if o := root.Get("Outputs"); o != nil {
			root.Set("Outputs", l.forEachSection(o, "Outputs"))
		}
	} else if res != nil {
		for _, f := range res.Fields {
			if strings.HasPrefix(f.Key, "Fn::ForEach::") {
				l.diags.Errorf(f.KeyPos, "", "Resources."+f.Key, "add AWS::LanguageExtensions to the template's Transform", "Fn::ForEach needs the AWS::LanguageExtensions transform")
			}
		}
	}
	l.indexResources(res)
	l.conditions(root.Get("Conditions"))
	if g := root.Get("Globals"); g != nil {
		l.globals(g, res)
	}
	l.resolveResources(res)
	l.outputs(root.Get("Outputs"))
	l.cycles()
	l.placeInResources(res)
}

// placeInResources names the resource of findings that were made before the
// template's structure was known (duplicate keys, unknown tags): the one
// whose lines hold the finding.
func (l *loader) placeInResources(res *Value) {
	if res == nil {
		return
	}
	// The resources by line (the first in file order among those on one
	// line), searched by halves: there may be many findings and resources.
	byLine := make([]int, len(res.Fields))
	for j := range byLine {
		byLine[j] = j
	}
	line := func(j, want int) int { return res.Fields[j].KeyPos.Line - want }
	slices.SortStableFunc(byLine, func(a, b int) int { return line(a, res.Fields[b].KeyPos.Line) })
	for i := range l.diags {
		d := &l.diags[i]
		if d.Resource != "" || d.Line == 0 || d.File != l.file {
			continue
		}
		// next is the first resource at or after the finding's line; the
		// finding is in the resource before it, unless next is on its line.
		next, _ := slices.BinarySearchFunc(byLine, d.Line, line)
		if next == 0 || next < len(byLine) && res.Fields[byLine[next]].KeyPos.Line == d.Line {
			continue
		}
		first, _ := slices.BinarySearchFunc(byLine, res.Fields[byLine[next-1]].KeyPos.Line, line)
		d.Resource = res.Fields[byLine[first]].Key
	}
}

func (l *loader) transforms(v *Value) {
	if v == nil {
		return
	}
	add := func(x *Value) {
		if s, ok := x.Str(); ok {
			l.t.Transforms = append(l.t.Transforms, s)
			return
		}
		if x.Kind == Map && x.Get("Name") != nil {
			if s, ok := x.Get("Name").Str(); ok {
				l.t.Transforms = append(l.t.Transforms, s)
				return
			}
		}
		l.diags.Errorf(x.Pos, "", "Transform", "write Transform: AWS::Serverless-2016-10-31", "a transform must be a name")
	}
	if v.Kind == List {
		for _, it := range v.Items {
			add(it)
		}
		return
	}
	add(v)
}

func (l *loader) indexResources(res *Value) {
	l.resources = map[string]*Value{}
	l.resTypes = map[string]string{}
	if res == nil {
		return
	}
	for _, f := range res.Fields {
		if !validLogicalID(f.Key) {
			l.diags.Errorf(f.KeyPos, f.Key, "", "use only letters and digits (A-Za-z0-9) in a logical id", "logical id %q is not alphanumeric", f.Key)
		}
		if _, dup := l.params[f.Key]; dup {
			l.diags.Errorf(f.KeyPos, f.Key, "", "rename the resource or the parameter", "logical id %q is also a parameter name", f.Key)
		}
		l.resources[f.Key] = f.Value
		if f.Value.Kind != Map {
			continue
		}
		if t, ok := f.Value.Get("Type").Str(); ok {
			l.resTypes[f.Key] = t
			l.generated = append(l.generated, samGenerated(f.Key, t, f.Value)...)
		}
	}
	if l.t.HasTransform("AWS::Serverless-2016-10-31") || len(l.generated) > 0 {
		l.generated = append(l.generated, "ServerlessRestApi", "ServerlessHttpApi", "ServerlessDeploymentApplication")
	}
}

// samGenerated returns the logical ids (as prefixes) of resources the SAM
// transform creates for a resource, which templates may reference.
func samGenerated(id, typ string, raw *Value) []string {
	if !strings.HasPrefix(typ, "AWS::Serverless::") && raw.Get("Connectors") == nil {
		return nil
	}
	// SAM names generated resources by appending to the logical id: Role,
	// Alias<Name>, Version<hash>, <Event>Permission, <Api><Stage>Stage,
	// <Api>Deployment<hash>, <Fn><Event>Queue, CodeDeploy..., and so on.
	return []string{id}
}

func validLogicalID(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (l *loader) resolveResources(res *Value) {
	if res == nil {
		return
	}
	for _, f := range res.Fields {
		r := &Resource{ID: f.Key, Pos: f.KeyPos, Active: true}
		l.t.Resources = append(l.t.Resources, r)
		raw := f.Value
		if raw.Kind != Map {
			l.diags.Errorf(raw.Pos, f.Key, "", "write the resource as a map with Type and Properties", "a resource must be a map, not a %s", raw.Kind)
			continue
		}
		for _, rf := range raw.Fields {
			switch rf.Key {
			case "Type", "Properties", "DependsOn", "Condition", "Metadata", "DeletionPolicy", "UpdateReplacePolicy", "UpdatePolicy", "CreationPolicy", "Version", "IgnoreGlobals", "Connectors":
			default:
				l.diags.Errorf(rf.KeyPos, f.Key, rf.Key, "move it under Properties, or remove it", "unknown resource attribute %q%s", rf.Key, suggest(rf.Key, []string{"Type", "Properties", "DependsOn", "Condition", "Metadata", "DeletionPolicy", "UpdateReplacePolicy"}))
			}
		}
		tv := raw.Get("Type")
		switch {
		case tv == nil:
			l.diags.Errorf(raw.Pos, f.Key, "Type", "add Type, e.g. Type: AWS::Serverless::Function", "the resource has no Type")
		case !tv.IsString():
			l.diags.Errorf(tv.Pos, f.Key, "Type", "write the type as a string, e.g. AWS::S3::Bucket", "Type must be a string, not a %s", tv.Kind)
		default:
			r.Type = tv.Scalar
			if !strings.Contains(r.Type, "::") {
				l.diags.Errorf(tv.Pos, f.Key, "Type", "use a full type name such as AWS::S3::Bucket", "resource type %q is not of the form Provider::Service::Resource", r.Type)
			}
		}
		if c := raw.Get("Condition"); c != nil {
			name, ok := c.Str()
			if !ok {
				l.diags.Errorf(c.Pos, f.Key, "Condition", "name a condition from the Conditions section", "Condition must be a string")
			} else if _, known := l.condDefs[name]; !known {
				l.diags.Errorf(c.Pos, f.Key, "Condition", "define it under Conditions"+suggest(name, keysOf(l.condDefs)), "unknown condition %q", name)
			} else {
				r.Condition = name
				if l.condition(name, c.Pos) == False {
					r.Active = false
				}
			}
		}
		if ig := raw.Get("IgnoreGlobals"); ig != nil {
			l.checkIgnoreGlobals(f.Key, r.Type, ig)
		}
		if d := raw.Get("DependsOn"); d != nil {
			r.DependsOn = l.dependsOn(f.Key, d)
		}
		rs := &resolver{l: l, res: f.Key, refs: map[string]bool{}}
		if p := raw.Get("Properties"); p != nil {
			if p.Kind != Map {
				if _, _, isFn := p.Intrinsic(); !isFn && p.Kind != Null {
					l.diags.Errorf(p.Pos, f.Key, "Properties", "write Properties as a map of property names to values", "Properties must be a map, not a %s", p.Kind)
				}
			} else if r.Active {
				r.Properties = rs.resolve(p, "")
			} else {
				r.Properties = p
			}
		}
		if m := raw.Get("Metadata"); m != nil && r.Active {
			mr := &resolver{l: l, res: f.Key, refs: map[string]bool{}, lenient: true}
			r.Metadata = mr.resolve(m, "Metadata")
		}
		r.Refs = l.dependencies(r)
	}
}

func (l *loader) dependsOn(id string, d *Value) []string {
	var items []*Value
	switch d.Kind {
	case String:
		items = []*Value{d}
	case List:
		items = d.Items
	default:
		l.diags.Errorf(d.Pos, id, "DependsOn", "write DependsOn as a logical id or a list of them", "DependsOn must be a string or a list, not a %s", d.Kind)
		return nil
	}
	var out []string
	for _, it := range items {
		s, ok := it.Str()
		if !ok || it.Kind != String {
			l.diags.Errorf(it.Pos, id, "DependsOn", "write the logical id of a resource", "DependsOn entries must be strings")
			continue
		}
		if _, known := l.resources[s]; !known && !l.isGenerated(s) {
			l.diags.Errorf(it.Pos, id, "DependsOn", "name a resource of this template"+suggest(s, keysOf(l.resources)), "DependsOn names unknown resource %q", s)
			continue
		}
		if s == id {
			l.diags.Errorf(it.Pos, id, "DependsOn", "remove it", "a resource cannot depend on itself")
			continue
		}
		out = append(out, s)
	}
	return out
}

func (l *loader) outputs(v *Value) {
	if v == nil {
		return
	}
	if v.Kind != Map {
		l.diags.Errorf(v.Pos, "", "Outputs", "write Outputs as a map of names to {Value: ...}", "Outputs must be a map, not a %s", v.Kind)
		return
	}
	for _, f := range v.Fields {
		o := &Output{Name: f.Key, Pos: f.KeyPos}
		if f.Value.Kind != Map {
			l.diags.Errorf(f.Value.Pos, "", "Outputs."+f.Key, "write the output as a map with a Value", "an output must be a map, not a %s", f.Value.Kind)
			continue
		}
		if c := f.Value.Get("Condition"); c != nil {
			if name, ok := c.Str(); ok {
				if _, known := l.condDefs[name]; !known {
					l.diags.Errorf(c.Pos, "", "Outputs."+f.Key+".Condition", "define it under Conditions"+suggest(name, keysOf(l.condDefs)), "unknown condition %q", name)
				} else if l.condition(name, c.Pos) == False {
					continue
				}
			}
		}
		rs := &resolver{l: l, refs: map[string]bool{}, section: "Outputs." + f.Key}
		val := f.Value.Get("Value")
		if val == nil {
			l.diags.Errorf(f.Value.Pos, "", "Outputs."+f.Key, "add Value: to the output", "the output has no Value")
			continue
		}
		o.Value = rs.resolve(val, "Value")
		if e := f.Value.Get("Export"); e != nil {
			o.Export = rs.resolve(e, "Export")
		}
		l.t.Outputs = append(l.t.Outputs, o)
	}
}

func keysOf[V any](m map[string]V) []string { return sortedKeys(m) }

// suggest returns " (did you mean X?)" for a close name.
func suggest(name string, names []string) string { return diag.Suggest(name, names) }

func (l *loader) isGenerated(name string) bool {
	for _, g := range l.generated {
		if strings.HasPrefix(name, g) {
			return true
		}
	}
	return false
}

// dependencies returns the resources r's properties refer to, through Ref,
// Fn::GetAtt and Fn::Sub. The Events of SAM functions and state machines are
// left out: SAM turns them into separate resources (permissions, event source
// mappings, CodeDeploy hooks), so they create no dependency of the function
// itself.
func (l *loader) dependencies(r *Resource) []string {
	seen := map[string]bool{}
	var walk func(v *Value)
	walk = func(v *Value) {
		if v == nil {
			return
		}
		if name, arg, ok := v.Intrinsic(); ok {
			switch name {
			case "Ref":
				if s, ok := arg.Str(); ok {
					s, _, _ = strings.Cut(s, ".")
					seen[s] = true
				}
			case "Fn::GetAtt":
				if arg.Kind == List && len(arg.Items) > 0 {
					if s, ok := arg.Items[0].Str(); ok {
						seen[s] = true
					}
				}
			case "Fn::Sub":
				t := arg
				if arg.Kind == List && len(arg.Items) > 0 {
					t = arg.Items[0]
				}
				if s, ok := t.Str(); ok {
					for _, m := range subVarRe.FindAllStringSubmatch(s, -1) {
						name, _, _ := strings.Cut(strings.TrimSpace(m[1]), ".")
						seen[name] = true
					}
				}
			}
		}
		for _, it := range v.Items {
			walk(it)
		}
		for _, f := range v.Fields {
			walk(f.Value)
		}
	}
	// AWS::Serverless::GraphQLApi becomes many resources (data sources,
	// functions, resolvers), each with its own dependencies.
	if r.Properties != nil && r.Type != "AWS::Serverless::GraphQLApi" {
		sam := strings.HasPrefix(r.Type, "AWS::Serverless::")
		for _, f := range r.Properties.Fields {
			if sam && (f.Key == "Events" || f.Key == "DeploymentPreference") {
				continue
			}
			walk(f.Value)
		}
	}
	var out []string
	for id := range seen {
		if _, ok := l.resources[id]; ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
