"""The service's event store as training data: its events become interactions, its items join the catalogue.

``fuserec serve`` keeps every acknowledged feedback event, and every item added through its API,
in an event store (SQLite beside the artifact, or PostgreSQL). This module reads that store
back, so that ``fuserec train`` can learn from what the service collected and the next artifact
version knows the new users and items. The artifact then records which store and which arrival
number (``seq``) it was trained through, and the service folds in only the events after that.
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
from fuserec.events.ddl import STORE_ID_KEY
from fuserec.events.location import StoreError, connect_postgres, locate
from fuserec.events.schema import DEFAULT_EVENT_WEIGHTS

_QUERIES = ("SELECT seq, user_id, item_id, type, value, ts FROM events ORDER BY seq",
            "SELECT item_id, doc FROM items ORDER BY rev",
            f"SELECT value FROM meta WHERE key = '{STORE_ID_KEY}'")


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
    try:
        where = locate(target)
    except StoreError as exc:
        raise DataError(str(exc), file=str(target)) from None
    rows = _read_postgres(str(where.url)) if where.kind == "postgresql" else _read_sqlite(where.path or Path())
    events = pd.DataFrame(rows[0], columns=["seq", "user", "item", "type", "value", "ts"])
    items = [(str(i), json.loads(doc)) for i, doc in rows[1]]
    store_id = str(rows[2][0][0]) if len(rows) > 2 and rows[2] else None
    return StoreContents(store_id, events, items)


def _read_sqlite(path: Path) -> list[list[tuple]]:
    if not path.is_file():
        raise DataError("no such event store", file=path)
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            has_meta = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchall()
            return [db.execute(q).fetchall() for q in (_QUERIES if has_meta else _QUERIES[:2])]
    except sqlite3.Error as exc:
        raise DataError(f"cannot be read as an event store ({exc})", file=path) from None


def _read_postgres(url: str) -> list[list[tuple]]:
    try:
        db = connect_postgres(url)
    except StoreError as exc:
        raise DataError(f"cannot be read as an event store ({exc.__cause__})", file=str(locate(url))) from None
    import psycopg  # importable: connect_postgres required it

    try:
        with db:
            return [db.execute(q).fetchall() for q in _QUERIES]
    except psycopg.Error as exc:
        raise DataError(f"cannot be read as an event store ({exc})", file=str(locate(url))) from None


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
    contents = read_store(target)
    pairs = _weighed_pairs(contents.events, dict(DEFAULT_EVENT_WEIGHTS if weights is None else weights), target)
    frame, fresh, item_keys, tables = _in_dataset_ids(ds, pairs, contents)
    positive = (pairs["w"] > 0).to_numpy()
    combined, removed = _merged(frame, fresh, positive)
    item_table = _with_items(tables[0], item_keys, [doc for _, doc in contents.items])
    ev = contents.events
    report = dict(ds.report)
    report["store_events"] = {
        "store_id": contents.store_id, "events": int(len(ev)),
        "through_seq": int(ev["seq"].max()) if len(ev) else 0, "pairs_added": int(positive.sum()),
        "pairs_removed": removed, "items_added": len(item_table) - len(ds.item_table)}
    out = Dataset.from_frame(ds.name, combined, item_table=item_table, user_table=tables[1],
                             rating_scale=ds.rating_scale, report=report)
    fields = tuple(ds.text_fields) + ((("service_text", ""),) if "service_text" in out.item_table else ())
    return replace(out, text_fields=fields, social=ds.social)


def _weighed_pairs(ev: pd.DataFrame, weights: dict[str, float], target: str | Path) -> pd.DataFrame:
    """One row per (user, item): summed weight ``w``, latest ``ts``, last ``value`` and ``last`` type."""
    unknown = sorted(set(ev["type"]) - set(weights))
    if unknown:
        raise DataError(f"event type {unknown[0]!r} has no weight (known: {', '.join(sorted(weights))})",
                        file=str(target), field="type")
    value = pd.to_numeric(ev["value"], errors="coerce")
    ev = ev.assign(w=ev["type"].map(weights) * value.fillna(1.0), value=value)
    return ev.groupby(["user", "item"], sort=False).agg(
        w=("w", "sum"), ts=("ts", "max"), value=("value", "last"), last=("type", "last")).reset_index()


def _in_dataset_ids(ds: Dataset, pairs: pd.DataFrame, contents: StoreContents
                    ) -> tuple[pd.DataFrame, pd.DataFrame, list[Any], tuple[pd.DataFrame, pd.DataFrame]]:
    """The dataset's interactions (``frame``) and the store's pairs (``fresh``) in one id type,
    the stored items' keys in that type, and the (item, user) tables converted alike."""
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
    return frame, fresh, item_keys, (item_table, user_table)


def _merged(frame: pd.DataFrame, fresh: pd.DataFrame, positive: np.ndarray) -> tuple[pd.DataFrame, int]:
    """The interactions with the store's positive pairs added or updated and the others removed;
    and how many pairs were removed."""
    keyed = pd.concat([frame, fresh], ignore_index=True)
    keep = ~keyed.duplicated(["user", "item"], keep="last").to_numpy()
    keep[len(frame):] &= positive
    removed = set(zip(fresh["user"][~positive], fresh["item"][~positive], strict=True))
    if removed:
        keep[:len(frame)] &= [pair not in removed for pair in zip(frame["user"], frame["item"], strict=True)]
    return keyed.loc[keep].reset_index(drop=True), len(removed)


def _same_type(ids: pd.Series, known: np.ndarray) -> tuple[pd.Series, bool]:
    """Store ids (text) as the dataset's id type; False when some cannot be (the ids become text)."""
    if known.dtype.kind in "iu":
        parsed = pd.to_numeric(ids, errors="coerce")
        ok = parsed.notna() & (parsed == parsed.round())
        if bool(ok.all()):
            return parsed.astype(np.int64), True
        return ids, False
    return ids, known.dtype.kind in "OUS"


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
