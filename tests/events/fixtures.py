"""Fixtures for tests that run against both stores: a session's PostgreSQL and a store per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.events.postgres import available, fresh_database, throwaway_postgres


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not available():
        pytest.skip("PostgreSQL or psycopg is not installed (make postgres installs the Debian package)")
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request, tmp_path) -> str:
    """Where a store lives: a SQLite file, or a fresh database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "events.sqlite")
    url = request.getfixturevalue("postgres_url")
    return fresh_database(url, f"t{abs(hash(request.node.nodeid)) % 10**9}")
