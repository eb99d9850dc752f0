package stack

import (
	"strconv"
	"strings"
)

// graphBuilder collects nodes and edges without duplicates.
type graphBuilder struct {
	g     Graph
	nodes map[string]bool
	edges map[[2]string]int // (from, to) -> index of the first edge
}

func (gb *graphBuilder) node(n Node) {
	if gb.nodes[n.ID] {
		return
	}
	gb.nodes[n.ID] = true
	gb.g.Nodes = append(gb.g.Nodes, n)
}

// edge adds from -> to unless either end is not a node. A second edge of
// the same kind between the same pair merges its label into the first.
func (gb *graphBuilder) edge(from, to string, kind EdgeKind, label string) {
	if from == "" || to == "" || from == to || !gb.nodes[from] || !gb.nodes[to] {
		return
	}
	k := [2]string{from, to}
	if i, ok := gb.edges[k]; ok {
		e := &gb.g.Edges[i]
		if e.Kind == kind && label != "" && !strings.Contains(e.Label, label) {
			if e.Label != "" {
				e.Label += ", "
			}
			e.Label += label
		}
		return
	}
	gb.edges[k] = len(gb.g.Edges)
	gb.g.Edges = append(gb.g.Edges, Edge{From: from, To: to, Kind: kind, Label: label})
}

func (gb *graphBuilder) connected(a, b string) bool {
	_, ab := gb.edges[[2]string{a, b}]
	_, ba := gb.edges[[2]string{b, a}]
	return ab || ba
}

// graph draws the stack: trigger edges first (what invokes what), then data
// edges (what reads and writes what), then dependencies between resources
// that are not already connected.
func (b *builder) graph() Graph {
	gb := &graphBuilder{nodes: map[string]bool{}, edges: map[[2]string]int{}}
	for _, r := range b.s.Resources {
		gb.node(Node{ID: r.ID, Type: r.Type, Kind: r.Kind, Label: r.ID, Runs: r.Runs})
	}
	for _, api := range b.s.APIs {
		if api.Implicit {
			typ := "AWS::Serverless::Api"
			if api.HTTP {
				typ = "AWS::Serverless::HttpApi"
			}
			gb.node(Node{ID: api.ID, Type: typ, Kind: KindAPI, Label: api.ID, Runs: true})
		}
	}
	b.attachSubscriptions()

	for _, f := range b.s.Functions {
		b.eventEdges(gb, f.ID, f.Events)
		if d := f.DeadLetterQueue; d != nil {
			gb.edge(f.ID, d.Target.Ref, EdgeTrigger, "dead letters")
		}
		if e := f.EventInvokeConfig; e != nil {
			if e.OnSuccess != nil {
				gb.edge(f.ID, e.OnSuccess.Target.Ref, EdgeTrigger, "on success")
			}
			if e.OnFailure != nil {
				gb.edge(f.ID, e.OnFailure.Target.Ref, EdgeTrigger, "on failure")
			}
		}
	}
	refs := make(map[string][]string, len(b.t.Resources))
	for _, r := range b.t.Resources {
		if _, dup := refs[r.ID]; !dup {
			refs[r.ID] = r.Refs
		}
	}
	for _, sm := range b.s.StateMachines {
		b.eventEdges(gb, sm.ID, sm.Events)
		if smRefs, ok := refs[sm.ID]; ok {
			for _, ref := range smRefs {
				if b.types[ref] == "AWS::Serverless::Function" || b.types[ref] == "AWS::Lambda::Function" {
					gb.edge(sm.ID, ref, EdgeTrigger, "task")
				}
			}
		}
	}
	for _, bk := range b.s.Buckets {
		for _, n := range bk.Notifications {
			gb.edge(bk.ID, n.Target.Ref, EdgeTrigger, n.Event)
		}
	}
	for _, q := range b.s.Queues {
		if q.DeadLetter.Ref != "" {
			gb.edge(q.ID, q.DeadLetter.Ref, EdgeTrigger, "dead letters after "+strconv.Itoa(q.MaxReceiveCount)+" receives")
		}
	}
	for _, t := range b.s.Topics {
		for _, s := range t.Subscriptions {
			label := s.Protocol
			if s.FilterPolicy != nil {
				label += " (filtered)"
			}
			if s.ID != "" {
				gb.edge(t.ID, s.ID, EdgeTrigger, "subscription")
				gb.edge(s.ID, s.Endpoint.Ref, EdgeTrigger, label)
				continue
			}
			gb.edge(t.ID, s.Endpoint.Ref, EdgeTrigger, label)
		}
	}
	for _, r := range b.s.Rules {
		gb.edge(r.EventBus.Ref, r.ID, EdgeTrigger, "events")
		label := r.Schedule
		if label == "" {
			label = "event pattern"
		}
		for _, t := range r.Targets {
			gb.edge(r.ID, t.Ref, EdgeTrigger, label)
		}
	}
	for _, m := range b.s.Mappings {
		gb.edge(m.Source.Ref, m.ID, EdgeTrigger, "records")
		gb.edge(m.ID, m.Function.Ref, EdgeTrigger, "batch")
	}

	// Data edges: access granted by policies, then resources named in the
	// environment.
	byName := b.names()
	policyEdges := func(from string, policies []Policy) {
		for _, p := range policies {
			for _, t := range p.Resources {
				to := t.Ref
				if to == "" {
					to = byName[t.Literal]
				}
				gb.edge(from, to, EdgeData, p.Access)
			}
		}
	}
	for _, f := range b.s.Functions {
		policyEdges(f.ID, f.Policies)
	}
	for _, sm := range b.s.StateMachines {
		policyEdges(sm.ID, sm.Policies)
	}
	for _, r := range b.t.Resources {
		if !r.Active || r.Type != "AWS::Serverless::Function" && r.Type != "AWS::Lambda::Function" || r.Properties == nil {
			continue
		}
		vars := r.Properties.Get("Environment").Get("Variables")
		if vars == nil {
			continue
		}
		for _, f := range vars.Fields {
			if t := target(f.Value); t.Ref != "" && !gb.connected(r.ID, t.Ref) {
				gb.edge(r.ID, t.Ref, EdgeData, "env "+f.Key)
			}
		}
	}

	// Dependencies: DependsOn and references not drawn above.
	for _, r := range b.t.Resources {
		if !r.Active {
			continue
		}
		for _, d := range r.DependsOn {
			if !gb.connected(r.ID, d) {
				gb.edge(r.ID, d, EdgeDependency, "depends on")
			}
		}
		for _, d := range r.Refs {
			if !gb.connected(r.ID, d) {
				gb.edge(r.ID, d, EdgeDependency, "")
			}
		}
	}
	if gb.g.Nodes == nil {
		gb.g.Nodes = []Node{}
	}
	if gb.g.Edges == nil {
		gb.g.Edges = []Edge{}
	}
	return gb.g
}

// eventEdges draws the events of a function or state machine, adding nodes
// for the schedules and rules SAM creates for them.
func (b *builder) eventEdges(gb *graphBuilder, owner string, events []*Event) {
	for _, e := range events {
		switch e.Type {
		case EventS3:
			gb.edge(e.Source.Ref, owner, EdgeTrigger, strings.Join(e.S3Events, ", "))
		case EventSQS:
			gb.edge(e.Source.Ref, owner, EdgeTrigger, "sqs batch")
		case EventSNS:
			label := "sns"
			if e.FilterPolicy != nil {
				label = "sns (filtered)"
			}
			gb.edge(e.Source.Ref, owner, EdgeTrigger, label)
		case EventDynamoDB:
			gb.edge(e.Source.Ref, owner, EdgeTrigger, "stream records")
		case EventKinesis:
			gb.edge(e.Source.Ref, owner, EdgeTrigger, "kinesis records")
		case EventAPI, EventHTTPAPI:
			gb.edge(e.Source.Ref, owner, EdgeTrigger, e.Method+" "+e.Path)
		case EventSchedule, EventScheduleV2:
			id := owner + e.ID
			typ := "AWS::Events::Rule"
			if e.Type == EventScheduleV2 {
				typ = "AWS::Scheduler::Schedule"
			}
			label := e.Schedule
			if !e.Enabled {
				label += " (disabled)"
			}
			gb.node(Node{ID: id, Type: typ, Kind: KindSchedule, Label: label, Runs: true})
			gb.edge(id, owner, EdgeTrigger, "scheduled event")
		case EventEventBridgeRule, EventCloudWatchEvent:
			id := owner + e.ID
			gb.node(Node{ID: id, Type: "AWS::Events::Rule", Kind: KindRule, Label: id, Runs: true})
			gb.edge(e.Source.Ref, id, EdgeTrigger, "events")
			gb.edge(id, owner, EdgeTrigger, "event pattern")
		}
	}
}

// attachSubscriptions adds AWS::SNS::Subscription resources to their topics.
func (b *builder) attachSubscriptions() {
	for _, ps := range b.pendingSubs {
		for _, t := range b.s.Topics {
			if namesTopic(t, ps.topic) {
				t.Subscriptions = append(t.Subscriptions, ps.sub)
			}
		}
	}
	b.pendingSubs = nil
}

// names maps the physical names the template gives resources (BucketName,
// QueueName, TableName, ...) to their logical ids, so that a policy naming a
// bucket by a string (as SAM's samples do, to avoid a circular dependency)
// is still drawn as access to that bucket.
func (b *builder) names() map[string]string {
	m := map[string]string{}
	add := func(name, id string) {
		if name != "" && isConstName(name) {
			m[name] = id
		}
	}
	for _, x := range b.s.Buckets {
		add(x.Name, x.ID)
	}
	for _, x := range b.s.Queues {
		add(x.Name, x.ID)
	}
	for _, x := range b.s.Topics {
		add(x.Name, x.ID)
	}
	for _, x := range b.s.Tables {
		add(x.Name, x.ID)
	}
	for _, x := range b.s.Streams {
		add(x.Name, x.ID)
	}
	for _, x := range b.s.StateMachines {
		add(x.Name, x.ID)
	}
	for _, x := range b.s.EventBuses {
		if x.Name != x.ID {
			add(x.Name, x.ID)
		}
	}
	for _, x := range b.s.Functions {
		if x.Name != x.ID {
			add(x.Name, x.ID)
		}
	}
	return m
}
