package store

// schemaVersion is stored in PRAGMA user_version.
const schemaVersion = 1

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
	UNIQUE (request_id, retries)
);
CREATE INDEX IF NOT EXISTS invocations_start    ON invocations (start_ns);
CREATE INDEX IF NOT EXISTS invocations_function ON invocations (function, start_ns);
CREATE INDEX IF NOT EXISTS invocations_trace    ON invocations (trace_id) WHERE trace_id <> '';
`
