"""MIND news loader (Wu et al., ACL 2020): ``behaviors.tsv`` impressions and ``news.tsv`` articles.

Interactions are clicks. Clicks in an impression carry its time; clicks listed in a user's
history happened before their first impression, so they get that impression's time minus one
second (an upper bound, stated here rather than invented silently). Impressions shown but not
clicked are kept in ``Dataset.report['non_clicks']`` as a count only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuserec.data._build import build_dataset, loader_options, unique_ids
from fuserec.data.dataset import Dataset
from fuserec.data.reader import read_table
from fuserec.data.validate import clean_text
from fuserec.errors import DataError

NEWS_COLUMNS = ["id", "category", "subcategory", "title", "abstract", "url", "title_entities", "abstract_entities"]
BEHAVIOR_COLUMNS = ["impression_id", "user", "time", "history", "impressions"]


def load_mind(folder: str | Path, name: str = "mind", **options: Any) -> Dataset:
    """A MIND folder (e.g. ``MINDsmall_train``) holding ``behaviors.tsv`` and ``news.tsv``."""
    folder = Path(folder)
    npath, bpath = folder / "news.tsv", folder / "behaviors.tsv"
    news = read_table(npath, NEWS_COLUMNS, sep="\t", header=False, optional=NEWS_COLUMNS[4:])
    items = news[[c for c in ("id", "category", "subcategory", "title", "abstract", "_line") if c in news]].copy()
    items["title"] = clean_text(items["title"])
    if "abstract" in items:
        items["abstract"] = clean_text(items["abstract"])
    items = unique_ids(items, npath, "news id")

    beh = read_table(bpath, BEHAVIOR_COLUMNS, sep="\t", header=False)
    when = pd.to_datetime(beh["time"], format="%m/%d/%Y %I:%M:%S %p", errors="coerce")
    if when.isna().any():
        i = int(np.flatnonzero(when.isna().to_numpy())[0])
        raise DataError(f"{beh['time'].iloc[i]!r} is not a time", file=bpath, line=int(beh["_line"].iloc[i]),
                        field="time", expected="a time like '11/15/2019 8:55:22 AM'")
    beh["ts"] = (when - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)

    imp = beh[["user", "ts", "_line", "impressions"]].assign(tok=beh["impressions"].str.split(" ")).explode("tok")
    imp = imp[imp["tok"].notna() & (imp["tok"] != "")]
    parts = imp["tok"].str.rsplit("-", n=1, expand=True)
    if parts.shape[1] != 2 or parts[1].isna().any() or not parts[1].isin(["0", "1"]).all():
        bad = imp[parts[1].isna() | ~parts[1].isin(["0", "1"])] if parts.shape[1] == 2 else imp
        raise DataError(f"{bad['tok'].iloc[0]!r} is not 'NEWSID-0' or 'NEWSID-1'", file=bpath,
                        line=int(bad["_line"].iloc[0]), field="impressions", expected="NEWSID-label pairs")
    clicked = parts[1] == "1"
    clicks = pd.DataFrame({"user": imp["user"], "item": parts[0], "timestamp": imp["ts"], "_line": imp["_line"]})[
        clicked.to_numpy()
    ]

    first = beh.groupby("user", sort=False).agg(ts=("ts", "min"), _line=("_line", "min"))
    hist = beh[["user", "history"]].assign(item=beh["history"].str.split(" ")).explode("item")
    hist = hist[hist["item"].notna() & (hist["item"] != "")].drop_duplicates(["user", "item"])
    hist = hist.join(first, on="user")
    history = pd.DataFrame({"user": hist["user"], "item": hist["item"], "timestamp": hist["ts"] - 1,
                            "_line": hist["_line"]})

    frame = pd.concat([history, clicks], ignore_index=True)
    frame["rating"] = 1.0
    options.setdefault("duplicates", "keep-last")  # a history click repeats in every impression
    ds = build_dataset(name, frame, bpath, item_table=items, rating_scale=None, items_path=npath,
                       **loader_options(options))
    ds.interactions = ds.interactions.drop(columns="rating")
    ds.report["non_clicks"] = int((~clicked).sum())
    return ds
