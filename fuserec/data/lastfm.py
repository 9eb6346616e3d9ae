"""HetRec 2011 Last.fm loader: user–artist play counts (implicit), artist names, friendships."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuserec.data._build import build_dataset, loader_options, parse_interactions, unique_ids
from fuserec.data.dataset import Dataset
from fuserec.data.reader import numeric_column, read_table
from fuserec.data.validate import clean_text


def load_lastfm(folder: str | Path, **options: Any) -> Dataset:
    """``user_artists.dat`` (play count as ``rating``; implicit, no rating scale), ``artists.dat``,
    and ``user_friends.dat`` as ``Dataset.social`` (user–friend index pairs, both directions)."""
    folder = Path(folder)
    apath = folder / "artists.dat"
    artists = read_table(apath, ["id", "name"], sep="\t", header=True, quoted=False)
    items = pd.DataFrame({"id": artists["id"], "title": clean_text(artists["name"]), "_line": artists["_line"]})
    if "url" in artists:
        items["url"] = artists["url"]
    items = unique_ids(items, apath, "artist", integer=True)
    rpath = folder / "user_artists.dat"
    raw = read_table(rpath, ["userID", "artistID", "weight"], sep="\t", header=True)
    raw = raw.rename(columns={"userID": "user", "artistID": "item"})
    frame = parse_interactions(raw, rpath, rating="weight", timestamp=None, int_ids=True)
    ds = build_dataset("lastfm", frame, rpath, item_table=items, rating_scale=None, items_path=apath,
                       **loader_options(options))
    fpath = folder / "user_friends.dat"
    if fpath.exists():
        # The original file has a 'userID friendID' header line; some copies lack it.
        with open(fpath, encoding="utf-8", errors="replace") as fh:
            has_header = not fh.readline().split("\t")[0].strip().isdigit()
        cols = ["userID", "friendID"]
        fr = read_table(fpath, cols, sep="\t", header=has_header)
        u = numeric_column(fr, "userID", fpath, integer=True).astype(np.int64)
        f = numeric_column(fr, "friendID", fpath, integer=True).astype(np.int64)
        ui, fi = ds.users.to_index(u, missing="ignore"), ds.users.to_index(f, missing="ignore")
        keep = (ui >= 0) & (fi >= 0)
        ds.social = pd.DataFrame({"user": ui[keep], "friend": fi[keep]})
        ds.report["friendships"] = int(keep.sum())
    return ds
