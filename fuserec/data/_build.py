"""Shared last step of every loader: numbers parsed, rows cleaned, tables aligned, Dataset built."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuserec.data.dataset import Dataset
from fuserec.data.reader import numeric_column
from fuserec.data.validate import BotPolicy, DuplicatePolicy, InvalidPolicy, clean_interactions
from fuserec.errors import UsageError

log = logging.getLogger("fuserec.data")

_YEAR = re.compile(r"\((\d{4})\)\s*$")


def parse_interactions(
    raw: pd.DataFrame,
    path: Path,
    *,
    rating: str | None = "rating",
    timestamp: str | None = "timestamp",
    int_ids: bool = False,
) -> pd.DataFrame:
    """Turn a string table with ``user``/``item`` (+ rating, timestamp) columns into typed columns.

    ``int_ids``: the dataset's ids are integers (MovieLens, Last.fm, goodbooks); they become int64
    so that users can pass ``1`` rather than ``"1"``.
    """
    out = pd.DataFrame({"user": raw["user"].str.strip(), "item": raw["item"].str.strip(), "_line": raw["_line"]})
    if int_ids:
        for col in ("user", "item"):
            out[col] = numeric_column(raw, col, path, integer=True).astype(np.int64)
    if rating is not None:
        out["rating"] = numeric_column(raw, rating, path, allow_missing=True)
    if timestamp is not None:
        out["timestamp"] = numeric_column(raw, timestamp, path, integer=True).astype(np.int64)
    return out


def build_dataset(
    name: str,
    frame: pd.DataFrame,
    path: Path,
    *,
    item_table: pd.DataFrame | None = None,
    user_table: pd.DataFrame | None = None,
    rating_scale: tuple[float, float] | None = None,
    items_path: Path | None = None,
    check_items: bool = True,
    duplicates: DuplicatePolicy = "keep-last",
    invalid: InvalidPolicy = "error",
    bots: BotPolicy = "keep",
    rejects: str | Path | None = None,
) -> Dataset:
    """Clean ``frame`` (external ids, ``_line``) and build the Dataset over the tables' ids."""
    known = item_table["id"] if (check_items and item_table is not None and len(item_table)) else None
    frame, report = clean_interactions(
        frame,
        path,
        rating_scale=rating_scale,
        known_items=known,
        items_path=items_path,
        duplicates=duplicates,
        invalid=invalid,
        bots=bots,
        rejects=rejects,
    )
    report_items_without_text(item_table, report, items_path or path)
    return Dataset.from_frame(
        name, frame, item_table=item_table, user_table=user_table, rating_scale=rating_scale, report=report
    )


def report_items_without_text(item_table: pd.DataFrame | None, report: dict[str, Any], path: Path) -> None:
    """Count (and warn of) items whose every text column is empty: the text models cannot place them."""
    if item_table is None or not len(item_table):
        return
    text = [c for c in item_table.columns if c != "id" and pd.api.types.is_string_dtype(item_table[c])]
    if text:
        empty = np.logical_and.reduce([item_table[c].fillna("").astype(str).str.strip().eq("").to_numpy()
                                       for c in text])
        report["items_without_text"] = int(empty.sum())
        if empty.any():
            log.warning("%s: %d items without text; the text models place them by interactions alone",
                        path, int(empty.sum()))


def year_from_title(titles: pd.Series) -> pd.Series:
    """The '(1995)' year at the end of MovieLens-style titles, as nullable Int64."""
    return pd.to_numeric(titles.str.extract(_YEAR, expand=False), errors="coerce").astype("Int64")


def unique_ids(table: pd.DataFrame, path: Path, what: str = "id", *, integer: bool = False) -> pd.DataFrame:
    """Raise on an id listed twice in an item/user table (the later line is named); drop ``_line``.

    ``integer``: ids must be integers and become int64.
    """
    if integer:
        table = table.assign(id=numeric_column(table, "id", path, integer=True).astype(np.int64))
    dup = table["id"].duplicated()
    if dup.any():
        from fuserec.errors import DataError

        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(f"{what} {table['id'].iloc[i]!r} is listed twice", file=path,
                        line=int(table["_line"].iloc[i]) if "_line" in table else None, field="id",
                        expected=f"each {what} once")
    return table.drop(columns="_line", errors="ignore")


def loader_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The cleaning options a loader passes on to ``build_dataset``."""
    allowed = {"duplicates", "invalid", "bots", "rejects"}
    unknown = set(kwargs) - allowed
    if unknown:
        raise UsageError(f"unknown loader option(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return kwargs
