"""Feedback events: their schema, the SQLite and PostgreSQL stores, and reading a store as training data.

The service writes every acknowledged event to a store (`open_store`); ``fuserec train`` reads
it back (`with_store_events`). Both go through the same address parser (`locate`) and tables
(`fuserec.events.ddl`), so the service and the trainer always mean the same store.
"""

from fuserec.events.location import Location, StoreError, locate, redacted
from fuserec.events.opening import open_store
from fuserec.events.postgres import PostgresStore
from fuserec.events.schema import DEFAULT_EVENT_WEIGHTS, Added, Event, JsonInt, Stored, Text
from fuserec.events.sqlite import SQLiteStore
from fuserec.events.store import EventStore
from fuserec.events.training import StoreContents, read_store, with_store_events

__all__ = ["DEFAULT_EVENT_WEIGHTS", "Added", "Event", "EventStore", "JsonInt", "Location", "PostgresStore",
           "SQLiteStore", "StoreContents", "StoreError", "Stored", "Text", "locate", "open_store", "read_store",
           "redacted", "with_store_events"]
