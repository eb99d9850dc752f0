package store

// schemaVersion is stored in PRAGMA user_version; raise it with every change
// of schema, since a store at this version is not written again (migrate).
// Version 2 keeps an
// invocation's own spans in its record's row (see all_spans); version 3
// also the span of the call it served (entry_*); version 4 marks the
// records that are a whole trace (solo, see solo.go).
const schemaVersion = 4

// schema creates the tables and the indexes the queries use. Times are Unix
// nanoseconds; durations are nanoseconds.
const schema = `
CREATE TABLE IF NOT EXISTS spans (
	trace_id       TEXT    NOT NULL,
	span_id        TEXT    NOT NULL,
	parent_id      TEXT    NOT NULL DEFAULT '',
	name           TEXT    NOT NULL,
	kind           TEXT    NOT NULL,
	resource       TEXT    NOT NULL DEFAULT '',
	function       TEXT    NOT NULL DEFAULT '',
	start_ns       INTEGER NOT NULL,
	end_ns         INTEGER NOT NULL,
	status         TEXT    NOT NULL,
	status_message TEXT    NOT NULL DEFAULT '',
	attributes     TEXT    NOT NULL DEFAULT '{}',
	links          TEXT    NOT NULL DEFAULT '[]',
	events         TEXT    NOT NULL DEFAULT '[]',
	UNIQUE (trace_id, span_id)
);
CREATE INDEX IF NOT EXISTS spans_start    ON spans (start_ns);
-- Every index costs each span a B-tree insert; no query reads spans by
-- function or resource alone (a function filter goes through the trace id),
-- so stores made before are rid of those two.
DROP INDEX IF EXISTS spans_function;
DROP INDEX IF EXISTS spans_resource;

-- One row per trace, kept up to date as its spans arrive, so listing recent
-- traces reads an index instead of grouping every span.
CREATE TABLE IF NOT EXISTS traces (
	trace_id      TEXT    NOT NULL PRIMARY KEY,
	start_ns      INTEGER NOT NULL,
	end_ns        INTEGER NOT NULL,
	spans         INTEGER NOT NULL,
	error         INTEGER NOT NULL,
	root_rank     INTEGER NOT NULL,
	root_start_ns INTEGER NOT NULL,
	root_name     TEXT    NOT NULL,
	root_resource TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_start ON traces (start_ns);

CREATE TABLE IF NOT EXISTS invocations (
	function       TEXT    NOT NULL,
	version        TEXT    NOT NULL DEFAULT '',
	deployment     TEXT    NOT NULL DEFAULT '',
	request_id     TEXT    NOT NULL,
	trace_id       TEXT    NOT NULL DEFAULT '',
	trigger        TEXT    NOT NULL DEFAULT '',
	start_ns       INTEGER NOT NULL,
	queue_wait_ns  INTEGER NOT NULL DEFAULT 0,
	init_ns        INTEGER NOT NULL DEFAULT 0,
	duration_ns    INTEGER NOT NULL DEFAULT 0,
	billed_ns      INTEGER NOT NULL DEFAULT 0,
	memory_mb      INTEGER NOT NULL DEFAULT 0,
	max_memory_mb  INTEGER NOT NULL DEFAULT 0,
	cold           INTEGER NOT NULL DEFAULT 0,
	outcome        TEXT    NOT NULL,
	retries        INTEGER NOT NULL DEFAULT 0,
	gb_seconds     REAL    NOT NULL DEFAULT 0,
	cost           REAL    NOT NULL DEFAULT 0,
	-- Every column that may be '' has a DEFAULT: the writer binds NULL
	-- for '' and INSERT OR REPLACE stores the default (orDefault).
	-- The invocation's own spans (model.Invocation.Spans), '' when the
	-- record has none: written with the record, one row instead of three.
	span_id        TEXT    NOT NULL DEFAULT '',
	parent_id      TEXT    NOT NULL DEFAULT '',
	run_id         TEXT    NOT NULL DEFAULT '',
	resource       TEXT    NOT NULL DEFAULT '',
	instance       TEXT    NOT NULL DEFAULT '',
	end_ns         INTEGER NOT NULL DEFAULT 0,
	run_start_ns   INTEGER NOT NULL DEFAULT 0,
	run_end_ns     INTEGER NOT NULL DEFAULT 0,
	status_message TEXT    NOT NULL DEFAULT '',
	attributes     TEXT    NOT NULL DEFAULT '{}',
	events         TEXT    NOT NULL DEFAULT '[]',
	-- The span of the call the invocation served (the gateway's request),
	-- when it was written with the record (AddInvocationWithEntry): its id is
	-- parent_id; '' entry_name when there is none.
	entry_parent_id      TEXT    NOT NULL DEFAULT '',
	entry_name           TEXT    NOT NULL DEFAULT '',
	entry_kind           TEXT    NOT NULL DEFAULT '',
	entry_resource       TEXT    NOT NULL DEFAULT '',
	entry_function       TEXT    NOT NULL DEFAULT '',
	entry_start_ns       INTEGER NOT NULL DEFAULT 0,
	entry_end_ns         INTEGER NOT NULL DEFAULT 0,
	entry_status         TEXT    NOT NULL DEFAULT '',
	entry_status_message TEXT    NOT NULL DEFAULT '',
	entry_attributes     TEXT    NOT NULL DEFAULT '{}',
	-- 1: the record was written as a whole trace, with no traces row
	-- (solo.go); its trace may have got one since.
	solo                 INTEGER NOT NULL DEFAULT 0,
	UNIQUE (request_id, retries)
);
CREATE INDEX IF NOT EXISTS invocations_start    ON invocations (start_ns);
CREATE INDEX IF NOT EXISTS invocations_function ON invocations (function, start_ns);
CREATE INDEX IF NOT EXISTS invocations_trace    ON invocations (trace_id) WHERE trace_id <> '';
-- ListTraces reads the traces that are one record here, newest first.
CREATE INDEX IF NOT EXISTS invocations_solo     ON invocations (start_ns) WHERE solo = 1;

-- Every span: those written as spans, and those of invocation records
-- (model.Invocation.Spans says what they are; TestInvocationSpans holds the
-- two to the same). Queries read spans here. "trace_id <> ''" lets a
-- lookup by trace use the partial index invocations_trace.
CREATE VIEW IF NOT EXISTS all_spans AS
SELECT trace_id, span_id, parent_id, name, kind, resource, function, start_ns, end_ns,
	status, status_message, attributes, links, events
FROM spans
UNION ALL
SELECT trace_id, span_id, parent_id, function, 'server', resource, function, start_ns, end_ns,
	CASE outcome WHEN 'ok' THEN 'ok' ELSE 'error' END,
	CASE outcome WHEN 'ok' THEN '' ELSE status_message END,
	json_patch(json_patch(json_object(
		'stacklab.resource', resource, 'faas.name', function, 'faas.version', version,
		'faas.trigger', trigger, 'faas.invocation_id', request_id, 'faas.max_memory', memory_mb * 1048576),
		CASE
			WHEN instance = '' AND outcome = 'ok' THEN '{}'
			WHEN instance = '' THEN json_object('error.type', outcome)
			WHEN outcome = 'ok' THEN json_object('faas.coldstart', json(CASE cold WHEN 0 THEN 'false' ELSE 'true' END), 'faas.instance', instance)
			ELSE json_object('faas.coldstart', json(CASE cold WHEN 0 THEN 'false' ELSE 'true' END), 'faas.instance', instance, 'error.type', outcome)
		END), attributes),
	'[]', events
FROM invocations WHERE trace_id <> '' AND span_id <> ''
UNION ALL
SELECT trace_id, run_id, span_id, 'run', 'internal', resource, '', run_start_ns, run_end_ns,
	CASE outcome WHEN 'ok' THEN 'unset' ELSE 'error' END,
	CASE outcome WHEN 'ok' THEN '' ELSE status_message END,
	CASE outcome WHEN 'ok' THEN json_object('stacklab.resource', resource)
		ELSE json_object('stacklab.resource', resource, 'error.type', outcome) END,
	'[]', '[]'
FROM invocations WHERE trace_id <> '' AND run_id <> ''
UNION ALL
SELECT trace_id, parent_id, entry_parent_id, entry_name, entry_kind, entry_resource, entry_function, entry_start_ns, entry_end_ns,
	entry_status, entry_status_message, entry_attributes, '[]', '[]'
FROM invocations WHERE trace_id <> '' AND entry_name <> '';
`

// migrations bring a store written by an older stacklab up to
// schemaVersion: migrations[v] goes from version v to v+1, before schema
// runs (which creates what is missing).
var migrations = map[int]string{
	1: `
ALTER TABLE invocations ADD COLUMN span_id        TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN parent_id      TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN run_id         TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN resource       TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN instance       TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN end_ns         INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invocations ADD COLUMN run_start_ns   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invocations ADD COLUMN run_end_ns     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invocations ADD COLUMN status_message TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN attributes     TEXT    NOT NULL DEFAULT '{}';
ALTER TABLE invocations ADD COLUMN events         TEXT    NOT NULL DEFAULT '[]';
`,
	2: `
DROP VIEW IF EXISTS all_spans; -- made again by schema, with the entry spans
ALTER TABLE invocations ADD COLUMN entry_parent_id      TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN entry_name           TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN entry_kind           TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN entry_resource       TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN entry_function       TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN entry_start_ns       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invocations ADD COLUMN entry_end_ns         INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invocations ADD COLUMN entry_status         TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN entry_status_message TEXT    NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN entry_attributes     TEXT    NOT NULL DEFAULT '{}';
`,
	3: `
ALTER TABLE invocations ADD COLUMN solo INTEGER NOT NULL DEFAULT 0;
`,
}
