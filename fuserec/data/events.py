"""The service's event store as training data: its events become interactions, its items join the catalogue.

``fuserec serve`` keeps every acknowledged feedback event, and every item added through its API,
in an event store (SQLite beside the artifact, or PostgreSQL). This module owns that store's
tables and reads them back, so that ``fuserec train`` can learn from what the service collected
and the next artifact version knows the new users and items. The artifact then records which
store and which arrival number (``seq``) it was trained through, and the service folds in only
the events after that.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuserec.data.dataset import Dataset
from fuserec.errors import DataError

DEFAULT_EVENT_WEIGHTS: dict[str, float] = {
    "view": 1.0, "click": 1.0, "like": 2.0, "purchase": 3.0, "rating": 1.0, "dislike": -1.0}
"""Weight of each event type in a user's history (the service's and the trainer's default)."""

SQLITE_SCHEMA = """
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
CREATE TABLE IF NOT EXISTS items (
    item_id TEXT PRIMARY KEY,
    rev INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

POSTGRES_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    type TEXT NOT NULL,
    value DOUBLE PRECISION,
    ts BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_user ON events (user_id, seq);
CREATE SEQUENCE IF NOT EXISTS items_rev;
CREATE TABLE IF NOT EXISTS items (
    item_id TEXT PRIMARY KEY,
    rev BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

STORE_ID_KEY = "store_id"
"""The ``meta`` row holding a store's random id, which tells one store's ``seq`` numbers from another's."""


@dataclass(frozen=True)
class StoreContents:
    """Everything a store holds: its id, its events in arrival order and its service-side items."""

    store_id: str | None
    events: pd.DataFrame  # seq, user, item, type, value, ts
    items: list[tuple[str, dict[str, Any]]]  # (id, doc), in revision order


def read_store(target: str | Path) -> StoreContents:
    """Read a store: a SQLite file (path or ``sqlite:///PATH``) or a ``postgresql://`` URL.

    Raises
    ------
    DataError
        When the store is absent or cannot be read, naming it.
    """
    text = str(target)
    queries = ("SELECT seq, user_id, item_id, type, value, ts FROM events ORDER BY seq",
               "SELECT item_id, doc FROM items ORDER BY rev",
               f"SELECT value FROM meta WHERE key = '{STORE_ID_KEY}'")
    if text.startswith(("postgresql://", "postgres://")):
        rows = _read_postgres(text, queries)
    else:
        path = Path(text.removeprefix("sqlite:///"))
        if not path.is_file():
            raise DataError("no such event store", file=path)
        try:
            with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
                has_meta = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchall()
                rows = [db.execute(q).fetchall() for q in (queries if has_meta else queries[:2])]
        except sqlite3.Error as exc:
            raise DataError(f"cannot be read as an event store ({exc})", file=path) from None
    events = pd.DataFrame(rows[0], columns=["seq", "user", "item", "type", "value", "ts"])
    items = [(str(i), json.loads(doc)) for i, doc in rows[1]]
    store_id = str(rows[2][0][0]) if len(rows) > 2 and rows[2] else None
    return StoreContents(store_id, events, items)


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    head, at, tail = url.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    return f"{scheme}//{credentials.split(':', 1)[0]}:***@{tail}"


def _read_postgres(url: str, queries: tuple[str, ...]) -> list[list[tuple]]:
    from fuserec._core.extras import require

    require("psycopg", what="a PostgreSQL event store")
    import psycopg

    try:
        with psycopg.connect(url) as db:
            return [db.execute(q).fetchall() for q in queries]
    except psycopg.Error as exc:
        raise DataError(f"cannot be read as an event store ({exc})", file=redacted(url)) from None


def _same_type(ids: pd.Series, known: np.ndarray) -> tuple[pd.Series, bool]:
    """Store ids (text) as the dataset's id type; False when some cannot be (the ids become text)."""
    if known.dtype.kind in "iu":
        parsed = pd.to_numeric(ids, errors="coerce")
        ok = parsed.notna() & (parsed == parsed.round())
        if bool(ok.all()):
            return parsed.astype(np.int64), True
        return ids, False
    return ids, known.dtype.kind in "OUS"


def with_store_events(ds: Dataset, target: str | Path,
                      weights: Mapping[str, float] | None = None) -> Dataset:
    """``ds`` with the store's events as interactions and its service-side items in the catalogue.

    Each user's events on an item are weighed by type (times their value when given), as the
    service's fold-in does; a pair whose total is positive becomes an interaction (updating one
    the data already had), one whose total is zero or below is removed. With explicit ratings,
    an event's rating is its value when it has one, else the top of the scale. New users and
    items join the id maps; an item added through the service brings its title, categories and
    text. When an id cannot take the dataset's id type (a text id in integer ids) every id
    becomes text. ``report["store_events"]`` says what was read and through which ``seq``.

    Raises
    ------
    DataError
        For an event type ``weights`` does not know, naming the type and the store.
    """
    weights = dict(DEFAULT_EVENT_WEIGHTS if weights is None else weights)
    contents = read_store(target)
    ev = contents.events
    unknown = sorted(set(ev["type"]) - set(weights))
    if unknown:
        raise DataError(f"event type {unknown[0]!r} has no weight (known: {', '.join(sorted(weights))})",
                        file=str(target), field="type")
    value = pd.to_numeric(ev["value"], errors="coerce")
    ev = ev.assign(w=ev["type"].map(weights) * value.fillna(1.0), value=value)
    pairs = ev.groupby(["user", "item"], sort=False).agg(
        w=("w", "sum"), ts=("ts", "max"), value=("value", "last"), last=("type", "last")).reset_index()

    inter = ds.interactions
    frame = pd.DataFrame({"user": ds.users.to_external(inter["user"].to_numpy()),
                          "item": ds.items.to_external(inter["item"].to_numpy())})
    for column in ("rating", "timestamp"):
        if column in inter.columns:
            frame[column] = inter[column].to_numpy()
    users, users_ok = _same_type(pairs["user"], np.asarray(ds.users.ids))
    # the ids of items added through the service decide the id type too, even without events
    stored_items = pd.Series([i for i, _ in contents.items], dtype=object)
    every_item, items_ok = _same_type(pd.concat([pairs["item"], stored_items], ignore_index=True),
                                      np.asarray(ds.items.ids))
    items, item_keys = every_item.iloc[:len(pairs)], every_item.iloc[len(pairs):].tolist()
    item_table, user_table = ds.item_table.copy(), ds.user_table.copy()
    for column, ok, table in (("user", users_ok, user_table), ("item", items_ok, item_table)):
        if not ok:
            frame[column] = frame[column].astype(str)
            if "id" in table.columns:
                table["id"] = table["id"].astype(str)
    fresh = pd.DataFrame({"user": users.to_numpy(), "item": items.to_numpy()})
    if "rating" in frame.columns:
        low, high = ds.rating_scale or (float(frame["rating"].min()), float(frame["rating"].max()))
        rating = pairs["value"].where(pairs["last"] == "rating")
        fresh["rating"] = rating.fillna(high).clip(low, high).to_numpy(dtype=np.float32)
    if "timestamp" in frame.columns:
        fresh["timestamp"] = pairs["ts"].to_numpy(dtype=np.int64)
    positive = (pairs["w"] > 0).to_numpy()
    keyed = pd.concat([frame, fresh], ignore_index=True)
    keep = ~keyed.duplicated(["user", "item"], keep="last").to_numpy()
    keep[len(frame):] &= positive
    removed = set(zip(fresh["user"][~positive], fresh["item"][~positive], strict=True))
    if removed:
        keep[:len(frame)] &= [pair not in removed for pair in zip(frame["user"], frame["item"], strict=True)]
    combined = keyed.loc[keep].reset_index(drop=True)

    item_table = _with_items(item_table, item_keys, [doc for _, doc in contents.items])
    report = dict(ds.report)
    report["store_events"] = {
        "store_id": contents.store_id, "events": int(len(ev)),
        "through_seq": int(ev["seq"].max()) if len(ev) else 0, "pairs_added": int(positive.sum()),
        "pairs_removed": len(removed), "items_added": len(item_table) - len(ds.item_table)}
    out = Dataset.from_frame(ds.name, combined, item_table=item_table, user_table=user_table,
                             rating_scale=ds.rating_scale, report=report)
    fields = tuple(ds.text_fields) + ((("service_text", ""),) if "service_text" in out.item_table else ())
    return replace(out, text_fields=fields, social=ds.social)


def _with_items(table: pd.DataFrame, keys: list[Any], docs: list[dict[str, Any]]) -> pd.DataFrame:
    """The item table with the store's new items (``keys``, as the table's id type; title,
    categories, text) appended, and their stored categories applied to items it already has."""
    if not keys:
        return table
    if "title" not in table.columns:
        table["title"] = table["id"].astype(str)
    category = next((c for c in ("genres", "categories", "category") if c in table.columns), "genres")
    if category not in table.columns:
        table[category] = ""
    table["service_text"] = table.get("service_text", pd.Series("", index=table.index)).fillna("")
    position = {key: row for row, key in enumerate(table["id"].tolist())}
    rows = []
    for key, doc in zip(keys, docs, strict=True):
        cats = "|".join(doc.get("categories") or ())
        row = position.get(key)
        if row is None:
            rows.append({"id": key, "title": str(doc.get("title") or key), category: cats,
                         "service_text": str(doc.get("text") or "")})
            continue
        if doc.get("categories") is not None:
            table.loc[row, category] = cats
    if rows:
        table = pd.concat([table, pd.DataFrame(rows)], ignore_index=True)
    return table
