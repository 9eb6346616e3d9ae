"""Shared fixtures: the real datasets folder ($FUSEREC_DATA_DIR) and loaded datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fuserec.data import Dataset, load_dataset
from fuserec.semantic import EmbeddingCache, SemanticIndex


def data_dir() -> Path | None:
    value = os.environ.get("FUSEREC_DATA_DIR")
    return Path(value) if value and Path(value).is_dir() else None


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
    return EmbeddingCache(tmp_path_factory.mktemp("emb") / "cache.sqlite")


@pytest.fixture(scope="session")
def minilm_index(ml100k: Dataset, cache: EmbeddingCache) -> SemanticIndex:
    return SemanticIndex(ml100k, "minilm", cache=cache, show_progress=False)


@pytest.fixture(scope="session")
def e5_index(ml100k: Dataset, cache: EmbeddingCache) -> SemanticIndex:
    return SemanticIndex(ml100k, "e5", cache=cache, show_progress=False)
