"""The SQLite event store: one file, in WAL mode with full synchronous commits."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from fuserec.events.ddl import SQLITE_SCHEMA, STORE_ID_KEY
from fuserec.events.location import StoreError
from fuserec.events.schema import Added, Event
from fuserec.events.store import SQLReads, rows_of


class SQLiteStore(SQLReads):
    """Events in one SQLite file, in WAL mode with full synchronous commits.

    WAL lets readers (other worker processes folding events in) run while a batch is written;
    ``synchronous=FULL`` makes a committed batch survive the process being killed or the machine
    losing power, which is what acknowledging an event promises.

    Parameters
    ----------
    path : str or Path
        The database file; created with its folder when absent.
    timeout : float
        Seconds a writer waits for another process's write lock before failing (default 30).
    """

    def __init__(self, path: str | Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=timeout, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SQLITE_SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (STORE_ID_KEY, uuid.uuid4().hex))
            ((self.store_id,),) = self._db.execute("SELECT value FROM meta WHERE key = ?", (STORE_ID_KEY,)).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the event store ({exc})") from exc
        self._lock = threading.Lock()

    def add(self, events: Sequence[Event]) -> Added:
        """Commit ``events`` in one transaction; ids already stored count as duplicates."""
        rows = rows_of(events, int(time.time()))

        def insert() -> int:
            before = self._db.total_changes
            self._db.executemany(
                "INSERT INTO events (event_id, user_id, item_id, type, value, ts) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (event_id) DO NOTHING", rows)
            return self._db.total_changes - before

        stored = self._transaction(insert, "the batch was not stored")
        return Added(stored=stored, duplicates=len(rows) - stored)

    def put_item(self, item: str, doc: dict) -> int:
        """Store ``doc`` as item ``item``'s service-side record (replacing the last); returns its revision."""

        def upsert() -> int:
            ((rev,),) = self._db.execute("SELECT COALESCE(MAX(rev), 0) + 1 FROM items").fetchall()
            self._db.execute("INSERT INTO items (item_id, rev, doc) VALUES (?, ?, ?) ON CONFLICT (item_id) "
                             "DO UPDATE SET rev = excluded.rev, doc = excluded.doc",
                             (item, rev, json.dumps(doc, ensure_ascii=False)))
            return int(rev)

        return self._transaction(upsert, f"item {item!r} was not stored")

    def _transaction(self, write, failed: str) -> int:  # noqa: ANN001 - a callable returning int
        """Run ``write`` in one immediate transaction: all of it is committed, or none."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                result = write()
                self._db.execute("COMMIT")
            except BaseException as exc:  # nothing half-written, and the connection stays usable
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"{self.path}: {failed} ({exc})") from exc
                raise
        return int(result)

    def _fetch(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()
