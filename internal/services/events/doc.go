// Package events runs EventBridge event buses and the rules on them: an
// event put on a bus (PutEvents) is stored in JetStream before Put answers,
// then matched against the enabled rules of its bus and delivered to their
// targets.
//
// Event patterns (see Compile) follow the content filtering EventBridge
// documents: exact values, lists as OR, nested objects, prefix, suffix,
// equals-ignore-case, anything-but, numeric ranges, exists, wildcard, cidr
// and $or, matched against array-valued event fields element by element.
//
// Every bus shares one stream (STACKLAB_EVENTS, subjects
// stacklab.events.<bus>) and one durable consumer ("rules"). A stored event
// is acknowledged only once every target of every matching rule has taken
// it: a function as an asynchronous (Event) invocation, itself stored in
// JetStream before it returns, a queue through a Sender and a topic through
// a Publisher. A failed delivery is retried with backoff; a crash between
// deliveries delivers again (at-least-once, as EventBridge).
//
// Targets get the event envelope EventBridge delivers ({"version": "0",
// "id", "detail-type", "source", "account", "time", "region", "resources",
// "detail"}), or what the target's Input, InputPath or InputTransformer
// makes of it.
//
// The package knows buses, rules, events and the interfaces it delivers
// through; it does not know templates, the runtime or the control API.
package events
