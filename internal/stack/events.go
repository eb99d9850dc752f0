package stack

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stacklab/stacklab/internal/template"
)

// events reads the Events of a SAM function or state machine.
func (b *builder) events(c *checker, owner string, v *template.Value, what string) []*Event {
	if v == nil || v.Kind == template.Null || !c.mapping(v, "Events") {
		return nil
	}
	var out []*Event
	all := slices.Concat(runEvents, acceptedEvents)
	names := make([]string, len(all))
	for i, e := range all {
		names[i] = string(e)
	}
	for _, f := range v.Fields {
		path := "Events." + f.Key
		ev := f.Value
		if !c.mapping(ev, path) {
			continue
		}
		tv := c.require(ev, "Type", path, "add Type, one of "+strings.Join(names, ", "))
		typ, ok := c.str(tv, path+".Type")
		if !ok {
			continue
		}
		e := &Event{ID: f.Key, Type: EventType(typ), Enabled: true}
		switch {
		case slices.Contains(runEvents, e.Type):
			e.Runs = true
		case slices.Contains(acceptedEvents, e.Type):
			c.warnf(tv, path+".Type", "use a bucket, queue, topic, table, stream, schedule, rule or API event to run it locally", "event type %s is accepted, not run", typ)
		default:
			c.errorf(tv, path+".Type", "use one of "+strings.Join(names, ", ")+suggest(typ, names), "unknown event type %q", typ)
			continue
		}
		p := ev.Get("Properties")
		if p == nil {
			if e.Type != EventHTTPAPI && e.Runs {
				c.errorf(ev, path, "add Properties for the "+typ+" event", "missing required property Properties")
				continue
			}
			p = &template.Value{Kind: template.Map, Pos: ev.Pos}
		}
		if !c.mapping(p, path+".Properties") {
			continue
		}
		e.Properties = plainMap(p)
		if e.Runs {
			b.eventProps(c, owner, e, p, path+".Properties", what)
		}
		out = append(out, e)
	}
	return out
}

func (b *builder) eventProps(c *checker, owner string, e *Event, p *template.Value, path, what string) {
	req := func(key, fix string) *template.Value { return c.require(p, key, path, fix) }
	batch := func(maxBatch int) {
		if n, ok := c.integer(p.Get("BatchSize"), path+".BatchSize", 1, maxBatch); ok {
			e.BatchSize = n
		}
		if n, ok := c.integer(p.Get("MaximumBatchingWindowInSeconds"), path+".MaximumBatchingWindowInSeconds", 0, 300); ok {
			e.MaxBatchingWindow = n
		}
		e.FunctionResponseTypes = c.strs(p.Get("FunctionResponseTypes"), path+".FunctionResponseTypes")
		if en, ok := c.boolean(p.Get("Enabled"), path+".Enabled"); ok {
			e.Enabled = en
		}
	}
	switch e.Type {
	case EventS3:
		e.Source = b.refTo(c, req("Bucket", "add Bucket: !Ref MyBucket"), path+".Bucket", "AWS::S3::Bucket")
		e.S3Events = c.strs(req("Events", "add Events: s3:ObjectCreated:*"), path+".Events")
		for i, name := range e.S3Events {
			if !strings.HasPrefix(name, "s3:") {
				c.errorf(p.Get("Events"), fmt.Sprintf("%s.Events[%d]", path, i), "use an S3 event name such as s3:ObjectCreated:* or s3:ObjectRemoved:*", "%q is not an S3 event name", name)
			}
		}
		if fl := p.Get("Filter"); c.mapping(fl, path+".Filter") {
			e.Prefix, e.Suffix = b.keyFilter(c, fl, path+".Filter")
		}
	case EventSQS:
		e.Source = target(req("Queue", "add Queue: !GetAtt MyQueue.Arn"))
		batch(10000)
		e.MaximumConcurrency = scalingConfig(c, p.Get("ScalingConfig"), path+".ScalingConfig")
	case EventSNS:
		tv := req("Topic", "add Topic: !Ref MyTopic")
		e.Source = target(tv)
		b.topicRefs = append(b.topicRefs, topicRef{c: c, v: tv, path: path + ".Topic"})
		if fp := p.Get("FilterPolicy"); c.mapping(fp, path+".FilterPolicy") {
			e.FilterPolicy = plain(fp)
		}
	case EventDynamoDB, EventKinesis:
		e.Source = target(req("Stream", "add Stream: the stream ARN, e.g. !GetAtt MyTable.StreamArn"))
		if e.Type == EventKinesis {
			req("StartingPosition", "add StartingPosition: LATEST or TRIM_HORIZON")
		}
		if sp, ok := c.oneOf(p.Get("StartingPosition"), path+".StartingPosition", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"); ok {
			e.StartingPosition = sp
		}
		batch(10000)
	case EventAPI, EventHTTPAPI:
		b.apiEvent(c, owner, e, p, path)
	case EventSchedule, EventScheduleV2:
		key := "Schedule"
		if e.Type == EventScheduleV2 {
			key = "ScheduleExpression"
		}
		if s, ok := c.str(req(key, "add "+key+": rate(5 minutes)"), path+"."+key); ok {
			e.Schedule = s
			checkScheduleKind(c, p.Get(key), path+"."+key, s, e.Type == EventScheduleV2)
		}
		b.scheduleState(c, e, p, path)
		b.eventDLQ(c, p, path)
		e.Input = plain(p.Get("Input"))
	case EventEventBridgeRule, EventCloudWatchEvent:
		pat := p.Get("Pattern")
		if pat == nil && e.Type == EventEventBridgeRule {
			req("Pattern", "add Pattern: {source: [...]}")
		}
		if c.mapping(pat, path+".Pattern") {
			e.Pattern = plain(pat)
		}
		if bus := p.Get("EventBusName"); bus != nil {
			e.Source = target(bus)
		}
		e.Input = plain(p.Get("Input"))
		b.scheduleState(c, e, p, path)
		b.eventDLQ(c, p, path)
	}
	_ = what
}

// checkScheduleKind checks the kind of a schedule expression (its full
// syntax is checked by the scheduler, at validate and deploy time).
// EventBridge rules (AWS::Events::Rule, a SAM Schedule event) take rate()
// and cron() only; EventBridge Scheduler schedules (a ScheduleV2 event,
// AWS::Scheduler::Schedule) take at() as well.
func checkScheduleKind(c *checker, v *template.Value, path, s string, scheduler bool) {
	kind, _, _ := strings.Cut(strings.TrimSpace(s), "(")
	switch {
	case kind == "rate" || kind == "cron":
	case kind == "at" && scheduler:
	case kind == "at" && strings.HasPrefix(path, "Events."):
		c.errorf(v, path, "write rate(...) or cron(...), or make it a ScheduleV2 event (EventBridge Scheduler), which takes at(...)", "%q: a Schedule event makes an EventBridge rule, which takes rate() and cron() expressions, not at()", s)
	case kind == "at":
		c.errorf(v, path, "write rate(...) or cron(...); for a one-time run, use a ScheduleV2 event of the function (EventBridge Scheduler), which takes at(...)", "%q: an EventBridge rule takes rate() and cron() expressions, not at()", s)
	case scheduler:
		c.errorf(v, path, "write rate(5 minutes), cron(0 12 * * ? *) or at(2026-01-01T00:00:00)", "%q is not a schedule expression", s)
	default:
		c.errorf(v, path, "write rate(5 minutes) or cron(0 12 * * ? *)", "%q is not a schedule expression", s)
	}
}

// scalingConfig reads an SQS event source's ScalingConfig: its
// MaximumConcurrency, 2 to 1000 as in Lambda, or 0 when not set.
func scalingConfig(c *checker, v *template.Value, path string) int {
	if !c.mapping(v, path) {
		return 0
	}
	n, _ := c.integer(v.Get("MaximumConcurrency"), path+".MaximumConcurrency", 2, 1000)
	return n
}

func (b *builder) scheduleState(c *checker, e *Event, p *template.Value, path string) {
	en, st := p.Get("Enabled"), p.Get("State")
	if en != nil && st != nil {
		c.errorf(st, path+".State", "keep either Enabled or State", "State and Enabled cannot both be given")
		return
	}
	if v, ok := c.boolean(en, path+".Enabled"); ok {
		e.Enabled = v
	}
	if s, ok := c.str(st, path+".State"); ok {
		switch strings.ToUpper(s) {
		case "ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
		case "DISABLED":
			e.Enabled = false
		default:
			c.errorf(st, path+".State", "use ENABLED or DISABLED", "State is %q, not ENABLED or DISABLED", s)
		}
	}
}

// keyFilter reads an S3 notification filter {S3Key: {Rules: [{Name, Value}]}}.
func (b *builder) keyFilter(c *checker, fl *template.Value, path string) (prefix, suffix string) {
	key := fl.Get("S3Key")
	if !c.mapping(key, path+".S3Key") {
		return "", ""
	}
	for i, r := range c.list(key.Get("Rules"), path+".S3Key.Rules", false) {
		rp := fmt.Sprintf("%s.S3Key.Rules[%d]", path, i)
		if !c.mapping(r, rp) {
			continue
		}
		name, _ := c.str(c.require(r, "Name", rp, "add Name: prefix or Name: suffix"), rp+".Name")
		val, _ := c.str(c.require(r, "Value", rp, "add the Value to match"), rp+".Value")
		switch strings.ToLower(name) {
		case "prefix":
			prefix = val
		case "suffix":
			suffix = val
		case "":
		default:
			c.warnf(r.Get("Name"), rp+".Name", "use prefix or suffix", "filter rule name %q is not prefix or suffix; the rule is ignored", name)
		}
	}
	return prefix, suffix
}

// apiEvent reads an Api or HttpApi event and adds its route to the API.
func (b *builder) apiEvent(c *checker, owner string, e *Event, p *template.Value, path string) {
	httpAPI := e.Type == EventHTTPAPI
	key, apiType, implicit := "RestApiId", "AWS::Serverless::Api", "ServerlessRestApi"
	if httpAPI {
		key, apiType, implicit = "ApiId", "AWS::Serverless::HttpApi", "ServerlessHttpApi"
	}
	if httpAPI && p.Get("Path") == nil && p.Get("Method") == nil {
		e.Path, e.Method = "$default", "ANY"
	} else {
		pv := c.require(p, "Path", path, "add Path: /items")
		mv := c.require(p, "Method", path, "add Method: get (or any)")
		e.Path, _ = c.str(pv, path+".Path")
		m, _ := c.str(mv, path+".Method")
		e.Method = strings.ToUpper(m)
		if e.Path != "" && !strings.HasPrefix(e.Path, "/") {
			c.errorf(pv, path+".Path", "start the path with /", "path %q does not start with /", e.Path)
		}
		if e.Method != "" && !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD"}, e.Method) {
			c.errorf(mv, path+".Method", "use get, post, put, patch, delete, head, options or any", "method %q is not an HTTP method", m)
		}
	}
	apiID := implicit
	if av := p.Get(key); av != nil {
		t := target(av)
		if t.Ref == "" && b.types[t.Literal] != "" {
			t = Target{Ref: t.Literal} // SAM also takes the bare logical id
		}
		switch {
		case t.Ref != "" && (b.types[t.Ref] == apiType || httpAPI && b.types[t.Ref] == "AWS::Serverless::Api"):
			apiID = t.Ref
		case t.Ref != "" && b.types[t.Ref] == "" && b.isParam(t.Ref):
			c.errorf(av, path+"."+key, "write "+key+": !Ref MyApi, naming an "+apiType+" of this template", "%s refers to parameter %s; it must refer to an API of this template", key, t.Ref)
			return
		case t.Ref != "" && b.types[t.Ref] == "":
			return // a generated resource: not known here
		case t.Ref == "" && isFn(av):
			c.errorf(av, path+"."+key, "write "+key+": !Ref MyApi, naming an "+apiType+" of this template; SAM cannot follow other functions here", "%s should be a Ref to an API of this template, not a computed value", key)
			return
		default:
			c.errorf(av, path+"."+key, "write "+key+": !Ref MyApi, naming an "+apiType+" of this template", "%s must be a reference to an %s resource in the same template", key, apiType)
			return
		}
	}
	e.Source = Target{Ref: apiID}
	api := b.apis[apiID]
	switch {
	case api == nil && (b.types[apiID] == apiType || httpAPI && b.types[apiID] == "AWS::Serverless::Api"):
		// An API declared after the function: its resource fills in the
		// rest when it is built.
		api = &API{ID: apiID}
		b.apis[apiID] = api
	case api == nil && b.types[apiID] != "":
		return // refers to an API of the wrong type; reported above
	case api == nil:
		api = &API{ID: apiID, HTTP: httpAPI, Implicit: true, Stage: "Prod"}
		if httpAPI {
			api.Stage = "$default"
		}
		b.apis[apiID] = api
	}
	if e.Path == "" || e.Method == "" {
		return
	}
	route := Route{Method: e.Method, Path: e.Path, Function: owner, Event: e.ID, Auth: plain(p.Get("Auth"))}
	if auth := p.Get("Auth"); c.mapping(auth, path+".Auth") {
		route.authorizer, _ = c.str(auth.Get("Authorizer"), path+".Auth.Authorizer")
		route.authPos = auth.Pos
		if az := auth.Get("Authorizer"); az != nil {
			route.authPos = az.Pos
		}
	}
	api.Routes = append(api.Routes, route)
}

// checkRoutes reports a method defined twice for one path of an API.
func (b *builder) checkRoutes() {
	byID := make(map[string]*Resource, len(b.s.Resources))
	for _, r := range b.s.Resources {
		if byID[r.ID] == nil {
			byID[r.ID] = r
		}
	}
	for _, api := range b.s.APIs {
		seen := map[string]Route{}
		for _, r := range api.Routes {
			k := r.Method + " " + strings.TrimSuffix(r.Path, "/")
			if prev, dup := seen[k]; dup {
				pos := byID[r.Function].Pos
				b.diags.Errorf(pos, r.Function, "Events."+r.Event, "give each method and path of "+api.ID+" to one event (first: "+prev.Function+"."+prev.Event+")", "API method %s is defined more than once for path %s", strings.ToLower(r.Method), r.Path)
				continue
			}
			seen[k] = r
			b.checkRouteAuth(api, r)
		}
	}
}
