"""Shared fixtures: the embedded sample (no data needed), the real datasets folder
($FUSEREC_DATA_DIR) and datasets loaded from it."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fuserec.data import Dataset, load_dataset
from fuserec.semantic import EmbeddingCache, SemanticIndex


def data_dir() -> Path | None:
    value = os.environ.get("FUSEREC_DATA_DIR")
    return Path(value) if value and Path(value).is_dir() else None


# ---- the embedded sample: tests that need no downloaded data ----
def compact_sample(n_items: int = 300, min_user: int = 3) -> Dataset:
    """The embedded MovieTweetings sample cut to its most rated movies and the users who rated
    several of them: real interactions, timestamps and titles, small enough for unit tests."""
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


def pytest_collection_modifyitems(config, items):
    """A test that needs a downloaded dataset (the ``datasets_dir`` fixture, directly or through
    another fixture) is marked ``realdata``: ``-m "not realdata"`` runs the rest."""
    for item in items:
        if "datasets_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.realdata)


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    d = data_dir()
    if d is None:
        pytest.skip("FUSEREC_DATA_DIR is not set to the datasets folder")
    return d


@pytest.fixture(scope="session")
def ml100k(datasets_dir: Path) -> Dataset:
    return load_dataset("ml-100k", datasets_dir, download=False)


@pytest.fixture(scope="session")
def ml_small(datasets_dir: Path) -> Dataset:
    return load_dataset("ml-latest-small", datasets_dir, download=False)


# ---- semantic layer: one embedding cache per test session, each encoder's index built once ----
@pytest.fixture(scope="session")
def cache(tmp_path_factory) -> EmbeddingCache:
    return EmbeddingCache(tmp_path_factory.mktemp("emb") / "embeddings.sqlite")  # the name $FUSEREC_CACHE_DIR holds


@pytest.fixture(scope="session")
def minilm_index(ml100k: Dataset, cache: EmbeddingCache) -> SemanticIndex:
    return SemanticIndex(ml100k, "minilm", cache=cache, show_progress=False)


@pytest.fixture(scope="session")
def e5_index(ml100k: Dataset, cache: EmbeddingCache) -> SemanticIndex:
    return SemanticIndex(ml100k, "e5", cache=cache, show_progress=False)
