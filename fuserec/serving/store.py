"""The event store: every feedback event the service acknowledged, each exactly once.

A client sends events in batches with its own ``event_id`` for each; the store commits the batch
in one transaction before the service answers, and an id it already holds is counted as a
duplicate instead of stored twice, so a client that retries after a lost answer (or a killed
server) cannot double an event. Events keep their arrival order in ``seq``, which is what fold-in
reads to catch up on what is newer than the artifact.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, Field

from fuserec.errors import FuserecError


class StoreError(FuserecError):
    """The event store cannot be opened or written; the message names the store."""


class Event(BaseModel):
    """One feedback event, as a client sends it (``POST /v1/events``).

    Parameters
    ----------
    event_id : str
        The client's id for the event; sending the same id again stores nothing new.
    user, item : str
        External ids, as in the training data.
    type : str
        What happened (``"view"``, ``"click"``, ``"rating"``, ...); the service's configuration
        maps each type to a weight.
    value : float, optional
        A rating or another strength; the type's weight applies when absent.
    timestamp : int, optional
        Seconds since the epoch; the store's arrival time when absent.
    """

    event_id: str = Field(min_length=1, max_length=200)
    user: str = Field(min_length=1, max_length=200)
    item: str = Field(min_length=1, max_length=200)
    type: str = Field(default="view", min_length=1, max_length=50)
    value: float | None = None
    timestamp: int | None = Field(default=None, ge=0)


@dataclass(frozen=True)
class Stored:
    """An event as the store holds it: the event, its arrival order and its time."""

    seq: int
    event: Event
    timestamp: int


@dataclass(frozen=True)
class Added:
    """What a batch did: events newly stored and events the store already held."""

    stored: int
    duplicates: int


class EventStore(Protocol):
    """What the service needs from a store (SQLite here; PostgreSQL with the same contract)."""

    def add(self, events: Sequence[Event]) -> Added: ...

    def user_events(self, user: str, limit: int = 100) -> list[Stored]: ...

    def since(self, seq: int, limit: int = 10_000) -> list[Stored]: ...

    def count(self) -> int: ...

    def close(self) -> None: ...


_SCHEMA = """
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
"""


class SQLiteStore:
    """Events in one SQLite file, in WAL mode with full synchronous commits.

    WAL lets readers (other worker processes folding events in) run while a batch is written;
    ``synchronous=FULL`` makes a committed batch survive the process being killed or the machine
    losing power, which is what acknowledging an event promises.

    Parameters
    ----------
    path : str or Path
        The database file; created with its folder when absent.
    timeout : float
        Seconds a writer waits for another process's write lock before failing.
    """

    def __init__(self, path: str | Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=timeout, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the event store ({exc})") from exc
        self._lock = threading.Lock()

    def add(self, events: Sequence[Event]) -> Added:
        """Commit ``events`` in one transaction; ids already stored count as duplicates."""
        now = int(time.time())
        rows = [(e.event_id, e.user, e.item, e.type, e.value, e.timestamp if e.timestamp is not None else now)
                for e in events]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                before = self._db.total_changes
                self._db.executemany(
                    "INSERT INTO events (event_id, user_id, item_id, type, value, ts) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (event_id) DO NOTHING", rows)
                stored = self._db.total_changes - before
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreError(f"{self.path}: the batch was not stored ({exc})") from exc
        return Added(stored=stored, duplicates=len(rows) - stored)

    def _rows(self, sql: str, args: Iterable[object]) -> list[Stored]:
        with self._lock:
            rows = self._db.execute(sql, tuple(args)).fetchall()
        return [Stored(seq, Event(event_id=eid, user=u, item=i, type=t, value=v, timestamp=ts), ts)
                for seq, eid, u, i, t, v, ts in rows]

    def user_events(self, user: str, limit: int = 100) -> list[Stored]:
        """The user's latest ``limit`` events, oldest first."""
        rows = self._rows("SELECT seq, event_id, user_id, item_id, type, value, ts FROM events "
                          "WHERE user_id = ? ORDER BY seq DESC LIMIT ?", (user, limit))
        return rows[::-1]

    def since(self, seq: int, limit: int = 10_000) -> list[Stored]:
        """Events after arrival number ``seq``, in arrival order (what fold-in catches up on)."""
        return self._rows("SELECT seq, event_id, user_id, item_id, type, value, ts FROM events "
                          "WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))

    def count(self) -> int:
        """Events stored."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_store(target: str | Path) -> EventStore:
    """A store from a path (SQLite) or a ``sqlite:///PATH`` URL.

    Raises
    ------
    StoreError
        For a URL scheme this build cannot open, naming it.
    """
    text = str(target)
    if text.startswith("sqlite:///"):
        return SQLiteStore(text.removeprefix("sqlite:///"))
    if "://" in text:
        raise StoreError(f"{text.split('://')[0]!r} event stores are not supported; give a file path or sqlite:///PATH")
    return SQLiteStore(text)
