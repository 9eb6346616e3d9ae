"""Perturbations of a dataset for robustness slices: missing text, noisy interactions, and item
order that carries no signal.

Each returns a new ``Dataset`` and leaves its input as it was; each is seeded, so the same seed
gives the same perturbation.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from fuserec.data.dataset import Dataset


def blank_texts(ds: Dataset, share: float = 0.3, seed: int = 0) -> Dataset:
    """``ds`` with every text field of a random ``share`` of the items emptied."""
    table = ds.item_table.copy()
    blank = np.random.default_rng(seed).random(len(table)) < share
    for col in table.columns:
        if col != "id" and (table[col].dtype == object or pd.api.types.is_string_dtype(table[col])):
            table.loc[blank, col] = ""
    return dataclasses.replace(ds, item_table=table)


def inject_noise(train: Dataset, share: float = 0.1, seed: int = 0) -> Dataset:
    """``train`` plus ``share`` × its size random (user, item) interactions, ratings and times
    drawn from the real ones; pairs already present are dropped."""
    rng = np.random.default_rng(seed)
    inter = train.interactions
    n = int(len(inter) * share)
    fake = pd.DataFrame({"user": rng.integers(0, train.n_users, n), "item": rng.integers(0, train.n_items, n)})
    for col in inter.columns:
        if col not in ("user", "item"):
            fake[col] = inter[col].to_numpy()[rng.integers(0, len(inter), n)]
    both = pd.concat([inter, fake], ignore_index=True).drop_duplicates(["user", "item"], keep="first")
    return train.with_interactions(both.reset_index(drop=True), f"{train.name}+noise")


def shuffle_items(ds: Dataset, seed: int = 0) -> Dataset:
    """``ds`` with its item indices permuted at random. Loaders number items in order of
    appearance, which follows popularity; a model that scores many items the same (Popularity
    on cold items) would then inherit that order from the tie-break. Shuffled, ties carry nothing."""
    perm = np.random.default_rng(seed).permutation(ds.n_items)  # new index of each old index
    inter = ds.interactions.copy()
    inter["item"] = perm[inter["item"].to_numpy()]
    table = ds.item_table.iloc[np.argsort(perm)].reset_index(drop=True)
    return dataclasses.replace(ds, interactions=inter, item_table=table,
                               items=type(ds.items)(ds.items.ids[np.argsort(perm)]))
