"""Opening a store by its address: the SQLite or PostgreSQL store `locate` names."""

from __future__ import annotations

from pathlib import Path

from fuserec.events.location import locate
from fuserec.events.postgres import PostgresStore
from fuserec.events.sqlite import SQLiteStore
from fuserec.events.store import EventStore


def open_store(target: str | Path) -> EventStore:
    """A store from a path (SQLite), a ``sqlite:///PATH`` URL or a ``postgresql://`` URL.

    Raises
    ------
    StoreError
        For a URL scheme the store does not know, naming it, or a store that cannot be opened.
    """
    where = locate(target)
    if where.kind == "postgresql":
        return PostgresStore(str(where.url))
    assert where.path is not None
    return SQLiteStore(where.path)
