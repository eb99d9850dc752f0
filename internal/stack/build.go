package stack

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/template"
)

// kinds maps the resource types stacklab runs to their kind. Every other
// type is KindOther: accepted, drawn, planned, not run; the one exception
// is AWS::Lambda::EventInvokeConfig, drawn as other but run, as part of the
// function it configures.
var kinds = map[string]Kind{
	"AWS::Serverless::Function":        KindFunction,
	"AWS::Lambda::Function":            KindFunction,
	"AWS::S3::Bucket":                  KindBucket,
	"AWS::SQS::Queue":                  KindQueue,
	"AWS::SNS::Topic":                  KindTopic,
	"AWS::SNS::Subscription":           KindTopic,
	"AWS::DynamoDB::Table":             KindTable,
	"AWS::Serverless::SimpleTable":     KindTable,
	"AWS::Serverless::Api":             KindAPI,
	"AWS::Serverless::HttpApi":         KindAPI,
	"AWS::Events::Rule":                KindRule,
	"AWS::Events::EventBus":            KindEventBus,
	"AWS::Serverless::StateMachine":    KindStateMachine,
	"AWS::StepFunctions::StateMachine": KindStateMachine,
	"AWS::Lambda::EventSourceMapping":  KindMapping,
	"AWS::Kinesis::Stream":             KindStream,
}

// KindOf returns the kind of a resource type.
func KindOf(typ string) Kind {
	if k, ok := kinds[typ]; ok {
		return k
	}
	return KindOther
}

// builder turns a resolved template into a Stack.
type builder struct {
	t     *template.Template
	s     *Stack
	diags diag.List
	types map[string]string // logical id -> type, active resources
	apis  map[string]*API

	pendingSubs          []pendingSub
	topicRefs            []topicRef
	pendingInvokeConfigs []pendingInvokeConfig
}

// Build makes the typed model and graph of a resolved template, checking the
// properties of every resource stacklab runs. It returns a Stack even when
// there are errors, with what could be understood.
func Build(t *template.Template) (*Stack, diag.List) {
	b := &builder{t: t, s: &Stack{Description: t.Description}, types: map[string]string{}, apis: map[string]*API{}}
	for _, r := range t.Resources {
		if r.Active && r.ID != "" {
			b.types[r.ID] = r.Type
		}
	}
	if !t.HasTransform("AWS::Serverless-2016-10-31") {
		for _, r := range t.Resources {
			if strings.HasPrefix(r.Type, "AWS::Serverless::") {
				b.diags.Warnf(r.Pos, r.ID, "Type", "add 'Transform: AWS::Serverless-2016-10-31' at the top of the template", "%s needs the SAM transform; stacklab reads the template as SAM anyway", r.Type)
				break
			}
		}
	}
	for _, r := range t.Resources {
		// An empty logical id (Load reports it) can be neither referred
		// to nor drawn.
		if !r.Active || r.Type == "" || r.ID == "" {
			continue
		}
		res := &Resource{ID: r.ID, Type: r.Type, Kind: KindOf(r.Type), DependsOn: r.DependsOn, Pos: r.Pos}
		res.Runs = res.Kind != KindOther
		if r.Properties != nil {
			res.Properties = plainMap(r.Properties)
		}
		b.s.Resources = append(b.s.Resources, res)
		b.resource(r, res)
	}
	b.attachInvokeConfigs()
	b.checkTopicRefs()
	for _, api := range b.apis {
		if api.Implicit {
			b.s.APIs = append(b.s.APIs, api)
		}
	}
	slices.SortFunc(b.s.APIs, func(a, c *API) int { return strings.Compare(a.ID, c.ID) })
	b.checkRoutes()
	if len(t.Outputs) > 0 {
		b.s.Outputs = map[string]any{}
		for _, o := range t.Outputs {
			b.s.Outputs[o.Name] = plain(o.Value)
		}
	}
	b.s.Graph = b.graph()
	b.diags.Sort()
	return b.s, b.diags
}

func (b *builder) resource(r *template.Resource, res *Resource) {
	c := &checker{diags: &b.diags, res: r.ID}
	p := r.Properties
	if p == nil {
		p = &template.Value{Kind: template.Map, Pos: r.Pos}
	}
	switch r.Type {
	case "AWS::Serverless::Function":
		b.s.Functions = append(b.s.Functions, b.samFunction(c, r, p))
	case "AWS::Lambda::Function":
		b.s.Functions = append(b.s.Functions, b.lambdaFunction(c, r, p))
	case "AWS::S3::Bucket":
		b.s.Buckets = append(b.s.Buckets, b.bucket(c, r, p))
	case "AWS::SQS::Queue":
		b.s.Queues = append(b.s.Queues, b.queue(c, r, p))
	case "AWS::SNS::Topic":
		b.s.Topics = append(b.s.Topics, b.topic(c, r, p))
	case "AWS::SNS::Subscription":
		b.subscription(c, r, p)
	case "AWS::DynamoDB::Table":
		b.s.Tables = append(b.s.Tables, b.table(c, r, p))
	case "AWS::Serverless::SimpleTable":
		b.s.Tables = append(b.s.Tables, b.simpleTable(c, r, p))
	case "AWS::Serverless::Api", "AWS::Serverless::HttpApi":
		b.s.APIs = append(b.s.APIs, b.api(c, r, p))
	case "AWS::Events::Rule":
		b.s.Rules = append(b.s.Rules, b.rule(c, r, p))
	case "AWS::Events::EventBus":
		name, _ := c.str(p.Get("Name"), "Name")
		if name == "" {
			name = r.ID
		}
		b.s.EventBuses = append(b.s.EventBuses, &EventBus{ID: r.ID, Name: name})
	case "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine":
		b.s.StateMachines = append(b.s.StateMachines, b.stateMachine(c, r, p))
	case "AWS::Lambda::EventSourceMapping":
		b.s.Mappings = append(b.s.Mappings, b.eventSourceMapping(c, r, p))
	case "AWS::Lambda::EventInvokeConfig":
		res.Runs = true
		b.invokeConfigResource(c, r, p)
	case "AWS::Kinesis::Stream":
		s := &Stream{ID: r.ID, ShardCount: 1}
		s.Name, _ = c.str(p.Get("Name"), "Name")
		if n, ok := c.integer(p.Get("ShardCount"), "ShardCount", 1, 100000); ok {
			s.ShardCount = n
		}
		b.s.Streams = append(b.s.Streams, s)
	case "AWS::Serverless::Application":
		b.application(c, r, p)
		b.diags.Warnf(r.Pos, r.ID, "", "deploy the nested application's own template with stacklab", "%s is accepted, not run", r.Type)
	case "AWS::Serverless::Connector":
		b.connector(c, r, p)
		b.diags.Warnf(r.Pos, r.ID, "", "nothing to do; stacklab draws the access it grants but does not enforce permissions yet", "%s is accepted, not run", r.Type)
	default:
		if r.Properties == nil && r.Type != "" && strings.HasPrefix(r.Type, "AWS::Serverless::") {
			return
		}
		b.diags.Warnf(r.Pos, r.ID, "", "nothing to do if it is not needed locally; stacklab keeps it in plans and diagrams", "%s is accepted, not run", r.Type)
	}
}

// isType reports whether t refers to a resource of this template of one of
// the types.
func (b *builder) isType(t Target, types ...string) bool {
	return t.Ref != "" && slices.Contains(types, b.types[t.Ref])
}

func (b *builder) refType(t Target) string { return b.types[t.Ref] }

func (b *builder) isParam(name string) bool {
	for _, p := range b.t.Parameters {
		if p.Name == name {
			return true
		}
	}
	return false
}

// refTo checks that v refers to a resource of one of the types in this
// template (as SAM requires for some event sources).
func (b *builder) refTo(c *checker, v *template.Value, path string, types ...string) Target {
	t := target(v)
	if v == nil {
		return t
	}
	if t.Ref == "" || !slices.Contains(types, b.types[t.Ref]) {
		if t.Ref != "" && b.types[t.Ref] == "" {
			return t // generated by SAM, or checked by the template loader
		}
		c.errorf(v, path, fmt.Sprintf("write %s: !Ref LogicalId of a %s in this template", last(path), strings.Join(types, " or ")), "%s must be a reference to a %s resource in the same template", last(path), strings.Join(types, " or "))
	}
	return t
}
