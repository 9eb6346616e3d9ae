"""The event store's contract, and the reads the SQLite and PostgreSQL stores share.

A client sends events in batches with its own ``event_id`` for each; a store commits the batch
in one transaction before the service answers, and an id it already holds is counted as a
duplicate instead of stored twice, so a client that retries after a lost answer (or a killed
server) cannot double an event. Events keep their arrival order in ``seq``, which is what fold-in
reads to catch up on what is newer than the artifact.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from fuserec.events.ddl import EVENT_COLUMNS
from fuserec.events.schema import Added, Event, Stored


class EventStore(Protocol):
    """What the service needs from a store: `SQLiteStore` and `PostgresStore` keep the same contract."""

    store_id: str

    def add(self, events: Sequence[Event]) -> Added: ...

    def user_events(self, user: str, limit: int = 100, after: int = 0) -> list[Stored]: ...

    def since(self, seq: int, limit: int = 10_000) -> list[Stored]: ...

    def count(self) -> int: ...

    def put_item(self, item: str, doc: dict) -> int: ...

    def items_since(self, rev: int) -> list[tuple[int, str, dict]]: ...

    def close(self) -> None: ...


class SQLReads(ABC):
    """The reads both stores share; a subclass sets its parameter mark and how a query runs."""

    _mark = "?"
    _lock: threading.Lock
    _db: Any

    @abstractmethod
    def _fetch(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple]:
        """Run one query under the store's lock and return its rows."""

    def _rows(self, sql: str, args: Iterable[object]) -> list[Stored]:
        rows = self._fetch(sql.replace("?", self._mark), tuple(args))
        return [Stored(seq, Event(event_id=eid, user=u, item=i, type=t, value=v, timestamp=ts), ts)
                for seq, eid, u, i, t, v, ts in rows]

    def user_events(self, user: str, limit: int = 100, after: int = 0) -> list[Stored]:
        """The user's latest ``limit`` events with arrival numbers above ``after``, oldest first."""
        rows = self._rows(f"SELECT {EVENT_COLUMNS} FROM events WHERE user_id = ? AND seq > ? "
                          "ORDER BY seq DESC LIMIT ?", (user, after, limit))
        return rows[::-1]

    def since(self, seq: int, limit: int = 10_000) -> list[Stored]:
        """Events after arrival number ``seq``, in arrival order (what fold-in catches up on)."""
        return self._rows(f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))

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
        """Close the connection."""
        with self._lock:
            self._db.close()


def rows_of(events: Sequence[Event], now: int) -> list[tuple]:
    """The ``events`` table rows of a batch; an event without a time takes ``now``."""
    return [(e.event_id, e.user, e.item, e.type, e.value, e.timestamp if e.timestamp is not None else now)
            for e in events]
