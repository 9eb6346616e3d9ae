"""The PostgreSQL event store, for several servers or machines sharing one store."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Sequence

from fuserec.events.ddl import POSTGRES_SCHEMA, STORE_ID_KEY
from fuserec.events.location import StoreError, connect_postgres, redacted
from fuserec.events.schema import Added, Event
from fuserec.events.store import SQLReads, rows_of


class PostgresStore(SQLReads):
    """Events in PostgreSQL (psycopg 3), for several servers or machines sharing one store.

    Each batch is one transaction, committed before ``add`` returns; ``ON CONFLICT DO NOTHING`` on
    the unique ``event_id`` makes a retry idempotent even when two servers receive it at once.

    Parameters
    ----------
    url : str
        A libpq connection string, ``postgresql://user@host:port/db``.
    """

    _mark = "%s"

    def __init__(self, url: str) -> None:
        self.url = url
        self._db = connect_postgres(url, autocommit=False)
        import psycopg  # importable: connect_postgres required it

        self._error = psycopg.Error
        try:
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
        self._lock = threading.Lock()

    def add(self, events: Sequence[Event]) -> Added:
        """Commit ``events`` in one transaction; ids already stored count as duplicates."""
        rows = rows_of(events, int(time.time()))
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

    def _fetch(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
            self._db.commit()
        return rows
