package stack

import (
	"fmt"
	"strings"

	"github.com/stacklab/stacklab/internal/template"
)

func (b *builder) bucket(c *checker, r *template.Resource, p *template.Value) *Bucket {
	bk := &Bucket{ID: r.ID}
	if v := p.Get("BucketName"); v != nil {
		bk.Name, _ = c.str(v, "BucketName")
		if n := bk.Name; n != "" && !isConstName(n) {
			// Computed names are fine; literal ones must be valid S3 names.
		} else if n != "" && (len(n) < 3 || len(n) > 63 || strings.ToLower(n) != n || strings.ContainsAny(n, " _")) {
			c.warnf(v, "BucketName", "use 3 to 63 lowercase letters, digits, dots and hyphens", "bucket name %q is not a valid S3 bucket name", n)
		}
	}
	nc := p.Get("NotificationConfiguration")
	if !c.mapping(nc, "NotificationConfiguration") {
		return bk
	}
	for _, kind := range []struct{ key, target, kind string }{
		{"LambdaConfigurations", "Function", "function"},
		{"QueueConfigurations", "Queue", "queue"},
		{"TopicConfigurations", "Topic", "topic"},
	} {
		for i, cfg := range c.list(nc.Get(kind.key), "NotificationConfiguration."+kind.key, false) {
			path := fmt.Sprintf("NotificationConfiguration.%s[%d]", kind.key, i)
			if !c.mapping(cfg, path) {
				continue
			}
			n := Notification{Kind: kind.kind}
			n.Event, _ = c.str(c.require(cfg, "Event", path, "add Event: s3:ObjectCreated:*"), path+".Event")
			n.Target = target(c.require(cfg, kind.target, path, "add "+kind.target+": the ARN of the target"))
			if fl := cfg.Get("Filter"); c.mapping(fl, path+".Filter") {
				n.Prefix, n.Suffix = b.keyFilter(c, fl, path+".Filter")
			}
			bk.Notifications = append(bk.Notifications, n)
		}
	}
	return bk
}

// isConstName reports whether a name was fully resolved (not still holding
// a ${...} placeholder).
func isConstName(s string) bool { return !strings.Contains(s, "${") }

func (b *builder) queue(c *checker, r *template.Resource, p *template.Value) *Queue {
	q := &Queue{ID: r.ID, VisibilityTimeout: 30, MessageRetentionPeriod: 345600}
	q.Name, _ = c.str(p.Get("QueueName"), "QueueName")
	if v, ok := c.boolean(p.Get("FifoQueue"), "FifoQueue"); ok {
		q.Fifo = v
	}
	if v, ok := c.boolean(p.Get("ContentBasedDeduplication"), "ContentBasedDeduplication"); ok {
		q.ContentBasedDedup = v
	}
	if q.Name != "" && isConstName(q.Name) && q.Fifo != strings.HasSuffix(q.Name, ".fifo") {
		c.errorf(p.Get("QueueName"), "QueueName", "end the name of a FIFO queue, and only of a FIFO queue, in .fifo", "queue name %q does not match FifoQueue: %v", q.Name, q.Fifo)
	}
	if n, ok := c.integer(p.Get("VisibilityTimeout"), "VisibilityTimeout", 0, 43200); ok {
		q.VisibilityTimeout = n
	}
	if n, ok := c.integer(p.Get("MessageRetentionPeriod"), "MessageRetentionPeriod", 60, 1209600); ok {
		q.MessageRetentionPeriod = n
	}
	if n, ok := c.integer(p.Get("DelaySeconds"), "DelaySeconds", 0, 900); ok {
		q.DelaySeconds = n
	}
	if n, ok := c.integer(p.Get("ReceiveMessageWaitTimeSeconds"), "ReceiveMessageWaitTimeSeconds", 0, 20); ok {
		q.ReceiveWaitTime = n
	}
	c.integer(p.Get("MaximumMessageSize"), "MaximumMessageSize", 1024, 1048576)
	rp := p.Get("RedrivePolicy")
	if rp != nil && rp.Kind == template.String {
		// CloudFormation also accepts the policy as a JSON string.
		if v, diags := template.Parse("RedrivePolicy", []byte(rp.Scalar)); len(diags) == 0 && v != nil && v.Kind == template.Map {
			rp = v
		}
	}
	if c.mapping(rp, "RedrivePolicy") {
		q.DeadLetter = target(c.require(rp, "deadLetterTargetArn", "RedrivePolicy", "add deadLetterTargetArn: !GetAtt DeadLetterQueue.Arn"))
		if n, ok := c.integer(c.require(rp, "maxReceiveCount", "RedrivePolicy", "add maxReceiveCount: 5"), "RedrivePolicy.maxReceiveCount", 1, 1000); ok {
			q.MaxReceiveCount = n
		}
	}
	return q
}

func (b *builder) topic(c *checker, r *template.Resource, p *template.Value) *Topic {
	t := &Topic{ID: r.ID}
	t.Name, _ = c.str(p.Get("TopicName"), "TopicName")
	if v, ok := c.boolean(p.Get("FifoTopic"), "FifoTopic"); ok {
		t.Fifo = v
	}
	for i, s := range c.list(p.Get("Subscription"), "Subscription", false) {
		path := fmt.Sprintf("Subscription[%d]", i)
		if !c.mapping(s, path) {
			continue
		}
		sub := Subscription{}
		sub.Protocol, _ = c.str(c.require(s, "Protocol", path, "add Protocol: lambda, sqs, http, https, email..."), path+".Protocol")
		sub.Endpoint = target(c.require(s, "Endpoint", path, "add Endpoint: the ARN or address of the subscriber"))
		t.Subscriptions = append(t.Subscriptions, sub)
	}
	return t
}

// subscription adds an AWS::SNS::Subscription to its topic (topics are
// built first when they come earlier in the template; otherwise it is
// attached when the graph is made).
func (b *builder) subscription(c *checker, r *template.Resource, p *template.Value) {
	sub := Subscription{ID: r.ID}
	topicArn := c.require(p, "TopicArn", "", "add TopicArn: !Ref MyTopic")
	topic := target(topicArn)
	sub.Protocol, _ = c.oneOf(c.require(p, "Protocol", "", "add Protocol: lambda or sqs"), "Protocol", "http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
	sub.Endpoint = target(c.require(p, "Endpoint", "", "add Endpoint: the ARN of the subscriber"))
	if fp := p.Get("FilterPolicy"); fp != nil {
		sub.FilterPolicy = plain(fp)
	}
	if v, ok := c.boolean(p.Get("RawMessageDelivery"), "RawMessageDelivery"); ok {
		sub.Raw = v
	}
	b.pendingSubs = append(b.pendingSubs, pendingSub{topic: topic, sub: sub})
	b.topicRefs = append(b.topicRefs, topicRef{c: c, v: topicArn, path: "TopicArn"})
}

type pendingSub struct {
	topic Target
	sub   Subscription
}

// topicRef is a TopicArn of a subscription, or a Topic of an SNS event,
// checked once every topic is built.
type topicRef struct {
	c    *checker
	v    *template.Value
	path string
}

var keyTypes = map[string]string{"String": "S", "Number": "N", "Binary": "B"}

func (b *builder) table(c *checker, r *template.Resource, p *template.Value) *Table {
	t := &Table{ID: r.ID, Attributes: map[string]string{}}
	t.Name, _ = c.str(p.Get("TableName"), "TableName")
	for i, a := range c.list(c.require(p, "AttributeDefinitions", "", "add AttributeDefinitions: [{AttributeName: id, AttributeType: S}]"), "AttributeDefinitions", false) {
		path := fmt.Sprintf("AttributeDefinitions[%d]", i)
		if !c.mapping(a, path) {
			continue
		}
		name, _ := c.str(c.require(a, "AttributeName", path, "add AttributeName"), path+".AttributeName")
		typ, _ := c.oneOf(c.require(a, "AttributeType", path, "add AttributeType: S, N or B"), path+".AttributeType", "S", "N", "B")
		if name != "" {
			t.Attributes[name] = typ
		}
	}
	ks := c.require(p, "KeySchema", "", "add KeySchema: [{AttributeName: id, KeyType: HASH}]")
	for i, k := range c.list(ks, "KeySchema", false) {
		path := fmt.Sprintf("KeySchema[%d]", i)
		if !c.mapping(k, path) {
			continue
		}
		name, _ := c.str(c.require(k, "AttributeName", path, "add AttributeName"), path+".AttributeName")
		kt, _ := c.oneOf(c.require(k, "KeyType", path, "add KeyType: HASH or RANGE"), path+".KeyType", "HASH", "RANGE")
		typ, defined := t.Attributes[name]
		if name != "" && !defined && len(t.Attributes) > 0 {
			c.errorf(k.Get("AttributeName"), path+".AttributeName", "add "+name+" to AttributeDefinitions", "key attribute %q is not in AttributeDefinitions", name)
		}
		switch kt {
		case "HASH":
			t.HashKey = Key{Name: name, Type: typ}
		case "RANGE":
			t.RangeKey = &Key{Name: name, Type: typ}
		}
	}
	if ss := p.Get("StreamSpecification"); c.mapping(ss, "StreamSpecification") {
		t.StreamViewType, _ = c.oneOf(ss.Get("StreamViewType"), "StreamSpecification.StreamViewType", "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
	}
	c.oneOf(p.Get("BillingMode"), "BillingMode", "PROVISIONED", "PAY_PER_REQUEST")
	return t
}

var simpleTableProps = []string{"PointInTimeRecoverySpecification", "PrimaryKey", "ProvisionedThroughput", "SSESpecification", "TableName", "Tags"}

func (b *builder) simpleTable(c *checker, r *template.Resource, p *template.Value) *Table {
	c.known(p, "", r.Type, simpleTableProps)
	t := &Table{ID: r.ID, HashKey: Key{Name: "id", Type: "S"}}
	t.Name, _ = c.str(p.Get("TableName"), "TableName")
	if pk := p.Get("PrimaryKey"); c.mapping(pk, "PrimaryKey") {
		if name, ok := c.str(c.require(pk, "Name", "PrimaryKey", "add Name: id"), "PrimaryKey.Name"); ok {
			t.HashKey.Name = name
		}
		if typ, ok := c.oneOf(c.require(pk, "Type", "PrimaryKey", "add Type: String, Number or Binary"), "PrimaryKey.Type", "String", "Number", "Binary"); ok {
			t.HashKey.Type = keyTypes[typ]
		}
	}
	t.Attributes = map[string]string{t.HashKey.Name: t.HashKey.Type}
	return t
}

var (
	samAPIProps     = []string{"AccessLogSetting", "AlwaysDeploy", "ApiKeySourceType", "Auth", "BinaryMediaTypes", "CacheClusterEnabled", "CacheClusterSize", "CanarySetting", "Cors", "DefinitionBody", "DefinitionUri", "Description", "DisableExecuteApiEndpoint", "Domain", "EndpointAccessMode", "EndpointConfiguration", "FailOnWarnings", "GatewayResponses", "MergeDefinitions", "MethodSettings", "MinimumCompressionSize", "Mode", "Models", "Name", "OpenApiVersion", "Policy", "PropagateTags", "SecurityPolicy", "StageName", "Tags", "TracingEnabled", "Variables"}
	samHTTPAPIProps = []string{"AccessLogSettings", "Auth", "CorsConfiguration", "DefaultRouteSettings", "DefinitionBody", "DefinitionUri", "Description", "DisableExecuteApiEndpoint", "Domain", "FailOnWarnings", "Name", "PropagateTags", "RouteSettings", "StageName", "StageVariables", "Tags"}
)

func (b *builder) api(c *checker, r *template.Resource, p *template.Value) *API {
	api := b.apis[r.ID]
	if api == nil {
		api = &API{ID: r.ID}
		b.apis[r.ID] = api
	}
	api.HTTP = r.Type == "AWS::Serverless::HttpApi"
	if api.HTTP {
		c.known(p, "", r.Type, samHTTPAPIProps)
		api.Stage = "$default"
		if cv := p.Get("CorsConfiguration"); cv != nil {
			api.Cors = plain(cv)
			if s, _ := cv.Str(); cv.Kind != template.Map && cv.Kind != template.Bool && !isFn(cv) && s != "true" && s != "false" {
				c.errorf(cv, "CorsConfiguration", "write true, or a map with AllowOrigins, AllowMethods, ...", "CorsConfiguration should be a boolean or a map, not %s", describe(cv))
			}
		}
	} else {
		c.known(p, "", r.Type, samAPIProps)
		if cv := p.Get("Cors"); cv != nil {
			api.Cors = plain(cv)
			if cv.Kind != template.Map && cv.Kind != template.String && !isFn(cv) {
				c.errorf(cv, "Cors", "write an origin string such as \"'*'\", or a map with AllowOrigin, AllowMethods, ...", "Cors should be a string or a map, not %s", describe(cv))
			}
		}
	}
	if s, ok := c.str(p.Get("StageName"), "StageName"); ok {
		api.Stage = s
	}
	c.mapping(p.Get("DefinitionBody"), "DefinitionBody")
	b.apiRules(c, p, api.HTTP)
	if du := p.Get("DefinitionUri"); du != nil && p.Get("DefinitionBody") != nil {
		c.errorf(du, "DefinitionUri", "keep one of DefinitionUri and DefinitionBody", "DefinitionUri and DefinitionBody cannot both be given")
	}
	if auth := p.Get("Auth"); c.mapping(auth, "Auth") {
		a := &APIAuth{}
		a.DefaultAuthorizer, _ = c.str(auth.Get("DefaultAuthorizer"), "Auth.DefaultAuthorizer")
		if v, ok := c.boolean(auth.Get("ApiKeyRequired"), "Auth.ApiKeyRequired"); ok {
			a.APIKeyRequired = v
		}
		if az := auth.Get("Authorizers"); c.mapping(az, "Auth.Authorizers") {
			a.Authorizers = plainMap(az)
			for _, f := range az.Fields {
				path := "Auth.Authorizers." + f.Key
				if !c.mapping(f.Value, path) {
					continue
				}
				if id := f.Value.Get("Identity"); id != nil {
					c.mapping(id, path+".Identity")
				}
				if jc := f.Value.Get("JwtConfiguration"); jc != nil {
					c.mapping(jc, path+".JwtConfiguration")
				}
			}
		}
		builtin := []string{"AWS_IAM", "NONE"}
		if d := a.DefaultAuthorizer; d != "" && a.Authorizers[d] == nil && !containsStr(builtin, d) {
			c.errorf(auth.Get("DefaultAuthorizer"), "Auth.DefaultAuthorizer", "define it under Auth.Authorizers, or use AWS_IAM", "DefaultAuthorizer %q is not one of the API's Authorizers", d)
		}
		api.Auth = a
	}
	if gr := p.Get("GatewayResponses"); c.mapping(gr, "GatewayResponses") {
		for _, f := range gr.Fields {
			path := "GatewayResponses." + f.Key
			if c.mapping(f.Value, path) {
				c.mapping(f.Value.Get("ResponseParameters"), path+".ResponseParameters")
			}
		}
	}
	if d := p.Get("Domain"); c.mapping(d, "Domain") {
		if aa := d.Get("AccessAssociation"); aa != nil {
			c.mapping(aa, "Domain.AccessAssociation")
		}
	}
	return api
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (b *builder) rule(c *checker, r *template.Resource, p *template.Value) *Rule {
	rl := &Rule{ID: r.ID, Enabled: true}
	if s, ok := c.str(p.Get("ScheduleExpression"), "ScheduleExpression"); ok {
		rl.Schedule = s
		checkScheduleKind(c, p.Get("ScheduleExpression"), "ScheduleExpression", s, false)
	}
	if pat := p.Get("EventPattern"); pat != nil {
		if pat.Kind == template.String {
			if v, diags := template.Parse("EventPattern", []byte(pat.Scalar)); len(diags) == 0 && v != nil {
				pat = v
			}
		}
		if c.mapping(pat, "EventPattern") {
			rl.Pattern = plain(pat)
		}
	}
	if p.Get("ScheduleExpression") == nil && p.Get("EventPattern") == nil {
		c.errorf(p, "", "add EventPattern or ScheduleExpression", "a rule needs an EventPattern or a ScheduleExpression")
	}
	if bus := p.Get("EventBusName"); bus != nil {
		rl.EventBus = target(bus)
	}
	if s, ok := c.oneOf(p.Get("State"), "State", "ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"); ok {
		rl.Enabled = s != "DISABLED"
	}
	for i, t := range c.list(p.Get("Targets"), "Targets", false) {
		path := fmt.Sprintf("Targets[%d]", i)
		if !c.mapping(t, path) {
			continue
		}
		rl.Targets = append(rl.Targets, target(c.require(t, "Arn", path, "add Arn: the ARN of the target")))
		c.require(t, "Id", path, "add Id: a name for the target")
	}
	return rl
}

var samStateMachineProps = []string{"AutoPublishAlias", "Definition", "DefinitionSubstitutions", "DefinitionUri", "DeploymentPreference", "Events", "Logging", "Name", "PermissionsBoundary", "Policies", "PropagateTags", "Role", "RolePath", "Tags", "Tracing", "Type", "UseAliasAsEventTarget"}

func (b *builder) stateMachine(c *checker, r *template.Resource, p *template.Value) *StateMachine {
	sm := &StateMachine{ID: r.ID, Type: "STANDARD"}
	sam := r.Type == "AWS::Serverless::StateMachine"
	nameKey, typeKey, defKey, uriKey, subsKey := "Name", "Type", "Definition", "DefinitionUri", "DefinitionSubstitutions"
	if !sam {
		nameKey, typeKey, defKey, uriKey, subsKey = "StateMachineName", "StateMachineType", "Definition", "DefinitionS3Location", "DefinitionSubstitutions"
	} else {
		c.known(p, "", r.Type, samStateMachineProps)
	}
	sm.Name, _ = c.str(p.Get(nameKey), nameKey)
	if t, ok := c.oneOf(p.Get(typeKey), typeKey, "STANDARD", "EXPRESS"); ok {
		sm.Type = t
	}
	if d := p.Get(defKey); c.mapping(d, defKey) {
		sm.Definition = plain(d)
	}
	if !sam {
		if ds, ok := p.Get("DefinitionString").Str(); ok {
			sm.Definition = ds
		}
	}
	if u := p.Get(uriKey); u != nil {
		if s, ok := u.Str(); ok {
			sm.DefinitionURI = s
		} else {
			sm.DefinitionURI = fmt.Sprint(plain(u))
		}
	}
	if sam && p.Get(defKey) == nil && p.Get(uriKey) == nil {
		c.errorf(p, "", "add Definition (inline) or DefinitionUri (a file)", "the state machine has no Definition or DefinitionUri")
	}
	if s := p.Get(subsKey); c.mapping(s, subsKey) {
		sm.Substitutions = plainMap(s)
	}
	if sam {
		sm.Policies = b.policies(c, p.Get("Policies"))
		sm.Events = b.events(c, r.ID, p.Get("Events"), "state machine")
	}
	return sm
}

func (b *builder) eventSourceMapping(c *checker, r *template.Resource, p *template.Value) *EventSourceMapping {
	m := &EventSourceMapping{ID: r.ID, Enabled: true}
	m.Function = target(c.require(p, "FunctionName", "", "add FunctionName: !Ref MyFunction"))
	m.Source = target(p.Get("EventSourceArn"))
	if n, ok := c.integer(p.Get("BatchSize"), "BatchSize", 1, 10000); ok {
		m.BatchSize = n
	}
	if n, ok := c.integer(p.Get("MaximumBatchingWindowInSeconds"), "MaximumBatchingWindowInSeconds", 0, 300); ok {
		m.MaxBatchingWindow = n
	}
	if s, ok := c.oneOf(p.Get("StartingPosition"), "StartingPosition", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"); ok {
		m.StartingPosition = s
	}
	m.FunctionResponseTypes = c.strs(p.Get("FunctionResponseTypes"), "FunctionResponseTypes")
	if v, ok := c.boolean(p.Get("Enabled"), "Enabled"); ok {
		m.Enabled = v
	}
	m.MaximumConcurrency = scalingConfig(c, p.Get("ScalingConfig"), "ScalingConfig")
	return m
}

// namesTopic reports whether a TopicArn or an SNS event's Topic names the
// topic: by !Ref, or by its name or ARN (the name is its TopicName, or its
// logical id as stacklab names it).
func namesTopic(t *Topic, target Target) bool {
	if target.Ref != "" {
		return target.Ref == t.ID
	}
	name := t.Name
	if name == "" {
		name = t.ID
	}
	return target.Literal != "" && (target.Literal == name || strings.HasSuffix(target.Literal, ":"+name))
}

// samReference tells whether v is a Ref to a resource SAM makes for
// another (Function.DestinationTopic, Api.Stage): "Logical.Property".
func samReference(v *template.Value) bool {
	if name, arg, ok := v.Intrinsic(); ok && name == "Ref" {
		s, _ := arg.Str()
		return strings.Contains(s, ".")
	}
	return false
}

// checkTopicRefs reports each subscription's TopicArn and each SNS event's
// Topic that is not a topic of the stack: stacklab runs this one stack, so
// nothing would ever publish to it.
func (b *builder) checkTopicRefs() {
	var have []string
	for _, t := range b.s.Topics {
		have = append(have, t.ID)
	}
	fix := "add an AWS::SNS::Topic to the template and point %s at it with !Ref Topic"
	if len(have) > 0 {
		fix = "point %s at a topic of the template (" + strings.Join(have, ", ") + ") with !Ref " + have[0]
	}
	for _, r := range b.topicRefs {
		if r.v == nil {
			continue // reported as missing
		}
		key := last(r.path)
		tg := target(r.v)
		found := false
		for _, t := range b.s.Topics {
			if namesTopic(t, tg) {
				found = true
				break
			}
		}
		if found {
			continue
		}
		// A topic outside the stack is valid CloudFormation and loses
		// nothing here (nothing publishes to it): a warning. A Ref to a
		// resource of the stack that is no topic is a mistake: an error.
		fx := fmt.Sprintf(fix, key)
		switch typ := b.types[tg.Ref]; {
		case tg.Ref != "" && typ == "":
			// Not a resource: the template loader reports the reference.
		case samReference(r.v):
			r.c.warnf(r.v, r.path, fx, "%s is a topic SAM makes for %s, which stacklab does not make, so nothing publishes to the subscription", key, tg.Ref)
		case tg.Ref != "":
			r.c.errorf(r.v, r.path, fx, "%s names %s, an %s, not a topic", key, tg.Ref, typ)
		case tg.Literal == "":
			r.c.warnf(r.v, r.path, fx, "%s is computed from something stacklab cannot resolve, so no topic of the stack is known to deliver to it", key)
		default:
			r.c.warnf(r.v, r.path, fx, "%s %s is not a topic of this stack; stacklab runs this one stack, so nothing outside it publishes to the subscription", key, tg.Literal)
		}
	}
	b.topicRefs = nil
}
