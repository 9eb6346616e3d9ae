"""Semantic-layer fixtures: one embedding cache per test session, the encoders loaded once."""

from __future__ import annotations

import pytest

from fuserec.semantic import EmbeddingCache, SemanticIndex


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    return EmbeddingCache(tmp_path_factory.mktemp("emb") / "cache.sqlite")


@pytest.fixture(scope="session")
def minilm_index(ml100k, cache):
    return SemanticIndex(ml100k, "minilm", cache=cache, show_progress=False)


@pytest.fixture(scope="session")
def e5_index(ml100k, cache):
    return SemanticIndex(ml100k, "e5", cache=cache, show_progress=False)
