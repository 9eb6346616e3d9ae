"""The event store: every feedback event the service acknowledged, each exactly once.

A client sends events in batches with its own ``event_id`` for each; the store commits the batch
in one transaction before the service answers, and an id it already holds is counted as a
duplicate instead of stored twice, so a client that retries after a lost answer (or a killed
server) cannot double an event. Events keep their arrival order in ``seq``, which is what fold-in
reads to catch up on what is newer than the artifact.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Protocol

from annotated_types import Interval
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict

from fuserec.data.events import POSTGRES_SCHEMA, SQLITE_SCHEMA, STORE_ID_KEY, redacted
from fuserec.errors import FuserecError


class StoreError(FuserecError):
    """The event store cannot be opened or written; the message names the store."""


def _storable(text: str) -> str:
    """Refuse what neither SQLite (lone surrogates) nor PostgreSQL (NUL) can store as text."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (it holds a lone surrogate)") from None
    return text


Text = Annotated[str, Field(pattern=r"^[^\x00]*$"), AfterValidator(_storable)]
"""A string every store can hold (the pattern puts the NUL rule in the API's schema); the API's
bodies and paths use it for ids and texts."""


def _json_integer(value: object) -> object:
    if isinstance(value, bool | str):
        raise ValueError("Input should be a valid integer")
    return value


JsonInt = Annotated[int, Strict(False), BeforeValidator(_json_integer)]
"""An integer as JSON Schema has it: ``40`` and ``40.0``, never ``true`` or ``"40"`` (the bodies
are otherwise strict, and strict pydantic refuses ``40.0``)."""


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

    # strict: a JSON ``true`` or ``"3"`` is not a number, as the schema says, and is refused
    model_config = ConfigDict(extra="forbid", strict=True)

    event_id: Text = Field(min_length=1, max_length=200)
    user: Text = Field(min_length=1, max_length=200)
    item: Text = Field(min_length=1, max_length=200)
    type: Text = Field(default="view", min_length=1, max_length=50)
    value: float | None = Field(default=None, allow_inf_nan=False)
    timestamp: Annotated[int, Interval(ge=0, le=2**53), Strict(False), BeforeValidator(_json_integer)] | None = None


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
    """What the service needs from a store: `SQLiteStore` and `PostgresStore` keep the same contract."""

    def add(self, events: Sequence[Event]) -> Added: ...

    store_id: str

    def user_events(self, user: str, limit: int = 100, after: int = 0) -> list[Stored]: ...

    def since(self, seq: int, limit: int = 10_000) -> list[Stored]: ...

    def count(self) -> int: ...

    def put_item(self, item: str, doc: dict) -> int: ...

    def items_since(self, rev: int) -> list[tuple[int, str, dict]]: ...

    def close(self) -> None: ...


_COLUMNS = "seq, event_id, user_id, item_id, type, value, ts"


class _SQLStore(ABC):
    """The reads both stores share; a subclass sets its parameter mark and how a query runs."""

    _mark = "?"
    _lock: threading.Lock

    @abstractmethod
    def _fetch(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple]:
        """Run one query under the store's lock and return its rows."""

    def _rows(self, sql: str, args: Iterable[object]) -> list[Stored]:
        rows = self._fetch(sql.replace("?", self._mark), tuple(args))
        return [Stored(seq, Event(event_id=eid, user=u, item=i, type=t, value=v, timestamp=ts), ts)
                for seq, eid, u, i, t, v, ts in rows]

    def user_events(self, user: str, limit: int = 100, after: int = 0) -> list[Stored]:
        """The user's latest ``limit`` events with arrival numbers above ``after``, oldest first."""
        rows = self._rows(f"SELECT {_COLUMNS} FROM events WHERE user_id = ? AND seq > ? ORDER BY seq DESC LIMIT ?",
                          (user, after, limit))
        return rows[::-1]

    def since(self, seq: int, limit: int = 10_000) -> list[Stored]:
        """Events after arrival number ``seq``, in arrival order (what fold-in catches up on)."""
        return self._rows(f"SELECT {_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))

    def count(self) -> int:
        """Events stored."""
        ((n,),) = self._fetch("SELECT COUNT(*) FROM events")
        return int(n)

    def items_since(self, rev: int) -> list[tuple[int, str, dict]]:
        """Items added or changed through the service after revision ``rev``: ``(rev, id, doc)``,
        oldest first (what every worker reads to see the same catalogue)."""
        rows = self._fetch(f"SELECT rev, item_id, doc FROM items WHERE rev > {self._mark} ORDER BY rev", (rev,))
        return [(int(r), str(i), json.loads(d)) for r, i, d in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()  # type: ignore[attr-defined]


class SQLiteStore(_SQLStore):
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
            self._db.executescript(SQLITE_SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (STORE_ID_KEY, uuid.uuid4().hex))
            ((self.store_id,),) = self._db.execute("SELECT value FROM meta WHERE key = ?", (STORE_ID_KEY,)).fetchall()
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
            except BaseException as exc:  # nothing half-written, and the connection stays usable
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"{self.path}: the batch was not stored ({exc})") from exc
                raise
        return Added(stored=stored, duplicates=len(rows) - stored)

    def put_item(self, item: str, doc: dict) -> int:
        """Store ``doc`` as item ``item``'s service-side record (replacing the last); returns its revision."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                ((rev,),) = self._db.execute("SELECT COALESCE(MAX(rev), 0) + 1 FROM items").fetchall()
                self._db.execute("INSERT INTO items (item_id, rev, doc) VALUES (?, ?, ?) ON CONFLICT (item_id) "
                                 "DO UPDATE SET rev = excluded.rev, doc = excluded.doc",
                                 (item, rev, json.dumps(doc, ensure_ascii=False)))
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"{self.path}: item {item!r} was not stored ({exc})") from exc
                raise
        return int(rev)

    def _fetch(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()


class PostgresStore(_SQLStore):
    """Events in PostgreSQL (psycopg 3), for several servers or machines sharing one store.

    Each batch is one transaction, committed before ``add`` returns; ``ON CONFLICT DO NOTHING`` on
    the unique ``event_id`` makes a retry idempotent even when two servers receive it at once.

    Parameters
    ----------
    url : str
        A libpq connection string, ``postgresql://user@host:port/db``.
    """

    def __init__(self, url: str) -> None:
        from fuserec._core.extras import require

        require("psycopg", what="a PostgreSQL event store")
        import psycopg

        self.url = url
        try:
            self._db = psycopg.connect(url, autocommit=False)
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(7235)")  # one schema creator at a time
                for statement in filter(str.strip, POSTGRES_SCHEMA.split(";")):
                    self._db.execute(statement)
                self._db.execute("INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                                 (STORE_ID_KEY, uuid.uuid4().hex))
                ((self.store_id,),) = self._db.execute("SELECT value FROM meta WHERE key = %s",
                                                       (STORE_ID_KEY,)).fetchall()
            self._db.commit()
        except psycopg.Error as exc:
            raise StoreError(f"{redacted(url)}: cannot open the event store ({exc})") from exc
        self._error = psycopg.Error
        self._lock = threading.Lock()

    def add(self, events: Sequence[Event]) -> Added:
        """Commit ``events`` in one transaction; ids already stored count as duplicates."""
        now = int(time.time())
        rows = [(e.event_id, e.user, e.item, e.type, e.value, e.timestamp if e.timestamp is not None else now)
                for e in events]
        with self._lock:
            try:
                with self._db.transaction(), self._db.cursor() as cur:
                    stored = 0
                    for row in rows:
                        cur.execute("INSERT INTO events (event_id, user_id, item_id, type, value, ts) "
                                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING", row)
                        stored += cur.rowcount
                self._db.commit()
            except self._error as exc:
                self._db.rollback()
                raise StoreError(f"{redacted(self.url)}: the batch was not stored ({exc})") from exc
        return Added(stored=stored, duplicates=len(rows) - stored)

    def put_item(self, item: str, doc: dict) -> int:
        """Store ``doc`` as item ``item``'s service-side record (replacing the last); returns its revision."""
        with self._lock:
            try:
                with self._db.transaction():
                    self._db.execute("SELECT pg_advisory_xact_lock(7236)")  # revisions commit in order
                    ((rev,),) = self._db.execute(
                        "INSERT INTO items (item_id, rev, doc) VALUES (%s, nextval('items_rev'), %s) "
                        "ON CONFLICT (item_id) DO UPDATE SET rev = nextval('items_rev'), doc = excluded.doc "
                        "RETURNING rev", (item, json.dumps(doc, ensure_ascii=False))).fetchall()
                self._db.commit()
            except self._error as exc:
                self._db.rollback()
                raise StoreError(f"{redacted(self.url)}: item {item!r} was not stored ({exc})") from exc
        return int(rev)

    _mark = "%s"

    def _fetch(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
            self._db.commit()
        return rows


def open_store(target: str | Path) -> EventStore:
    """A store from a path (SQLite), a ``sqlite:///PATH`` URL or a ``postgresql://`` URL.

    Raises
    ------
    StoreError
        For a URL scheme the store does not know, naming it, or a store that cannot be opened.
    """
    text = str(target)
    if text.startswith("sqlite:///"):
        return SQLiteStore(text.removeprefix("sqlite:///"))
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresStore(text)
    if "://" in text:
        raise StoreError(f"{text.split('://')[0]!r} event stores are not supported; give a file path, "
                         "sqlite:///PATH or postgresql://...")
    return SQLiteStore(text)
