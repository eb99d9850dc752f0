package stack

import (
	"strings"

	"github.com/stacklab/stacklab/internal/template"
)

// samFunctionProps are the properties of AWS::Serverless::Function.
var samFunctionProps = []string{"Architectures", "AssumeRolePolicyDocument", "AutoPublishAlias", "AutoPublishAliasAllProperties", "AutoPublishCodeSha256", "CapacityProviderConfig", "CodeSigningConfigArn", "CodeUri", "DeadLetterQueue", "DeploymentPreference", "Description", "DurableConfig", "Environment", "EphemeralStorage", "EventInvokeConfig", "Events", "FileSystemConfigs", "FunctionName", "FunctionScalingConfig", "FunctionUrlConfig", "Handler", "ImageConfig", "ImageUri", "InlineCode", "KmsKeyArn", "Layers", "LoggingConfig", "MemorySize", "PackageType", "PermissionsBoundary", "Policies", "PropagateTags", "ProvisionedConcurrencyConfig", "PublishToLatestPublished", "RecursiveLoop", "ReservedConcurrentExecutions", "Role", "RolePath", "Runtime", "RuntimeManagementConfig", "SnapStart", "SourceKMSKeyArn", "Tags", "TenancyConfig", "Timeout", "Tracing", "VersionDeletionPolicy", "VersionDescription", "VpcConfig"}

// Runtimes stacklab runs, by prefix; other known families are accepted.
var (
	runRuntimes      = []string{"go1.x", "provided", "python3", "nodejs"}
	acceptedRuntimes = []string{"java", "dotnet", "ruby", "python2"}
)

func newFunction(id string) *Function {
	return &Function{ID: id, Name: id, PackageType: "Zip", Architectures: []string{"x86_64"}, MemorySize: 128, Timeout: 3, EphemeralStorage: 512}
}

// common reads the properties that SAM and Lambda functions share.
func (b *builder) commonFunction(c *checker, f *Function, p *template.Value) {
	if s, ok := c.str(p.Get("FunctionName"), "FunctionName"); ok {
		f.Name = s
	}
	f.Handler, _ = c.str(p.Get("Handler"), "Handler")
	if rt, ok := c.str(p.Get("Runtime"), "Runtime"); ok {
		f.Runtime = rt
		b.checkRuntime(c, p.Get("Runtime"), rt)
	}
	if pt, ok := c.oneOf(p.Get("PackageType"), "PackageType", "Zip", "Image"); ok {
		f.PackageType = pt
	}
	if v := p.Get("Architectures"); v != nil {
		archs := c.strs(v, "Architectures")
		for i, a := range archs {
			if a != "x86_64" && a != "arm64" {
				c.errorf(v, "Architectures", "use x86_64 or arm64", "Architectures[%d] is %q, not x86_64 or arm64", i, a)
			}
		}
		if len(archs) > 0 {
			f.Architectures = archs
		}
	}
	if n, ok := c.integer(p.Get("MemorySize"), "MemorySize", 128, 10240); ok {
		f.MemorySize = n
	}
	if n, ok := c.integer(p.Get("Timeout"), "Timeout", 1, 900); ok {
		f.Timeout = n
	}
	if es := p.Get("EphemeralStorage"); c.mapping(es, "EphemeralStorage") {
		if n, ok := c.integer(es.Get("Size"), "EphemeralStorage.Size", 512, 10240); ok {
			f.EphemeralStorage = n
		}
	}
	if env := p.Get("Environment"); c.mapping(env, "Environment") {
		if vars := env.Get("Variables"); c.mapping(vars, "Environment.Variables") {
			f.Environment = map[string]any{}
			for _, fl := range vars.Fields {
				v := fl.Value
				if v.Kind == template.Map && !isFn(v) || v.Kind == template.List {
					c.errorf(v, "Environment.Variables."+fl.Key, "write the value as a string", "environment variable %s should be a string, not a %s", fl.Key, v.Kind)
				}
				f.Environment[fl.Key] = plain(v)
			}
		}
	}
	if n, ok := c.integer(p.Get("ReservedConcurrentExecutions"), "ReservedConcurrentExecutions", 0, 1000000); ok {
		f.ReservedConcurrency = &n
	}
	if v := p.Get("Layers"); v != nil {
		for _, it := range c.list(v, "Layers", false) {
			f.Layers = append(f.Layers, plain(it))
		}
	}
}

func (b *builder) checkRuntime(c *checker, v *template.Value, rt string) {
	for _, p := range runRuntimes {
		if strings.HasPrefix(rt, p) {
			return
		}
	}
	for _, p := range acceptedRuntimes {
		if strings.HasPrefix(rt, p) {
			c.warnf(v, "Runtime", "use a go, provided, python3 or nodejs runtime to run it locally", "runtime %s is accepted, not run", rt)
			return
		}
	}
	c.warnf(v, "Runtime", "use one of go1.x, provided.al2023, provided.al2, python3.x, nodejs20.x, nodejs22.x", "unknown runtime %q", rt)
}

func (b *builder) samFunction(c *checker, r *template.Resource, p *template.Value) *Function {
	f := newFunction(r.ID)
	c.known(p, "", r.Type, samFunctionProps)
	b.commonFunction(c, f, p)
	switch cu := p.Get("CodeUri"); {
	case cu == nil:
	case cu.Kind == template.Map && !isFn(cu):
		bucket, _ := c.str(c.require(cu, "Bucket", "CodeUri", "give the S3 bucket of the code"), "CodeUri.Bucket")
		key, _ := c.str(c.require(cu, "Key", "CodeUri", "give the S3 key of the code"), "CodeUri.Key")
		f.CodeURI = "s3://" + bucket + "/" + key
	default:
		f.CodeURI, _ = c.str(cu, "CodeUri")
	}
	f.InlineCode, _ = c.str(p.Get("InlineCode"), "InlineCode")
	f.ImageURI, _ = c.str(p.Get("ImageUri"), "ImageUri")
	if p.Get("CodeUri") != nil && p.Get("InlineCode") != nil {
		c.warnf(p.Get("InlineCode"), "InlineCode", "keep one of CodeUri and InlineCode", "CodeUri and InlineCode are both given; InlineCode is used")
	}
	b.samFunctionRules(c, r, p, f)
	b.tenancyRules(c, p)
	if m := r.Metadata; m != nil && m.Kind == template.Map {
		f.BuildMethod, _ = m.Get("BuildMethod").Str()
	}
	if s, ok := c.str(p.Get("AutoPublishAlias"), "AutoPublishAlias"); ok {
		f.AutoPublishAlias = s
	}
	if dp := p.Get("DeploymentPreference"); c.mapping(dp, "DeploymentPreference") {
		f.DeploymentPreference = plainMap(dp)
		enabled, known := c.boolean(dp.Get("Enabled"), "DeploymentPreference.Enabled")
		if (enabled || !known && dp.Get("Enabled") == nil) && p.Get("AutoPublishAlias") == nil {
			c.errorf(dp, "DeploymentPreference", "add AutoPublishAlias: live", "DeploymentPreference requires AutoPublishAlias")
		}
	}
	f.DeadLetterQueue = b.deadLetterQueue(c, p.Get("DeadLetterQueue"), "DeadLetterQueue", true)
	f.EventInvokeConfig = b.eventInvokeConfig(c, p.Get("EventInvokeConfig"))
	f.Policies = b.policies(c, p.Get("Policies"))
	f.Events = b.events(c, r.ID, p.Get("Events"), "function")
	return f
}

func (b *builder) lambdaFunction(c *checker, r *template.Resource, p *template.Value) *Function {
	f := newFunction(r.ID)
	b.commonFunction(c, f, p)
	code := c.require(p, "Code", "", "add Code: {ZipFile: ...} or {S3Bucket: ..., S3Key: ...} or {ImageUri: ...}")
	if c.mapping(code, "Code") {
		switch {
		case code.Get("ZipFile") != nil:
			f.InlineCode, _ = c.str(code.Get("ZipFile"), "Code.ZipFile")
		case code.Get("ImageUri") != nil:
			f.ImageURI, _ = c.str(code.Get("ImageUri"), "Code.ImageUri")
		case code.Get("S3Bucket") != nil:
			bucket, _ := c.str(code.Get("S3Bucket"), "Code.S3Bucket")
			key, _ := c.str(c.require(code, "S3Key", "Code", "give the S3 key of the code"), "Code.S3Key")
			f.CodeURI = "s3://" + bucket + "/" + key
		}
	}
	if dl := p.Get("DeadLetterConfig"); c.mapping(dl, "DeadLetterConfig") {
		t := target(dl.Get("TargetArn"))
		typ := "SQS"
		if b.isType(t, "AWS::SNS::Topic") || strings.Contains(t.Literal, ":sns:") {
			typ = "SNS"
		}
		f.DeadLetterQueue = &DeadLetterQueue{Type: typ, Target: t}
	}
	return f
}

func (b *builder) deadLetterQueue(c *checker, v *template.Value, path string, sam bool) *DeadLetterQueue {
	if !c.mapping(v, path) {
		return nil
	}
	typ, _ := c.oneOf(c.require(v, "Type", path, "add Type: SQS or Type: SNS"), path+".Type", "SQS", "SNS")
	tv := c.require(v, "TargetArn", path, "add TargetArn: !GetAtt Queue.Arn")
	return &DeadLetterQueue{Type: typ, Target: target(tv)}
}

func (b *builder) eventInvokeConfig(c *checker, v *template.Value) *EventInvokeConfig {
	if !c.mapping(v, "EventInvokeConfig") {
		return nil
	}
	return b.invokeConfig(c, v, "EventInvokeConfig.", true)
}

// invokeConfig reads the properties SAM's EventInvokeConfig and the
// AWS::Lambda::EventInvokeConfig resource share, under prefix. SAM's
// destinations name their Type; the resource's do not, and it is found
// from the destination (destinationType).
func (b *builder) invokeConfig(c *checker, v *template.Value, prefix string, typed bool) *EventInvokeConfig {
	e := &EventInvokeConfig{}
	if n, ok := c.integer(v.Get("MaximumRetryAttempts"), prefix+"MaximumRetryAttempts", 0, 2); ok {
		e.MaximumRetryAttempts = &n
	}
	if n, ok := c.integer(v.Get("MaximumEventAgeInSeconds"), prefix+"MaximumEventAgeInSeconds", 60, 21600); ok {
		e.MaximumEventAgeInSeconds = &n
	}
	if dc := v.Get("DestinationConfig"); c.mapping(dc, prefix+"DestinationConfig") {
		dest := func(key string) *Destination {
			d := dc.Get(key)
			path := prefix + "DestinationConfig." + key
			if !c.mapping(d, path) {
				return nil
			}
			out := &Destination{Target: target(d.Get("Destination"))}
			if !typed {
				dv := c.require(d, "Destination", path, "add Destination: the ARN of a queue, topic, function, event bus or bucket")
				if dv != nil {
					out.Type = b.destinationType(c, dv, out.Target, path+".Destination")
				}
				return out
			}
			out.Type, _ = c.oneOf(d.Get("Type"), path+".Type", "SQS", "SNS", "Lambda", "EventBridge", "S3Bucket")
			if out.Type == "" && d.Get("Type") == nil {
				c.errorf(d, path, "add Type: SQS, SNS, Lambda, EventBridge or S3Bucket", "missing required property Type")
			}
			if d.Get("Destination") == nil && (out.Type == "Lambda" || out.Type == "EventBridge" || out.Type == "S3Bucket") {
				c.errorf(d, path, "add Destination: the ARN of the "+out.Type+" target", "Destination is required when Type is %s", out.Type)
			}
			return out
		}
		e.OnSuccess = dest("OnSuccess")
		e.OnFailure = dest("OnFailure")
	}
	return e
}

// destinationType is the kind of an async destination, as SAM's Type
// names it, from the resource it refers to or its ARN. A destination only
// known when the stack is deployed (a parameter without a value, a value
// computed from one) is valid, but its kind is unknown and stacklab does
// not deliver to it: it is warned of, and the kind is "".
func (b *builder) destinationType(c *checker, v *template.Value, t Target, path string) string {
	byType := map[string]string{
		"AWS::SQS::Queue": "SQS", "AWS::SNS::Topic": "SNS", "AWS::Serverless::Function": "Lambda",
		"AWS::Lambda::Function": "Lambda", "AWS::Events::EventBus": "EventBridge", "AWS::S3::Bucket": "S3Bucket",
	}
	byARN := []struct{ prefix, typ string }{
		{"arn:aws:sqs:", "SQS"}, {"arn:aws:sns:", "SNS"}, {"arn:aws:lambda:", "Lambda"},
		{"arn:aws:events:", "EventBridge"}, {"arn:aws:s3:", "S3Bucket"},
	}
	switch {
	case t.Ref != "" && b.types[t.Ref] == "" && b.isParam(t.Ref):
		c.warnf(v, path, "give the parameter a value with --param "+t.Ref+"=arn:aws:sqs:..., or point Destination at a resource of this template",
			"Destination is parameter %s, which has no value; stacklab cannot tell what kind of destination it is and does not deliver to it", t.Ref)
		return ""
	case t.IsZero() && isFn(v):
		c.warnf(v, path, "give the parameters it uses a value with --param Name=Value, or point Destination at a resource of this template",
			"Destination is computed from values stacklab does not know; it cannot tell what kind of destination it is and does not deliver to it")
		return ""
	case t.Ref != "":
		if typ, ok := byType[b.types[t.Ref]]; ok {
			return typ
		}
	default:
		for _, a := range byARN {
			if strings.HasPrefix(t.Literal, a.prefix) {
				return a.typ
			}
		}
	}
	c.errorf(v, path, "name a queue, topic, function, event bus or S3 bucket: !GetAtt Queue.Arn, !Ref Topic, or an ARN",
		"%q is not a destination of async invocations", t.String())
	return ""
}

// invokeConfigResource reads an AWS::Lambda::EventInvokeConfig; it is
// given to its function once every resource is read (attachInvokeConfigs).
func (b *builder) invokeConfigResource(c *checker, r *template.Resource, p *template.Value) {
	fv := c.require(p, "FunctionName", "", "add FunctionName: !Ref MyFunction")
	qv := c.require(p, "Qualifier", "", "add Qualifier: $LATEST (or a version or alias)")
	if q, ok := c.str(qv, "Qualifier"); ok && q != "" && !validQualifier(q) {
		c.errorf(qv, "Qualifier", "write $LATEST, a version number or an alias name", "%q is not a function version or alias", q)
	}
	cfg := b.invokeConfig(c, p, "", false)
	if fv != nil {
		b.pendingInvokeConfigs = append(b.pendingInvokeConfigs, pendingInvokeConfig{id: r.ID, fn: target(fv), v: fv, c: c, cfg: cfg})
	}
}

// validQualifier reports whether q can be a version or alias: $LATEST,
// digits, or letters, digits, - and _ (not digits only, which is a version).
func validQualifier(q string) bool {
	if q == "$LATEST" {
		return true
	}
	if len(q) > 128 {
		return false
	}
	for _, r := range q {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return q != ""
}

// pendingInvokeConfig is an AWS::Lambda::EventInvokeConfig waiting for its
// function.
type pendingInvokeConfig struct {
	id  string
	fn  Target
	v   *template.Value
	c   *checker
	cfg *EventInvokeConfig
}

// attachInvokeConfigs gives each AWS::Lambda::EventInvokeConfig to the
// function it names: the platform then retries and routes that function's
// async invocations as it does with SAM's EventInvokeConfig. stacklab runs
// one version of a function, so the Qualifier does not choose among them.
func (b *builder) attachInvokeConfigs() {
	from := map[*Function]string{}
	for _, f := range b.s.Functions {
		if f.EventInvokeConfig != nil {
			from[f] = "its EventInvokeConfig property"
		}
	}
	for _, pc := range b.pendingInvokeConfigs {
		var fn *Function
		for _, f := range b.s.Functions {
			name := pc.fn.Literal
			if i := strings.LastIndex(name, ":function:"); i >= 0 {
				name, _, _ = strings.Cut(name[i+len(":function:"):], ":")
			}
			if pc.fn.Ref != "" && f.ID == pc.fn.Ref || pc.fn.Ref == "" && name != "" && (f.Name == name || f.ID == name) {
				fn = f
			}
		}
		switch {
		case fn == nil && pc.fn.Ref != "":
			if b.types[pc.fn.Ref] != "" || !b.isParam(pc.fn.Ref) {
				pc.c.errorf(pc.v, "FunctionName", "write FunctionName: !Ref MyFunction, a function of this template",
					"%q is not a function of this template", pc.fn.Ref)
			}
		case fn == nil:
			// A function of another stack: nothing here to configure.
		case from[fn] != "":
			pc.c.errorf(pc.v, "FunctionName", "keep one: remove this resource or the other configuration",
				"function %s already has an event invoke configuration (%s); CloudFormation would fail with \"already exists\"", fn.ID, from[fn])
		default:
			pc.cfg.Resource = pc.id
			fn.EventInvokeConfig = pc.cfg
			from[fn] = "resource " + pc.id
		}
	}
	b.pendingInvokeConfigs = nil
}
