"""MovieTweetings loader (Dooms et al. 2013): ratings 0–10 from tweets, IMDb ids, ``::``-separated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from fuserec.data._build import build_dataset, loader_options, parse_interactions, unique_ids, year_from_title
from fuserec.data.dataset import Dataset
from fuserec.data.reader import read_table
from fuserec.data.validate import clean_text


def _file(folder: Path, name: str) -> Path:
    """``name`` or its gzip-compressed twin (the embedded sample ships compressed)."""
    plain = folder / name
    gz = folder / f"{name}.gz"
    return plain if plain.exists() or not gz.exists() else gz


def load_movietweetings(folder: str | Path, name: str = "movietweetings-100k", **options: Any) -> Dataset:
    """A MovieTweetings snapshot or release folder holding ``ratings.dat`` and ``movies.dat``."""
    folder = Path(folder)
    mpath = _file(folder, "movies.dat")
    movies = read_table(mpath, ["id", "title", "genres"], sep="::", header=False, optional=["genres"])
    items = pd.DataFrame({"id": movies["id"].str.strip(), "title": clean_text(movies["title"]),
                          "genres": movies["genres"] if "genres" in movies else "", "_line": movies["_line"]})
    items["year"] = year_from_title(items["title"])
    items = unique_ids(items, mpath, "item")
    rpath = _file(folder, "ratings.dat")
    raw = read_table(rpath, ["user", "item", "rating", "timestamp"], sep="::", header=False)
    return build_dataset(name, parse_interactions(raw, rpath), rpath, item_table=items,
                         rating_scale=(0.0, 10.0), items_path=mpath, **loader_options(options))
