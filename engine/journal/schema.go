package journal

// SchemaVersion is the version of the tables below, stored in meta.schema. A journal written
// by a newer schema is refused. Version 2 added the margin table (margin.go); a version 1
// journal is upgraded in place when opened (the table is created, nothing else changes).
const SchemaVersion = 2

// The rec column orders the rows of one instance in a session: it is the position of the
// row's record in that instance's stream of records (1, 2, …; 0 for the starting deposits),
// so the stream can be rebuilt across tables. It is per instance, not per session, because
// instances record concurrently: a session-wide position would follow the workers'
// scheduling and differ between two runs of the same events (DESIGN rule 5). Across
// instances, records are ordered by seq (the event that made them), then instance name.
const schema = `
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
	id             INTEGER PRIMARY KEY,
	mode           TEXT NOT NULL,
	config_hash    TEXT NOT NULL,
	config         BLOB NOT NULL,
	seed           TEXT NOT NULL,
	version        TEXT NOT NULL,
	feed           TEXT NOT NULL,  -- JSON: how the feed was configured (api, pairs, channels, depth)
	tape_dir       TEXT NOT NULL,  -- the session's recording ("" = not recorded)
	tape_name      TEXT NOT NULL,
	started_wall   INTEGER NOT NULL,
	ended_wall     INTEGER,        -- NULL while running, and after a crash
	status         TEXT NOT NULL,  -- running | closed | crashed
	first_event_ns INTEGER,
	last_event_ns  INTEGER,
	records        INTEGER NOT NULL DEFAULT 0,
	restore        TEXT            -- JSON: the state the session started from (NULL: the first)
);
CREATE TABLE IF NOT EXISTS instances (
	session  INTEGER NOT NULL,
	name     TEXT NOT NULL,
	type     TEXT NOT NULL,
	seed     TEXT NOT NULL,
	currency TEXT NOT NULL,
	PRIMARY KEY (session, name)
);
CREATE TABLE IF NOT EXISTS orders (
	id        INTEGER PRIMARY KEY,
	session   INTEGER NOT NULL,
	rec       INTEGER NOT NULL,
	instance  TEXT NOT NULL,
	seq       INTEGER NOT NULL,
	time_ns   INTEGER NOT NULL,
	order_id  TEXT NOT NULL,   -- "" for a submission refused before it got an id
	status    TEXT NOT NULL,
	reason    TEXT NOT NULL,
	pair      TEXT NOT NULL,
	side      TEXT NOT NULL,
	type      TEXT NOT NULL,
	qty       TEXT NOT NULL,
	price     TEXT NOT NULL,
	price2    TEXT NOT NULL,
	filled    TEXT NOT NULL,
	avg_price TEXT NOT NULL,
	fee       TEXT NOT NULL,
	userref   INTEGER NOT NULL,
	update_ns INTEGER NOT NULL, -- the update's own time (OrderUpdate.Time)
	detail    TEXT NOT NULL     -- JSON of the whole order: flags, time in force, close, offset
);
CREATE INDEX IF NOT EXISTS orders_by_instance ON orders (session, instance, id);
CREATE TABLE IF NOT EXISTS fills (
	id         INTEGER PRIMARY KEY,
	session    INTEGER NOT NULL,
	rec        INTEGER NOT NULL,
	instance   TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	time_ns    INTEGER NOT NULL,
	fill_ns    INTEGER NOT NULL,  -- the fill's own time (Fill.Time)
	order_id   TEXT NOT NULL,
	userref    INTEGER NOT NULL,
	pair       TEXT NOT NULL,
	side       TEXT NOT NULL,
	price      TEXT NOT NULL,
	qty        TEXT NOT NULL,
	cost       TEXT NOT NULL,   -- price × qty, exact
	fee        TEXT NOT NULL,
	fee_asset  TEXT NOT NULL,
	liquidity  TEXT NOT NULL,
	model      TEXT NOT NULL,
	provenance TEXT NOT NULL    -- JSON
);
CREATE INDEX IF NOT EXISTS fills_by_instance ON fills (session, instance, id);
CREATE TABLE IF NOT EXISTS balances (
	id       INTEGER PRIMARY KEY,
	session  INTEGER NOT NULL,
	rec      INTEGER NOT NULL,
	instance TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	time_ns  INTEGER NOT NULL,
	asset    TEXT NOT NULL,
	delta    TEXT NOT NULL,
	total    TEXT NOT NULL,
	reason   TEXT NOT NULL,     -- deposit | fill
	ref      TEXT NOT NULL      -- the order id of a fill
);
CREATE INDEX IF NOT EXISTS balances_by_instance ON balances (session, instance, id);
CREATE TABLE IF NOT EXISTS equity (
	id       INTEGER PRIMARY KEY,
	session  INTEGER NOT NULL,
	rec      INTEGER NOT NULL,
	instance TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	time_ns  INTEGER NOT NULL,
	equity   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS equity_by_instance ON equity (session, instance, id);
CREATE TABLE IF NOT EXISTS faults (
	id       INTEGER PRIMARY KEY,
	session  INTEGER NOT NULL,
	rec      INTEGER NOT NULL,
	instance TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	time_ns  INTEGER NOT NULL,
	kind     TEXT NOT NULL,     -- fault | lag
	message  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS gaps (
	id       INTEGER PRIMARY KEY,
	session  INTEGER NOT NULL,
	pair     TEXT NOT NULL,
	channel  TEXT NOT NULL,     -- trade | book | offline
	from_ns  INTEGER NOT NULL,
	to_ns    INTEGER NOT NULL,
	from_id  INTEGER NOT NULL,
	to_id    INTEGER NOT NULL,
	missing  INTEGER NOT NULL,
	reason   TEXT NOT NULL
);
`
