"""A compact real dataset for the product-loop tests: the embedded MovieTweetings sample cut to its
most rated movies and the users who rated several of them (no FUSEREC_DATA_DIR needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fuserec.data import Dataset, load_dataset


def compact_sample(n_items: int = 300, min_user: int = 3) -> Dataset:
    ds = load_dataset("movietweetings-100k")
    inter = ds.interactions
    top = np.argsort(-ds.item_counts(), kind="stable")[:n_items]
    inter = inter[inter["item"].isin(top)]
    counts = inter["user"].value_counts()
    inter = inter[inter["user"].isin(counts.index[counts >= min_user])]
    frame = pd.DataFrame({"user": ds.users.to_external(inter["user"].to_numpy()),
                          "item": ds.items.to_external(inter["item"].to_numpy()),
                          "rating": inter["rating"].to_numpy(), "timestamp": inter["timestamp"].to_numpy()})
    items = ds.item_table.iloc[np.sort(top)].reset_index(drop=True)
    return Dataset.from_frame("movietweetings-sample", frame, item_table=items, rating_scale=ds.rating_scale)


@pytest.fixture(scope="session")
def sample() -> Dataset:
    return compact_sample()
