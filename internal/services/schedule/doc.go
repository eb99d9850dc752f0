// Package schedule runs EventBridge schedules: it parses AWS schedule
// expressions (rate, cron and at) and fires each tick of a schedule as an
// asynchronous (Event) invocation of a function, or hands it to the events
// service (Options.Rules), which delivers a scheduled rule's tick to all
// its targets: functions, queues and topics.
//
// Expressions are evaluated in UTC, as EventBridge rules are. Rate
// schedules tick on a grid aligned to the Unix epoch, so every process
// computes the same ticks. When several processes share one NATS, each
// claims a tick with a create in the STACKLAB_SCHEDULES key-value bucket
// (key "<rule>.<function>.<tick unix seconds>", or "<rule>.<tick unix
// seconds>" for a rule's job, one claim for all its targets): only the
// process whose create succeeds fires it. Ticks missed while no process
// ran are not made up.
//
// Functions get the EventBridge "Scheduled Event" shape, or the rule's
// Input JSON when it has one.
//
// The package knows expressions, jobs, an invoke.Invoker, a Rules and a
// JetStream key-value bucket; it does not know templates, stacks or the runtime.
package schedule
