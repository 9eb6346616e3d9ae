"""The store tests run against SQLite and a real PostgreSQL (`tests.events.fixtures`)."""

from tests.events.fixtures import postgres_url, store_target  # noqa: F401
