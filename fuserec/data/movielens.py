"""MovieLens loaders: 100K (``u.data``), 1M (``::``), and latest-small / 25M (CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuserec.data._build import build_dataset, loader_options, parse_interactions, unique_ids, year_from_title
from fuserec.data.dataset import Dataset
from fuserec.data.reader import read_table
from fuserec.data.validate import clean_text
from fuserec.errors import UsageError

ML100K_GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]


def _ml100k_items(folder: Path) -> pd.DataFrame:
    path = folder / "u.item"
    cols = ["id", "title", "release_date", "video_release_date", "url", *ML100K_GENRES]
    raw = read_table(path, cols, sep="|", header=False, encoding="latin-1")
    flags = raw[ML100K_GENRES].to_numpy() == "1"
    names = np.array(ML100K_GENRES, dtype=object)
    genres = ["|".join(names[row]) for row in flags]
    items = pd.DataFrame(
        {
            "id": raw["id"].str.strip(),
            "title": clean_text(raw["title"]),
            "genres": genres,
            "release_date": raw["release_date"],
            "url": raw["url"],
            "_line": raw["_line"],
        }
    )
    items["year"] = year_from_title(items["title"])
    return unique_ids(items, path, "item", integer=True)


def _ml100k_users(folder: Path) -> pd.DataFrame | None:
    path = folder / "u.user"
    if not path.exists():
        return None
    raw = read_table(path, ["id", "age", "gender", "occupation", "zip"], sep="|", header=False)
    return unique_ids(raw.assign(age=pd.to_numeric(raw["age"], errors="coerce")), path, "user", integer=True)


def read_ml100k_ratings(path: Path) -> pd.DataFrame:
    """One ml-100k ratings file (``u.data``, ``u1.base``, ...) as typed rows with external ids."""
    raw = read_table(path, ["user", "item", "rating", "timestamp"], sep="\t", header=False)
    return parse_interactions(raw, path, int_ids=True)


def load_ml100k(folder: str | Path, **options: Any) -> Dataset:
    """MovieLens 100K: 100,000 ratings 1–5 by 943 users of 1,682 movies (``u.item`` is Latin-1)."""
    folder = Path(folder)
    items = _ml100k_items(folder)
    frame = read_ml100k_ratings(folder / "u.data")
    return build_dataset(
        "ml-100k", frame, folder / "u.data", item_table=items, user_table=_ml100k_users(folder),
        rating_scale=(1.0, 5.0), items_path=folder / "u.item", **loader_options(options),
    )


def load_ml1m(folder: str | Path, **options: Any) -> Dataset:
    """MovieLens 1M: ``ratings.dat``/``movies.dat``/``users.dat``, ``::``-separated, Latin-1."""
    folder = Path(folder)
    mpath = folder / "movies.dat"
    movies = read_table(mpath, ["id", "title", "genres"], sep="::", header=False, encoding="latin-1")
    items = pd.DataFrame({"id": movies["id"].str.strip(), "title": clean_text(movies["title"]),
                          "genres": movies["genres"], "_line": movies["_line"]})
    items["year"] = year_from_title(items["title"])
    items = unique_ids(items, mpath, "item", integer=True)
    users = None
    if (folder / "users.dat").exists():
        u = read_table(folder / "users.dat", ["id", "gender", "age", "occupation", "zip"], sep="::", header=False)
        users = unique_ids(u, folder / "users.dat", "user", integer=True)
    rpath = folder / "ratings.dat"
    raw = read_table(rpath, ["user", "item", "rating", "timestamp"], sep="::", header=False)
    frame = parse_interactions(raw, rpath, int_ids=True)
    return build_dataset("ml-1m", frame, rpath, item_table=items, user_table=users, rating_scale=(1.0, 5.0),
                         items_path=mpath, **loader_options(options))


def load_ml_csv(folder: str | Path, name: str = "ml-latest-small", **options: Any) -> Dataset:
    """MovieLens CSV releases (latest-small, 25M): ratings 0.5–5, movies, and user tags as item text."""
    folder = Path(folder)
    mpath = folder / "movies.csv"
    movies = read_table(mpath, ["movieId", "title", "genres"], sep=",", header=True, quoted=True)
    items = pd.DataFrame({"id": movies["movieId"].str.strip(), "title": clean_text(movies["title"]),
                          "genres": movies["genres"].replace("(no genres listed)", ""), "_line": movies["_line"]})
    items["year"] = year_from_title(items["title"])
    items = unique_ids(items, mpath, "item", integer=True)
    tpath = folder / "tags.csv"
    if tpath.exists():
        tags = read_table(tpath, ["userId", "movieId", "tag"], sep=",", header=True, quoted=True)
        tags["tag"] = clean_text(tags["tag"]).str.lower()
        tags = tags[tags["tag"] != ""].drop_duplicates(["movieId", "tag"])
        joined = tags.groupby(tags["movieId"].astype(np.int64))["tag"].agg("|".join)
        items["tags"] = items["id"].map(joined).fillna("")
    lpath = folder / "links.csv"
    if lpath.exists():
        links = read_table(lpath, ["movieId", "imdbId"], sep=",", header=True)
        imdb = links.set_index(links["movieId"].astype(np.int64))["imdbId"]
        items["imdb_id"] = items["id"].map(imdb).fillna("")
    rpath = folder / "ratings.csv"
    raw = read_table(rpath, ["userId", "movieId", "rating", "timestamp"], sep=",", header=True)
    raw = raw.rename(columns={"userId": "user", "movieId": "item"})
    return build_dataset(name, parse_interactions(raw, rpath, int_ids=True), rpath, item_table=items,
                         rating_scale=(0.5, 5.0), items_path=mpath, **loader_options(options))


def load_ml_latest_small(folder: str | Path, **options: Any) -> Dataset:
    """MovieLens latest-small (2018): 100,836 ratings, 610 users, 9,724 movies, 3,683 tags."""
    return load_ml_csv(folder, "ml-latest-small", **options)


def load_ml25m(folder: str | Path, **options: Any) -> Dataset:
    """MovieLens 25M: the same CSV format as latest-small, 25 million ratings."""
    return load_ml_csv(folder, "ml-25m", **options)


def ml100k_fold_files(folder: str | Path, fold: str) -> tuple[Path, Path]:
    """The canonical ml-100k split files: ``fold`` in u1..u5, ua, ub."""
    folder = Path(folder)
    allowed = [f"u{i}" for i in range(1, 6)] + ["ua", "ub"]
    if fold not in allowed:
        raise UsageError(f"ml-100k predefined folds are {allowed}, not {fold!r}")
    return folder / f"{fold}.base", folder / f"{fold}.test"
