"""Where a store lives: one parser for the store URLs, and the one way to connect to PostgreSQL.

A store is named by a file path (SQLite), ``sqlite:///PATH`` or ``postgresql://...``; the
service, the trainer and the tests all go through `locate`, so a URL means the same store to
each of them, and through `connect_postgres`, so a connection failure reads the same (with the
password left out) wherever it happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fuserec.errors import FuserecError

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class StoreError(FuserecError):
    """The event store cannot be opened or written; the message names the store."""


@dataclass(frozen=True)
class Location:
    """A parsed store address: ``kind`` and either a SQLite ``path`` or a PostgreSQL ``url``."""

    kind: Literal["sqlite", "postgresql"]
    path: Path | None = None
    url: str | None = None

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else redacted(self.url or "")


def locate(target: str | Path) -> Location:
    """Parse a store address: a path, ``sqlite:///PATH`` or ``postgresql://`` (``postgres://``).

    Raises
    ------
    StoreError
        For any other URL scheme, naming it.
    """
    text = str(target)
    if text.startswith("sqlite:///"):
        return Location("sqlite", path=Path(text.removeprefix("sqlite:///")))
    if text.startswith(POSTGRES_SCHEMES):
        return Location("postgresql", url=text)
    if "://" in text:
        raise StoreError(f"{text.split('://')[0]!r} event stores are not supported; give a file path, "
                         "sqlite:///PATH or postgresql://...")
    return Location("sqlite", path=Path(text))


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    head, at, tail = url.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    return f"{scheme}//{credentials.split(':', 1)[0]}:***@{tail}"


def connect_postgres(url: str, **options: Any) -> Any:
    """A psycopg 3 connection to ``url`` (``options`` go to ``psycopg.connect``).

    Raises
    ------
    StoreError
        When the server cannot be reached or refuses, naming the URL without its password.
    """
    from fuserec._core.extras import require

    require("psycopg", what="a PostgreSQL event store")
    import psycopg

    try:
        return psycopg.connect(url, **options)
    except psycopg.Error as exc:
        raise StoreError(f"{redacted(url)}: cannot open the event store ({exc})") from exc
