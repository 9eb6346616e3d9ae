"""Amazon Review Data 2018 (Ni, Li, McAuley): reviews and product metadata, JSON lines, gzip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuserec.data._build import build_dataset, loader_options
from fuserec.data.dataset import Dataset
from fuserec.data.reader import read_json_lines
from fuserec.data.validate import clean_text
from fuserec.errors import DataError

REVIEW_SNIPPETS = 3  # review summaries kept per item as item text


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def load_amazon_metadata(path: str | Path) -> pd.DataFrame:
    """Product metadata (``meta_<Category>.json.gz``): one row per asin, HTML removed, duplicates dropped.

    The duplicate count is in ``table.attrs['duplicate_rows']``.
    """
    path = Path(path)
    raw = read_json_lines(path, ["asin", "title", "description", "category", "brand"],
                          optional=["title", "description", "category", "brand"])
    empty = raw["asin"].isna() | (raw["asin"].astype(str).str.strip() == "")
    if empty.any():
        line = int(raw.loc[empty, "_line"].iloc[0])
        raise DataError("empty asin", file=path, line=line, field="asin", expected="a product id")
    table = pd.DataFrame(
        {
            "id": raw["asin"].astype(str),
            "title": clean_text(raw["title"].map(_text)),
            "description": clean_text(raw["description"].map(_text)),
            "category": raw["category"].map(lambda c: "|".join(c) if isinstance(c, list) else _text(c)),
            "brand": clean_text(raw["brand"].map(_text)),
        }
    )
    dup = table["id"].duplicated(keep="first")
    table = table.loc[~dup].reset_index(drop=True)
    table.attrs["duplicate_rows"] = int(dup.sum())
    return table


def load_amazon_reviews(
    path: str | Path,
    name: str | None = None,
    *,
    metadata: str | Path | None = None,
    **options: Any,
) -> Dataset:
    """Reviews (``<Category>_5.json.gz``): ratings 1–5, timestamps, and review text as item/user text.

    Exact duplicate rows (common in these files) are reported in ``Dataset.report`` and removed.
    """
    path = Path(path)
    fields = ["reviewerID", "asin", "overall", "unixReviewTime", "summary", "reviewText"]
    raw = read_json_lines(path, fields, optional=["summary", "reviewText"])
    for col in ("overall", "unixReviewTime"):
        vals = pd.to_numeric(raw[col], errors="coerce")
        bad = vals.isna() & raw[col].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{raw[col].iloc[i]!r} is not a number", file=path, line=int(raw["_line"].iloc[i]),
                            field=col, expected="a number")
        raw[col] = vals
    frame = pd.DataFrame(
        {
            "user": raw["reviewerID"].astype(str),
            "item": raw["asin"].astype(str),
            "rating": raw["overall"].to_numpy(dtype=np.float64),
            "timestamp": raw["unixReviewTime"].fillna(0).to_numpy(dtype=np.int64),
            "_line": raw["_line"],
        }
    )
    summaries = clean_text(raw["summary"].map(_text))
    snippets = (
        pd.DataFrame({"item": frame["item"], "s": summaries})
        .loc[lambda d: d["s"] != ""]
        .drop_duplicates()
        .groupby("item")["s"]
        .agg(lambda s: " | ".join(s.iloc[:REVIEW_SNIPPETS]))
    )
    if metadata is not None:
        items = load_amazon_metadata(metadata)
    else:
        items = pd.DataFrame({"id": pd.unique(frame["item"])})
    items["reviews"] = items["id"].map(snippets).fillna("")
    ds = build_dataset(name or path.name.split(".")[0], frame, path, item_table=items,
                       rating_scale=(1.0, 5.0), check_items=metadata is not None,
                       items_path=Path(metadata) if metadata else None, **loader_options(options))
    # The same review posted under several variants of a product: identical in every field read.
    ds.report["duplicate_reviews"] = int(raw.drop(columns="_line").astype(str).duplicated().sum())
    return ds


def load_all_beauty(folder: str | Path, **options: Any) -> Dataset:
    """Amazon 2018 All_Beauty 5-core: 5,269 rows (1,053 exact duplicates), 991 users, 85 items."""
    return load_amazon_reviews(Path(folder) / "All_Beauty_5.json.gz", "amazon-all-beauty", **options)
