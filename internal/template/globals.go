package template

import (
	"github.com/stacklab/stacklab/internal/diag"
	"slices"
	"strings"
)

// globalProps lists, per Globals section, the properties SAM lets a template
// set once for all resources of that type.
var globalProps = map[string][]string{
	"Function":         {"Handler", "Runtime", "CodeUri", "DeadLetterQueue", "Description", "MemorySize", "Timeout", "VpcConfig", "Environment", "Tags", "PropagateTags", "Tracing", "KmsKeyArn", "AutoPublishAlias", "AutoPublishAliasAllProperties", "Layers", "DeploymentPreference", "RolePath", "PermissionsBoundary", "ReservedConcurrentExecutions", "ProvisionedConcurrencyConfig", "AssumeRolePolicyDocument", "EventInvokeConfig", "FileSystemConfigs", "CodeSigningConfigArn", "Architectures", "SnapStart", "EphemeralStorage", "FunctionUrlConfig", "RuntimeManagementConfig", "LoggingConfig", "RecursiveLoop", "SourceKMSKeyArn", "TenancyConfig", "DurableConfig", "CapacityProviderConfig", "FunctionScalingConfig", "PublishToLatestPublished", "VersionDeletionPolicy"},
	"Api":              {"Auth", "Name", "DefinitionUri", "CacheClusterEnabled", "CacheClusterSize", "MergeDefinitions", "Variables", "EndpointConfiguration", "MethodSettings", "BinaryMediaTypes", "MinimumCompressionSize", "Cors", "GatewayResponses", "AccessLogSetting", "CanarySetting", "TracingEnabled", "OpenApiVersion", "Domain", "AlwaysDeploy", "PropagateTags", "SecurityPolicy", "EndpointAccessMode"},
	"HttpApi":          {"Auth", "AccessLogSettings", "StageVariables", "Tags", "RouteSettings", "FailOnWarnings", "Domain", "CorsConfiguration", "DefaultRouteSettings", "PropagateTags", "DisableExecuteApiEndpoint"},
	"SimpleTable":      {"SSESpecification"},
	"StateMachine":     {"PropagateTags"},
	"LayerVersion":     {"PropagateTags"},
	"WebSocketApi":     {"AccessLogSettings", "ApiKeySelectionExpression", "DisableExecuteApiEndpoint", "DisableSchemaValidation", "Domain", "PropagateTags", "RouteSettings", "StageVariables", "Tags", "IpAddressType", "RouteSelectionExpression"},
	"CapacityProvider": {"InstanceRequirements", "KmsKeyArn", "OperatorRole", "PropagateTags", "ScalingConfig", "Tags", "VpcConfig"},
}

// globals checks the Globals section and merges it into the SAM resources of
// each type, as SAM does: the resource's own scalars win, maps are merged key
// by key (recursively), lists are the global items followed by the resource's.
func (l *loader) globals(g, res *Value) {
	if g.Kind != Map || len(g.Fields) == 0 {
		l.diags.Errorf(g.Pos, "", "Globals", "write Globals as a map, e.g. Globals: {Function: {Timeout: 30}}", "Globals must be a non-empty map")
		return
	}
	sections := slices.Sorted(mapKeysOf(globalProps))
	for _, s := range g.Fields {
		allowed, ok := globalProps[s.Key]
		if !ok {
			l.diags.Errorf(s.KeyPos, "", "Globals."+s.Key, "use one of "+strings.Join(sections, ", ")+suggest(s.Key, sections), "Globals section %q is not supported", s.Key)
			continue
		}
		if s.Value.Kind != Map {
			l.diags.Errorf(s.Value.Pos, "", "Globals."+s.Key, "write it as a map of property names to values", "Globals.%s must be a map, not a %s", s.Key, s.Value.Kind)
			continue
		}
		for _, p := range s.Value.Fields {
			if !slices.Contains(allowed, p.Key) {
				l.diags.Errorf(p.KeyPos, "", "Globals."+s.Key+"."+p.Key, "set it on each resource instead; Globals."+s.Key+" takes "+strings.Join(allowed, ", ")+suggest(p.Key, allowed), "%q is not a supported property of Globals.%s", p.Key, s.Key)
			}
		}
	}
	if res == nil {
		return
	}
	for _, f := range res.Fields {
		raw := f.Value
		typ, _ := raw.Get("Type").Str()
		section, ok := strings.CutPrefix(typ, "AWS::Serverless::")
		if !ok || raw.Kind != Map {
			continue
		}
		gs := g.Get(section)
		if gs == nil || gs.Kind != Map {
			continue
		}
		ignore := ignoredGlobals(raw.Get("IgnoreGlobals"))
		props := raw.Get("Properties")
		if props == nil {
			props = &Value{Kind: Map, Pos: raw.Pos}
			raw.Set("Properties", props)
		}
		if props.Kind != Map {
			continue
		}
		for _, gp := range gs.Fields {
			if !slices.Contains(globalProps[section], gp.Key) || ignore("*") || ignore(gp.Key) {
				continue
			}
			if n, b := size(gp.Value); !l.spend(n, b, gp.KeyPos) {
				return
			}
			own := props.Get(gp.Key)
			props.Set(gp.Key, mergeGlobal(gp.Value.Clone(), own))
		}
	}
}

func ignoredGlobals(v *Value) func(string) bool {
	var names []string
	if s, ok := v.Str(); ok {
		names = []string{s}
	} else if v != nil && v.Kind == List {
		for _, it := range v.Items {
			if s, ok := it.Str(); ok {
				names = append(names, s)
			}
		}
	}
	return func(n string) bool { return slices.Contains(names, n) }
}

func mergeGlobal(global, own *Value) *Value {
	if own == nil {
		return global
	}
	if global == nil {
		return own
	}
	_, _, gFn := global.Intrinsic()
	_, _, oFn := own.Intrinsic()
	switch {
	case gFn || oFn:
		return own
	case global.Kind == Map && own.Kind == Map:
		out := global
		for _, f := range own.Fields {
			out.Set(f.Key, mergeGlobal(out.Get(f.Key), f.Value))
		}
		return out
	case global.Kind == List && own.Kind == List:
		return &Value{Kind: List, Pos: own.Pos, Items: append(slices.Clone(global.Items), own.Items...)}
	}
	return own
}

func mapKeysOf[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkIgnoreGlobals checks a resource's IgnoreGlobals attribute: "*" or
// names of properties that its Globals section can set.
func (l *loader) checkIgnoreGlobals(id, typ string, v *Value) {
	section, _ := strings.CutPrefix(typ, "AWS::Serverless::")
	allowed := globalProps[section]
	items := []*Value{v}
	if v.Kind == List {
		items = v.Items
	}
	for _, it := range items {
		name, ok := it.Str()
		if !ok || it.Kind != String {
			l.diags.Errorf(it.Pos, id, "IgnoreGlobals", "write \"*\" or a list of property names", "IgnoreGlobals must be a string or a list of strings")
			continue
		}
		if name != "*" && !slices.Contains(allowed, name) {
			l.diags.Errorf(it.Pos, id, "IgnoreGlobals", "name properties that Globals."+section+" can set, or \"*\""+suggest(name, allowed), "IgnoreGlobals names %q, which Globals.%s cannot set", name, section)
		}
	}
}

// InlineGlobals merges a parsed (unresolved) template's Globals into its
// SAM resources, the way Load does, and removes the Globals section, so
// that the resources carry everything they get and can be moved into
// another template. It reports what Load would report about Globals.
func InlineGlobals(file string, root *Value) diag.List {
	g := root.Get("Globals")
	if g == nil {
		return nil
	}
	l := &loader{file: file, root: root, t: &Template{File: file, Conditions: map[string]Tri{}}}
	l.globals(g, root.Get("Resources"))
	root.Delete("Globals")
	return l.diags
}
