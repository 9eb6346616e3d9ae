"""goodbooks-10k loader: ratings 1–5 of 10,000 books, with authors, years and the top shelf tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuserec.data._build import build_dataset, loader_options, parse_interactions, unique_ids
from fuserec.data.dataset import Dataset
from fuserec.data.reader import numeric_column, read_table
from fuserec.data.validate import clean_text

TOP_TAGS = 10


def load_goodbooks(folder: str | Path, **options: Any) -> Dataset:
    """A goodbooks-10k folder with ``ratings.csv`` and ``books.csv`` (+ ``book_tags.csv``/``tags.csv``)."""
    folder = Path(folder)
    bpath = folder / "books.csv"
    books = read_table(bpath, ["book_id", "goodreads_book_id", "authors", "title", "original_publication_year"],
                       sep=",", header=True, quoted=True)
    year = pd.to_numeric(books["original_publication_year"], errors="coerce")
    items = pd.DataFrame(
        {
            "id": books["book_id"],
            "title": clean_text(books["title"]),
            "authors": clean_text(books["authors"]),
            "year": year.round().astype("Int64"),
            "goodreads_book_id": books["goodreads_book_id"],
            "_line": books["_line"],
        }
    )
    if "language_code" in books:
        items["language"] = books["language_code"]
    items = unique_ids(items, bpath, "book", integer=True)
    tpath, btpath = folder / "tags.csv", folder / "book_tags.csv"
    if tpath.exists() and btpath.exists():
        tags = read_table(tpath, ["tag_id", "tag_name"], sep=",", header=True, quoted=True)
        bt = read_table(btpath, ["goodreads_book_id", "tag_id", "count"], sep=",", header=True)
        bt["count"] = numeric_column(bt, "count", btpath)
        bt = bt.sort_values("count", ascending=False, kind="stable")
        bt["tag"] = bt["tag_id"].map(tags.set_index("tag_id")["tag_name"])
        top = bt.dropna(subset=["tag"]).groupby("goodreads_book_id", sort=False)["tag"].agg(
            lambda s: "|".join(s.iloc[:TOP_TAGS]))
        items["tags"] = items["goodreads_book_id"].map(top).fillna("")
    rpath = folder / "ratings.csv"
    raw = read_table(rpath, ["user_id", "book_id", "rating"], sep=",", header=True)
    raw = raw.rename(columns={"user_id": "user", "book_id": "item"})
    frame = parse_interactions(raw, rpath, timestamp=None, int_ids=True)
    # ratings.csv is sorted by time but carries no timestamps: the row order is the time order.
    frame["timestamp"] = np.arange(len(frame), dtype=np.int64)
    return build_dataset("goodbooks-10k", frame, rpath, item_table=items, rating_scale=(1.0, 5.0),
                         items_path=bpath, **loader_options(options))
