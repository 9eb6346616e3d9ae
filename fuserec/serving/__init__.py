"""The recommendation service: an event store, fold-in of fresh feedback, and the HTTP API.

``store`` keeps the feedback events the service acknowledges (SQLite by default, a file beside
the artifact); an event is acknowledged only once it is committed, and its ``event_id`` makes a
retry idempotent.
"""

from fuserec.serving.store import Event, EventStore, PostgresStore, SQLiteStore, open_store

__all__ = ["Event", "EventStore", "PostgresStore", "SQLiteStore", "open_store"]
