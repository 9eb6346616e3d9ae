"""The user's own interaction and metadata files (CSV, TSV, Parquet), with column mapping."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuserec.data._build import build_dataset, loader_options, report_items_without_text, unique_ids
from fuserec.data.dataset import Dataset
from fuserec.data.parquet_rows import Policies, id_array, read_parquet_rows
from fuserec.data.reader import numeric_column, read_table
from fuserec.data.streaming import read_delimited_events
from fuserec.data.validate import clean_text
from fuserec.errors import DataError, UsageError

ROLES = ("user", "item", "rating", "timestamp")


def _separator(path: Path, sep: str | None) -> str:
    if sep is not None:
        return sep
    suffixes = [s for s in path.suffixes if s != ".gz"]
    return "\t" if suffixes and suffixes[-1] in (".tsv", ".tab") else ","


def _is_parquet(path: Path) -> bool:
    """A ``.parquet`` file, or a folder (read as Parquet shards)."""
    return path.suffix == ".parquet" or path.is_dir()


def _read_any(
    path: Path, columns: list[str], sep: str | None, header: bool, encoding: str, optional: list[str] | None = None
) -> pd.DataFrame:
    """A string table with ``_line``: Parquet by suffix (or a folder of Parquet shards), otherwise
    delimited text."""
    if _is_parquet(path):
        if not path.exists():
            raise DataError("file not found", file=path, expected="an existing file")
        try:
            table = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a corrupt file
            raise DataError(f"not a readable Parquet file ({type(exc).__name__}: {exc})", file=path,
                            expected="a Parquet file") from None
        missing = [c for c in columns if c not in table.columns and c not in (optional or [])]
        if missing:
            raise DataError("missing column", file=path, field=missing[0],
                            expected=f"columns {columns}; the file has {list(table.columns)}")
        present = [c for c in columns if c in table.columns]
        out = table.astype({c: str for c in present})
        out = out.assign(**{c: out[c].where(table[c].notna(), "") for c in present})
        out["_line"] = np.arange(1, len(out) + 1)  # Parquet has no lines: the row number (1-based)
        return out
    return read_table(path, columns, sep=_separator(path, sep), header=header, encoding=encoding, quoted=True,
                      optional=optional or ())


def parse_time(raw: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    """Seconds since the epoch from numbers or ISO-8601 date-times."""
    first = pd.to_numeric(raw[column].iloc[:1], errors="coerce")
    if first.notna().all():  # the column holds numbers: Unix seconds
        return numeric_column(raw, column, path, integer=False).astype(np.int64)
    when = pd.to_datetime(raw[column], errors="coerce", utc=True, format="ISO8601")
    if when.isna().any():
        i = int(np.flatnonzero(when.isna().to_numpy())[0])
        raise DataError(f"{raw[column].iloc[i]!r} is not a time", file=path, line=int(raw["_line"].iloc[i]),
                        field=column, expected="Unix seconds or an ISO-8601 date-time")
    return ((when - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)


def load_files(
    interactions: str | Path,
    items: str | Path | None = None,
    users: str | Path | None = None,
    *,
    columns: Mapping[str, str] | None = None,
    item_id_column: str = "item",
    user_id_column: str = "user",
    sep: str | None = None,
    header: bool = True,
    encoding: str = "utf-8",
    rating_scale: tuple[float, float] | None = None,
    name: str | None = None,
    **options: Any,
) -> Dataset:
    """Load the user's own files.

    ``columns`` maps roles to the file's column names, e.g. ``{"user": "userId", "item":
    "movieId", "rating": "stars", "timestamp": "ts"}``; ``user`` and ``item`` are required,
    ``rating`` and ``timestamp`` optional (omit them for implicit data without time). Without a
    header, give the file's columns in order as ``columns`` values and set ``header=False``.
    ``items``/``users`` are tables keyed by ``item_id_column``/``user_id_column``; their other
    columns (title, genres, description, ...) become the item/user table, HTML cleaned.
    ``rating_scale=(lo, hi)`` makes out-of-range ratings an error; without it, the observed range
    of ratings is taken as the scale.
    """
    path = Path(interactions)
    mapping = dict(columns or {"user": "user", "item": "item", "rating": "rating", "timestamp": "timestamp"})
    unknown = set(mapping) - set(ROLES)
    if unknown:
        raise UsageError(f"columns keys must be among {ROLES}, not {sorted(unknown)}")
    for role in ("user", "item"):
        if role not in mapping:
            raise UsageError(f"columns must name the '{role}' column")
    # Without an explicit mapping, rating and timestamp are used when the file has them.
    optional = [mapping[r] for r in ("rating", "timestamp") if r in mapping] if columns is None else []
    item_table = _side_table(Path(items), item_id_column, sep, encoding, "item") if items is not None else None
    user_table = _side_table(Path(users), user_id_column, sep, encoding, "user") if users is not None else None
    name = name or path.stem.split(".")[0]
    items_path = Path(items) if items is not None else None
    if _is_parquet(path):
        ds = _parquet_dataset(name, path, mapping, optional, item_table, user_table, rating_scale, items_path,
                              loader_options(options))
    else:
        ds = build_dataset(name, read_delimited_events(path, mapping, optional, _separator(path, sep), header,
                                                       encoding),
                           path, item_table=item_table, user_table=user_table, rating_scale=rating_scale,
                           items_path=items_path, **loader_options(options))
    if ds.has_ratings and rating_scale is None and len(ds):
        # explicit ratings without a stated scale: the observed range stands for it
        r = ds.column("rating")
        ds.rating_scale = (float(r.min()), float(r.max()))
    return ds


def _parquet_dataset(name: str, path: Path, mapping: dict[str, str], optional: list[str],
                     item_table: pd.DataFrame | None, user_table: pd.DataFrame | None,
                     rating_scale: tuple[float, float] | None, items_path: Path | None,
                     options: dict[str, Any]) -> Dataset:
    """A Parquet log read into user-grouped CSR arrays (``parquet_rows``), never a whole-log frame."""
    listed = item_table["id"] if item_table is not None and len(item_table) else None
    policies = Policies(rating_scale=rating_scale, known_items=id_array(listed), items_path=items_path,
                        rejects=Path(options["rejects"]) if options.get("rejects") is not None else None,
                        **{k: v for k, v in options.items() if k != "rejects"})
    read = read_parquet_rows(path, mapping, optional, policies,
                             user_ids=id_array(user_table["id"]) if user_table is not None else None,
                             item_ids=id_array(listed))
    report_items_without_text(item_table, read.report, items_path or path)
    item_table, user_table = _with_ids(item_table, read.item_ids), _with_ids(user_table, read.user_ids)
    return Dataset.from_rows(name, read.rows, item_table=item_table, user_table=user_table,
                             rating_scale=rating_scale, report=read.report, check=False)


def _with_ids(table: pd.DataFrame | None, ids: pd.Series) -> pd.DataFrame:
    """The table (whose ids come first in ``ids``) with a row for each id seen only in the log."""
    if table is None or not len(table):
        return pd.DataFrame({"id": ids.reset_index(drop=True)})
    extra = ids.iloc[len(table):]
    if not len(extra):
        return table.reset_index(drop=True)
    return pd.concat([table.reset_index(drop=True), pd.DataFrame({"id": extra})], ignore_index=True)


def _side_table(path: Path, id_column: str, sep: str | None, encoding: str, what: str) -> pd.DataFrame:
    raw = _read_any(path, [id_column], sep, True, encoding)
    table = raw.rename(columns={id_column: "id"})
    table["id"] = table["id"].astype(str).str.strip()
    for col in table.columns:
        if col not in ("id", "_line") and pd.api.types.is_string_dtype(table[col]):
            table[col] = clean_text(table[col])
    return unique_ids(table, path, what)
