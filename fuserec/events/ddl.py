"""The store's tables, as SQLite and PostgreSQL create them: events, service-side items, meta.

Both stores and the training reader (`fuserec.events.training`) read these tables; defining
them once keeps the column names and types in step.
"""

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    type TEXT NOT NULL,
    value REAL,
    ts INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_user ON events (user_id, seq);
CREATE TABLE IF NOT EXISTS items (
    item_id TEXT PRIMARY KEY,
    rev INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

POSTGRES_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    type TEXT NOT NULL,
    value DOUBLE PRECISION,
    ts BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_user ON events (user_id, seq);
CREATE SEQUENCE IF NOT EXISTS items_rev;
CREATE TABLE IF NOT EXISTS items (
    item_id TEXT PRIMARY KEY,
    rev BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

STORE_ID_KEY = "store_id"
"""The ``meta`` row holding a store's random id, which tells one store's ``seq`` numbers from another's."""

EVENT_COLUMNS = "seq, event_id, user_id, item_id, type, value, ts"
"""The columns a stored event is read back from, in `fuserec.events.Stored` order."""
