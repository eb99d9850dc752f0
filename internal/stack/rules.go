package stack

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/stacklab/stacklab/internal/template"
)

// This file holds the SAM rules that go beyond the type of one property:
// properties that need each other, exclude each other, or name something
// that must exist.

var (
	aliasNameRe      = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	openAPIVersionRe = regexp.MustCompile(`^\d+\.\d+(\.\d+)?$`)
)

func (b *builder) samFunctionRules(c *checker, r *template.Resource, p *template.Value, f *Function) {
	switch {
	case f.PackageType == "Image":
		if p.Get("ImageUri") == nil && !b.hasMetadata(r, "DockerTag", "Dockerfile") {
			c.errorf(p, "ImageUri", "add ImageUri: the image to run", "ImageUri must be set when PackageType is Image")
		}
	case p.Get("ImageUri") == nil:
		if p.Get("CodeUri") == nil && p.Get("InlineCode") == nil {
			c.errorf(p, "CodeUri", "add CodeUri: the folder with the code (or InlineCode)", "the function has no code: give CodeUri or InlineCode")
		}
		if p.Get("Handler") == nil || p.Get("Runtime") == nil {
			missing := "Handler"
			if p.Get("Runtime") == nil {
				missing = "Runtime"
				if p.Get("Handler") == nil {
					missing = "Runtime and Handler"
				}
			}
			c.errorf(p, "", "add "+missing+", e.g. Runtime: python3.12 and Handler: app.handler", "%s must be set for a Zip function", missing)
		}
	}
	if v := p.Get("Role"); v != nil && !isFn(v) && v.Kind != template.String {
		c.errorf(v, "Role", "give the role's ARN as a string, or !GetAtt MyRole.Arn", "Role should be a string, not %s", describe(v))
	}
	if v := p.Get("Role"); v == nil {
		if _, taken := b.types[r.ID+"Role"]; taken {
			c.errorf(p, "Role", "rename resource "+r.ID+"Role, or give the function a Role", "SAM creates a role named %sRole for this function, but the template already has a resource with that id", r.ID)
		}
	}
	if v := p.Get("AutoPublishAlias"); v != nil && !isFn(v) {
		if s, ok := v.Str(); ok && (s == "" || !aliasNameRe.MatchString(s)) {
			c.errorf(v, "AutoPublishAlias", "use letters, digits, hyphens and underscores, e.g. live", "AutoPublishAlias %q is not a valid alias name", s)
		}
	}
	c.oneOf(p.Get("VersionDeletionPolicy"), "VersionDeletionPolicy", "Delete", "Retain")
	if dp := p.Get("DeploymentPreference"); dp != nil && dp.Kind == template.Map {
		c.list(dp.Get("Alarms"), "DeploymentPreference.Alarms", false)
	}
	if fu := p.Get("FunctionUrlConfig"); c.mapping(fu, "FunctionUrlConfig") {
		c.oneOf(c.require(fu, "AuthType", "FunctionUrlConfig", "add AuthType: AWS_IAM or AuthType: NONE"), "FunctionUrlConfig.AuthType", "AWS_IAM", "NONE")
		if cors := fu.Get("Cors"); c.mapping(cors, "FunctionUrlConfig.Cors") {
			c.known(cors, "FunctionUrlConfig.Cors", "FunctionUrlConfig.Cors", []string{"AllowCredentials", "AllowHeaders", "AllowMethods", "AllowOrigins", "ExposeHeaders", "MaxAge"})
			c.integer(cors.Get("MaxAge"), "FunctionUrlConfig.Cors.MaxAge", 0, 86400)
		}
	}
	if tags := p.Get("Tags"); c.mapping(tags, "Tags") {
		if f := tags.Field("lambda:createdBy"); f != nil {
			c.diags.Errorf(f.KeyPos, c.res, "Tags.lambda:createdBy", "use another tag key", "lambda:createdBy is a tag key reserved by SAM")
		}
	}
}

func (b *builder) hasMetadata(r *template.Resource, keys ...string) bool {
	for _, k := range keys {
		if r.Metadata.Get(k) != nil {
			return true
		}
	}
	return false
}

// eventDLQ checks the DeadLetterConfig of a schedule or rule event: either
// the ARN of a queue, or Type: SQS to let SAM create one.
func (b *builder) eventDLQ(c *checker, p *template.Value, path string) {
	dl := p.Get("DeadLetterConfig")
	if !c.mapping(dl, path+".DeadLetterConfig") {
		return
	}
	path += ".DeadLetterConfig"
	arn, typ := dl.Get("Arn"), dl.Get("Type")
	switch {
	case arn != nil && typ != nil:
		c.errorf(typ, path, "keep Arn (an existing queue) or Type: SQS (a new queue), not both", "DeadLetterConfig takes Arn or Type, not both")
	case arn == nil && typ == nil:
		c.errorf(dl, path, "add Arn: !GetAtt MyDLQ.Arn, or Type: SQS", "DeadLetterConfig needs Arn or Type")
	case typ != nil:
		c.oneOf(typ, path+".Type", "SQS")
	}
	if q := dl.Get("QueueLogicalId"); q != nil && (isFn(q) || q.Kind != template.String) {
		c.errorf(q, path+".QueueLogicalId", "write a logical id as a plain string", "QueueLogicalId must be a string")
	}
}

// checkRouteAuth checks that a route's authorizer is defined by its API.
func (b *builder) checkRouteAuth(api *API, r Route) {
	name := r.authorizer
	if name == "" || name == "NONE" || name == "AWS_IAM" || api.Implicit {
		return
	}
	if api.Auth == nil || api.Auth.Authorizers[name] == nil {
		b.diags.Errorf(r.authPos, r.Function, "Events."+r.Event+".Properties.Auth.Authorizer", "define "+name+" under Auth.Authorizers of "+api.ID+", or use NONE or AWS_IAM", "authorizer %q of %s %s is not defined by API %s", name, strings.ToLower(r.Method), r.Path, api.ID)
	}
}

var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace", "x-amazon-apigateway-any-method"}

// apiRules checks the parts of an Api or HttpApi that SAM reads itself:
// the inline OpenAPI document, the domain, gateway responses and CORS.
func (b *builder) apiRules(c *checker, p *template.Value, httpAPI bool) {
	if s, ok := c.str(p.Get("StageName"), "StageName"); ok && s == "" {
		c.errorf(p.Get("StageName"), "StageName", "give the stage a name such as Prod", "StageName cannot be empty")
	}
	if v := p.Get("OpenApiVersion"); v != nil && !isFn(v) {
		s, _ := v.Str()
		if v.Kind != template.String && v.Kind != template.Number {
			c.errorf(v, "OpenApiVersion", "quote it: OpenApiVersion: '3.0.1'", "OpenApiVersion should be a string, not %s", describe(v))
		} else if !openAPIVersionRe.MatchString(s) {
			c.errorf(v, "OpenApiVersion", "write a version such as '3.0.1'", "OpenApiVersion %q is not of the form 3.0.0", s)
		}
	}
	c.boolean(p.Get("FailOnWarnings"), "FailOnWarnings")
	c.boolean(p.Get("DisableExecuteApiEndpoint"), "DisableExecuteApiEndpoint")
	c.mapping(p.Get("Models"), "Models")
	if p.Get("DefinitionUri") != nil {
		for _, k := range []string{"Cors", "CorsConfiguration", "Tags"} {
			if v := p.Get(k); v != nil && (k != "Tags" || httpAPI) {
				c.errorf(v, k, "inline the OpenAPI document in DefinitionBody, or set "+k+" in the document", "%s works only with an inline OpenAPI document in DefinitionBody, not with DefinitionUri", k)
			}
		}
	}
	if httpAPI {
		c.mapping(p.Get("RouteSettings"), "RouteSettings")
		if cv := p.Get("CorsConfiguration"); cv != nil && cv.Kind == template.Map {
			c.known(cv, "CorsConfiguration", "CorsConfiguration", []string{"AllowCredentials", "AllowHeaders", "AllowMethods", "AllowOrigins", "ExposeHeaders", "MaxAge"})
		}
	} else if cv := p.Get("Cors"); cv != nil && cv.Kind == template.Map {
		c.known(cv, "Cors", "Cors", []string{"AllowCredentials", "AllowHeaders", "AllowMethods", "AllowOrigin", "MaxAge"})
	}
	if auth := p.Get("Auth"); auth != nil && auth.Kind == template.Map {
		c.mapping(auth.Get("UsagePlan"), "Auth.UsagePlan")
		c.mapping(auth.Get("ResourcePolicy"), "Auth.ResourcePolicy")
		if az := auth.Get("Authorizers"); az != nil && az.Kind == template.Map {
			for _, f := range az.Fields {
				a := f.Value
				if a.Kind != template.Map {
					continue
				}
				path := "Auth.Authorizers." + f.Key
				if sc := a.Get("AuthorizationScopes"); sc != nil {
					c.list(sc, path+".AuthorizationScopes", false)
				}
				if id := a.Get("Identity"); id != nil && id.Kind == template.Map {
					for _, k := range []string{"Headers", "QueryStrings", "StageVariables", "Context"} {
						for i, it := range c.list(id.Get(k), path+".Identity."+k, false) {
							c.str(it, fmt.Sprintf("%s.Identity.%s[%d]", path, k, i))
						}
					}
				}
			}
		}
	}
	if ec := p.Get("EndpointConfiguration"); ec != nil && ec.Kind == template.Map && ec.Get("VPCEndpointIds") != nil && ec.Get("VpcEndpointIds") != nil {
		c.errorf(ec.Get("VpcEndpointIds"), "EndpointConfiguration.VpcEndpointIds", "keep only VpcEndpointIds", "VPCEndpointIds and VpcEndpointIds cannot both be given")
	}
	if d := p.Get("Domain"); d != nil && d.Kind == template.Map {
		if mt := d.Get("MutualTlsAuthentication"); c.mapping(mt, "Domain.MutualTlsAuthentication") {
			c.known(mt, "Domain.MutualTlsAuthentication", "Domain.MutualTlsAuthentication", []string{"TruststoreUri", "TruststoreVersion"})
		}
		if r53 := d.Get("Route53"); c.mapping(r53, "Domain.Route53") {
			if r53.Get("HostedZoneId") == nil && r53.Get("HostedZoneName") == nil {
				c.errorf(r53, "Domain.Route53", "add HostedZoneId or HostedZoneName", "Route53 needs HostedZoneId or HostedZoneName")
			}
			c.boolean(r53.Get("SeparateRecordSetGroup"), "Domain.Route53.SeparateRecordSetGroup")
		}
	}
	if gr := p.Get("GatewayResponses"); gr != nil && gr.Kind == template.Map {
		for _, f := range gr.Fields {
			path := "GatewayResponses." + f.Key
			if f.Value.Kind != template.Map {
				continue
			}
			c.known(f.Value, path, "a gateway response", []string{"ResponseParameters", "ResponseTemplates", "StatusCode"})
			if sc, ok := c.str(f.Value.Get("StatusCode"), path+".StatusCode"); ok {
				if _, err := strconv.Atoi(sc); err != nil {
					c.errorf(f.Value.Get("StatusCode"), path+".StatusCode", "write an HTTP status code such as 401", "StatusCode %q must be numeric", sc)
				}
			}
			if rp := f.Value.Get("ResponseParameters"); rp != nil && rp.Kind == template.Map {
				c.known(rp, path+".ResponseParameters", "ResponseParameters", []string{"Headers", "Paths", "QueryStrings"})
			}
		}
	}
	if body := p.Get("DefinitionBody"); body != nil && body.Kind == template.Map {
		b.openAPIRules(c, body, httpAPI)
	}
}

// openAPIRules checks the structure of an inline OpenAPI/Swagger document
// as far as SAM reads it: path items and operations are maps.
func (b *builder) openAPIRules(c *checker, body *template.Value, httpAPI bool) {
	if sd := body.Get("securityDefinitions"); sd != nil {
		c.mapping(sd, "DefinitionBody.securityDefinitions")
	}
	paths := body.Get("paths")
	if paths == nil || isFn(paths) || paths.Kind == template.Null {
		return
	}
	if !c.mapping(paths, "DefinitionBody.paths") {
		return
	}
	for _, pf := range paths.Fields {
		item := pf.Value
		path := "DefinitionBody.paths." + pf.Key
		if isFn(item) {
			continue
		}
		if item.Kind != template.Map {
			c.errorf(item, path, "write the path item as a map of methods to operations", "path %q should be a map, not %s", pf.Key, describe(item))
			continue
		}
		for _, mf := range item.Fields {
			if !slices.Contains(openAPIMethods, strings.ToLower(mf.Key)) || isFn(mf.Value) {
				continue
			}
			op := mf.Value
			opPath := path + "." + mf.Key
			if httpAPI && op.Kind == template.Null {
				continue // SAM fills in HTTP API operations left empty
			}
			if op.Kind != template.Map {
				c.errorf(op, opPath, "write the operation as a map", "method %q of path %q should be a map, not %s", mf.Key, pf.Key, describe(op))
				continue
			}
			if rs := op.Get("responses"); rs != nil && !isFn(rs) {
				if !c.mapping(rs, opPath+".responses") {
					continue
				}
				for _, rf := range rs.Fields {
					if rf.Value.Kind == template.Map {
						if h := rf.Value.Get("headers"); h != nil && !isFn(h) {
							c.mapping(h, opPath+".responses."+rf.Key+".headers")
						}
					}
				}
			}
		}
	}
}

var connectorProps = []string{"Source", "Destination", "Permissions"}

// connector checks an AWS::Serverless::Connector: its source and
// destination name a resource by Id (or by Arn and Type).
func (b *builder) connector(c *checker, r *template.Resource, p *template.Value) {
	c.known(p, "", r.Type, connectorProps)
	b.connectorPermissions(c, p)
	for _, end := range []string{"Source", "Destination"} {
		v := c.require(p, end, "", "add "+end+": {Id: LogicalId}")
		ends := []*template.Value{v}
		if v != nil && v.Kind == template.List && end == "Destination" {
			ends = v.Items
		}
		for _, v := range ends {
			b.connectorEnd(c, v, end)
		}
	}
}

// connectorEnd checks one end of a connector.
func (b *builder) connectorEnd(c *checker, v *template.Value, end string) {
	if !c.mapping(v, end) {
		return
	}
	id := v.Get("Id")
	switch {
	case id == nil && v.Get("Arn") == nil && v.Get("Type") == nil:
		c.errorf(v, end, "add Id: LogicalId, or Arn and Type", "%s needs an Id, or an Arn and a Type", end)
	case id == nil:
	case isFn(id) || id.Kind != template.String:
		c.errorf(id, end+".Id", "write the logical id as a plain string", "%s.Id must be a string", end)
	default:
		if _, known := b.types[id.Scalar]; !known {
			c.errorf(id, end+".Id", "name a resource of this template", "%s.Id %q is not a resource of this template", end, id.Scalar)
		}
	}
}

// connectorPermissions checks a connector's Permissions: Read and/or Write.
func (b *builder) connectorPermissions(c *checker, p *template.Value) {
	for _, it := range c.strs(c.require(p, "Permissions", "", "add Permissions: [Read, Write]"), "Permissions") {
		if it != "Read" && it != "Write" {
			c.errorf(p.Get("Permissions"), "Permissions", "use Read and/or Write", "permission %q is not Read or Write", it)
		}
	}
}

// tenancyRules checks what SAM refuses for functions with a TenancyConfig:
// only API events, no function URL, provisioned concurrency or SnapStart.
func (b *builder) tenancyRules(c *checker, p *template.Value) {
	if p.Get("CapacityProviderConfig") != nil && p.Get("ProvisionedConcurrencyConfig") != nil {
		c.errorf(p.Get("ProvisionedConcurrencyConfig"), "ProvisionedConcurrencyConfig", "keep CapacityProviderConfig or ProvisionedConcurrencyConfig", "CapacityProviderConfig and ProvisionedConcurrencyConfig cannot both be given")
	}
	if p.Get("TenancyConfig") == nil {
		return
	}
	for _, k := range []string{"FunctionUrlConfig", "ProvisionedConcurrencyConfig", "SnapStart"} {
		if v := p.Get(k); v != nil {
			c.errorf(v, k, "remove "+k+" or TenancyConfig", "%s is not supported for functions with TenancyConfig", k)
		}
	}
	if ev := p.Get("Events"); ev != nil && ev.Kind == template.Map {
		for _, f := range ev.Fields {
			typ, _ := f.Value.Get("Type").Str()
			if typ != "" && typ != string(EventAPI) && typ != string(EventHTTPAPI) {
				c.errorf(f.Value.Get("Type"), "Events."+f.Key+".Type", "use Api or HttpApi events, or remove TenancyConfig", "event source %s is not supported for functions with TenancyConfig", typ)
			}
		}
	}
}

var applicationProps = []string{"Location", "NotificationARNs", "Parameters", "Tags", "TimeoutInMinutes"}

// application checks an AWS::Serverless::Application (accepted, not run):
// a Location that names the application and its version.
func (b *builder) application(c *checker, r *template.Resource, p *template.Value) {
	c.known(p, "", r.Type, applicationProps)
	loc := c.require(p, "Location", "", "add Location: {ApplicationId: arn..., SemanticVersion: 1.0.0}, or a template URL")
	if loc == nil || loc.Kind != template.Map || isFn(loc) {
		return
	}
	for _, k := range []string{"ApplicationId", "SemanticVersion"} {
		v := c.require(loc, k, "Location", "add "+k)
		if v == nil {
			continue
		}
		if s, ok := v.Str(); v.Kind == template.Null || ok && s == "" {
			c.errorf(v, "Location."+k, "give "+k+" a value", "%s cannot be blank", k)
		} else if isFn(v) {
			if name, _, _ := v.Intrinsic(); name != "Ref" && name != "Fn::FindInMap" {
				c.errorf(v, "Location."+k, "use a literal, Ref or Fn::FindInMap", "%s cannot be resolved by SAM: only Ref and Fn::FindInMap are allowed here", k)
			}
		}
	}
}
