"""Validation and cleaning of interactions and item text: duplicates, bad ratings, unknown items, HTML.

Every check reports what it found in a dict (``Dataset.report``) and either fixes it under a
named policy or raises ``DataError`` naming the file, line and field.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from fuserec.errors import DataError, UsageError

log = logging.getLogger("fuserec.data")

DuplicatePolicy = Literal["keep-last", "mean", "error"]
InvalidPolicy = Literal["error", "drop"]
BotPolicy = Literal["keep", "drop"]
BOT_FACTOR = 100
"""A user with more than this many times the median user's interactions is reported as a suspected bot."""

_TAG = r"<[^>]{0,200}>"


def clean_text(values: pd.Series) -> pd.Series:
    """Strip HTML tags and entities and collapse whitespace (vectorised over a Series of str)."""
    s = values.fillna("").astype(str)
    has_markup = s.str.contains(r"[<&]", regex=True)
    if has_markup.any():
        fixed = s[has_markup].str.replace(_TAG, " ", regex=True).map(html.unescape)
        s = s.copy()
        s[has_markup] = fixed
    return s.str.replace(r"\s+", " ", regex=True).str.strip()


def clean_interactions(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    rating_scale: tuple[float, float] | None = None,
    known_items: Iterable[Any] | None = None,
    items_path: str | Path | None = None,
    duplicates: DuplicatePolicy = "keep-last",
    invalid: InvalidPolicy = "error",
    bots: BotPolicy = "keep",
    rejects: str | Path | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Check and clean interactions with external ids.

    ``frame`` has ``user``, ``item`` (text, or categoricals of text), optional ``rating`` (float,
    NaN = missing) and ``timestamp``, and ``_line`` (the file line of each row; without it, a
    row's line is its index plus one, as for Parquet). Returns the cleaned frame (sorted
    as read, ``_line`` dropped) and a report of what was found and done. Rows dropped as invalid
    (``invalid="drop"``) or as a suspected bot's (``bots="drop"``) are written to the CSV file
    ``rejects`` when given, with their line and the reason.
    """
    if duplicates not in ("keep-last", "mean", "error"):
        raise UsageError(f"duplicates must be 'keep-last', 'mean' or 'error', not {duplicates!r}")
    if invalid not in ("error", "drop"):
        raise UsageError(f"invalid must be 'error' or 'drop', not {invalid!r}")
    report: dict[str, Any] = {"rows_read": int(len(frame))}
    bad_masks = _invalid_rows(frame, rating_scale, known_items, items_path)
    drop = np.zeros(len(frame), dtype=bool)
    for key, mask, fieldname, expected in bad_masks:
        n = int(mask.sum())
        report[key] = n
        if n == 0:
            continue
        if invalid == "error":
            i = int(np.flatnonzero(mask)[0])
            value = frame[fieldname].iloc[i]
            value = value.item() if isinstance(value, np.generic) else value
            raise DataError(
                f"{key.replace('_', ' ')[:-1]} {value!r} ({n:,} such rows in the file)",
                file=path,
                line=_line(frame, i),
                field=fieldname,
                expected=expected,
            )
        drop |= mask
    rejected = []
    if drop.any():
        log.warning("%s: dropped %d invalid rows (%s)", path, int(drop.sum()),
                    ", ".join(f"{k}={report[k]}" for k, *_ in bad_masks if report[k]))
        reasons = np.select([m for _, m, *_ in bad_masks], [k for k, *_ in bad_masks], "")
        rejected.append(_with_lines(frame.loc[drop]).assign(reason=reasons[drop]))
        frame = frame.loc[~drop]
    report["dropped_invalid"] = int(drop.sum())

    frame = _suspected_bots(frame, path, bots, report, rejected)  # on raw rows: a bot repeats itself
    frame = _resolve_duplicates(frame, path, duplicates, report)
    if rejects is not None and rejected:
        _write_rejects(pd.concat(rejected, ignore_index=True), Path(rejects), report)
    report["rows_kept"] = int(len(frame))
    return frame.drop(columns="_line", errors="ignore").reset_index(drop=True), report


def _suspected_bots(frame: pd.DataFrame, path: str | Path, policy: str, report: dict[str, Any],
                    rejected: list[pd.DataFrame]) -> pd.DataFrame:
    """Report users with more than ``BOT_FACTOR`` × the median user's rows; drop them under ``"drop"``."""
    if policy not in ("keep", "drop"):
        raise UsageError(f"bots must be 'keep' or 'drop', not {policy!r}")
    counts = frame["user"].value_counts(sort=False)
    counts = counts[counts > 0]  # a categorical counts every category, also those of dropped rows
    heavy = counts.index[counts > BOT_FACTOR * max(float(counts.median()), 1.0)] if len(counts) else counts.index
    mask = frame["user"].isin(heavy).to_numpy()
    report["suspected_bots"], report["suspected_bot_rows"] = int(len(heavy)), int(mask.sum())
    if len(heavy):
        log.warning("%s: %d suspected bots (over %d× the median user's interactions, %d rows); %s", path,
                    len(heavy), BOT_FACTOR, int(mask.sum()), "dropped" if policy == "drop" else "kept (bots='drop' "
                    "drops them)")
    if policy == "drop" and mask.any():
        rejected.append(_with_lines(frame.loc[mask]).assign(reason="suspected_bot"))
        frame = frame.loc[~mask]
    return frame


def _write_rejects(rows: pd.DataFrame, path: Path, report: dict[str, Any]) -> None:
    """The dropped rows as CSV at ``path``, whole or not at all (written beside it, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    rows = rows.rename(columns={"_line": "line"})
    first = [c for c in ("user", "item", "line") if c in rows.columns]
    rows = rows[first + [c for c in rows.columns if c not in first]]
    rows.sort_values("line", kind="stable").to_csv(partial, index=False)
    partial.replace(path)
    report["rejected_rows_file"] = str(path)
    log.warning("%d rejected rows written to %s", len(rows), path)


def _resolve_duplicates(frame: pd.DataFrame, path: str | Path, policy: str, report: dict[str, Any]) -> pd.DataFrame:
    key = _pair_keys(frame)
    repeated, pair_dup = _repeats(key)
    # identical rows share their (user, item), so exact copies are looked for among repeated pairs only
    n_exact = int(frame.loc[pair_dup].drop(columns="_line", errors="ignore").duplicated(keep="first").sum())
    n_pair = int(repeated.sum())
    report["duplicate_rows"] = n_exact
    report["repeated_pairs"] = n_pair  # rows whose (user, item) appeared before, identical or not
    if n_pair == 0:
        return frame
    if policy == "error":
        i = int(np.flatnonzero(repeated)[0])
        row = frame.iloc[i]
        raise DataError(
            f"user {row['user']!r} and item {row['item']!r} appear again ({n_pair:,} repeated pairs)",
            file=path,
            line=_line(frame, i),
            expected="each (user, item) pair once, or duplicates='keep-last'/'mean'",
        )
    log.warning("%s: %d duplicate rows (%d exact copies); policy %s", path, n_pair, n_exact, policy)
    if policy == "keep-last":  # the pair's latest row; among equal times, the later in the file
        rows = np.flatnonzero(pair_dup)
        sort_keys = (frame["timestamp"].to_numpy()[rows], key[rows]) if "timestamp" in frame.columns else (key[rows],)
        order = np.lexsort(sort_keys)
        ends = key[rows[order]]
        last = np.append(ends[1:] != ends[:-1], True)
        keep = ~pair_dup
        keep[rows[order[last]]] = True
        return frame.loc[keep]
    # mean: average the ratings of a pair; keep the latest timestamp and the first line
    lined = "_line" in frame.columns
    agg: dict[str, str] = {"_line": "min"}
    if "rating" in frame.columns:
        agg["rating"] = "mean"
    if "timestamp" in frame.columns:
        agg["timestamp"] = "max"
    dup = _with_lines(frame.loc[pair_dup])
    merged = dup.groupby(["user", "item"], sort=False, observed=True, as_index=False).agg(agg)
    if not lined:  # back to row numbers in the index
        merged = merged.set_index(merged.pop("_line").to_numpy() - 1)
        return pd.concat([frame.loc[~pair_dup], merged]).sort_index(kind="stable")
    out = pd.concat([frame.loc[~pair_dup], merged], ignore_index=True)
    return out.sort_values("_line", kind="stable")


def _pair_keys(frame: pd.DataFrame) -> np.ndarray:
    """One int64 per row that names its (user, item) pair."""
    def codes(ids: pd.Series) -> np.ndarray:
        raw = ids.cat.codes.to_numpy() if isinstance(ids.dtype, pd.CategoricalDtype) else pd.factorize(ids)[0]
        return raw.astype(np.int64) + 1  # missing ids (-1) get a code of their own

    items = codes(frame["item"])
    return codes(frame["user"]) * (int(items.max(initial=0)) + 1) + items


def _repeats(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose pair appeared on an earlier row, and rows whose pair appears more than once.

    A stable sort of the keys puts each pair's rows together in file order, in a few arrays of
    the rows' length (a hash table over tens of millions of pairs takes several times more).
    """
    order = np.argsort(key, kind="stable")
    same = key[order[1:]] == key[order[:-1]]
    repeated = np.zeros(len(key), dtype=bool)
    repeated[order[1:][same]] = True
    pair_dup = repeated.copy()
    pair_dup[order[:-1][same]] = True
    return repeated, pair_dup


def _line(frame: pd.DataFrame, i: int) -> int:
    """The file line of the ``i``-th row: its ``_line``, or its index plus one (Parquet row numbers)."""
    return int(frame["_line"].iloc[i]) if "_line" in frame.columns else int(frame.index[i]) + 1


def _with_lines(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with a ``_line`` column, made from the index where the frame has none."""
    return rows if "_line" in rows.columns else rows.assign(_line=rows.index.to_numpy() + 1)


def _blank(ids: pd.Series) -> np.ndarray:
    """Rows whose id is empty after trimming; a categorical is checked once per distinct id."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        cats = ids.cat.categories
        empty = np.append(np.asarray(cats.astype(str).str.strip() == ""), True)  # code -1: missing
        return empty[ids.cat.codes.to_numpy()]
    return (ids.astype(str).str.strip() == "").to_numpy()


def rating_checks(rating: np.ndarray,
                  rating_scale: tuple[float, float] | None) -> list[tuple[str, np.ndarray, str, str]]:
    """``(report key, row mask, field, what was expected)`` for missing and out-of-range ratings."""
    checks = [("missing_ratings", np.isnan(rating), "rating", "a rating, not an empty or NaN value")]
    if rating_scale is not None:
        lo, hi = rating_scale
        with np.errstate(invalid="ignore"):
            out = ~np.isnan(rating) & ((rating < lo) | (rating > hi))
        checks.append(("out_of_range_ratings", out, "rating", f"a rating between {lo:g} and {hi:g}"))
    return checks


def _invalid_rows(frame: pd.DataFrame, rating_scale: tuple[float, float] | None, known_items: Iterable[Any] | None,
                  items_path: str | Path | None) -> list[tuple[str, np.ndarray, str, str]]:
    """``(report key, row mask, field, what was expected)`` for each kind of invalid row."""
    bad_masks: list[tuple[str, np.ndarray, str, str]] = []
    if "rating" in frame.columns:
        bad_masks += rating_checks(frame["rating"].to_numpy(dtype=np.float64), rating_scale)
    if known_items is not None:
        known = pd.Index(known_items)
        unknown = ~frame["item"].isin(known).to_numpy()
        where = f" of {items_path}" if items_path else ""
        bad_masks.append(("unknown_items", unknown, "item", f"an item id listed in the item table{where}"))
    for col in ("user", "item"):
        bad_masks.append((f"empty_{col}_ids", _blank(frame[col]), col, f"a {col} id"))
    return bad_masks
