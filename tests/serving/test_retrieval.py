"""Retrieval: the exact index is exact, the faiss index keeps recall against it on a large catalogue."""

from __future__ import annotations

import os

import numpy as np
import pytest

from fuserec.serving.retrieval import ExactIndex, build_index, recall_at_k


def _clustered(n: int, dim: int, centres: int, noise: float, seed: int, queries: int = 0) -> np.ndarray:
    """``n + queries`` unit rows around ``centres`` random unit centres, noise of norm about ``noise``."""
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centres, dim)).astype(np.float32)
    middle /= np.linalg.norm(middle, axis=1, keepdims=True)
    total = n + queries
    x = middle[rng.integers(0, centres, total)]
    x += noise * rng.standard_normal((total, dim)).astype(np.float32) / np.sqrt(dim)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_exact_index_returns_the_largest_inner_products_and_takes_new_rows():
    vectors = _clustered(500, 16, 5, 0.5, seed=1)
    index = ExactIndex(vectors)
    idx, scores = index.search(vectors[:3], 4)
    assert idx[:, 0].tolist() == [0, 1, 2]
    brute = np.sort(vectors[:3] @ vectors.T, axis=1)[:, ::-1][:, :4]
    np.testing.assert_allclose(scores, brute, rtol=1e-5)
    index.add(-vectors[:1])
    assert len(index) == 501
    assert index.search(-vectors[:1], 1)[0][0, 0] == 500


def test_small_catalogues_are_scored_exactly():
    assert build_index(_clustered(100, 8, 4, 0.5, seed=2), exact_below=1000).kind == "exact"


def test_faiss_recall_at_10_on_100k_clustered_384d_vectors():
    pytest.importorskip("faiss")
    both = _clustered(100_000, 384, 100, 0.5, seed=3, queries=500)
    vectors, queries = both[:100_000], both[100_000:]
    index = build_index(vectors, exact_below=50_000)
    assert index.kind == "faiss-ivf"
    assert recall_at_k(index, vectors, queries, k=10) >= 0.95
    index.add(queries[:1])
    assert index.search(queries[:1], 1)[0][0, 0] == 100_000


def test_faiss_builds_on_every_core_and_answers_on_one_thread():
    faiss = pytest.importorskip("faiss")
    from fuserec.serving.retrieval import all_threads_then_one

    seen = []
    with all_threads_then_one():
        seen.append(faiss.omp_get_max_threads())
    assert seen == [len(os.sched_getaffinity(0))] and faiss.omp_get_max_threads() == 1
    with pytest.raises(RuntimeError), all_threads_then_one():  # one thread also after a failed build
        raise RuntimeError("build failed")
    assert faiss.omp_get_max_threads() == 1


def test_faiss_search_breadth_is_tuned_to_the_recall_asked_for(caplog):
    pytest.importorskip("faiss")
    from fuserec.serving.retrieval import FaissIndex

    vectors = _clustered(20_000, 64, 20, 0.8, seed=4)
    with caplog.at_level("INFO", logger="fuserec.serving"):
        tuned = FaissIndex(vectors)
    assert tuned.recall >= FaissIndex.TUNE_RECALL and "recall@10" in caplog.text
    narrow = FaissIndex(vectors, probes=1)
    assert narrow.recall is None and tuned.probes > narrow.probes
    assert recall_at_k(tuned, vectors, vectors[:300]) > recall_at_k(narrow, vectors, vectors[:300])


def _titled(n: int, queries: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Item texts as title + category + a shared template, and queries that are titles alone (what
    people type): the queries lie away from the items, unlike midpoints of two items."""
    rng = np.random.default_rng(seed)

    def unit(x: np.ndarray) -> np.ndarray:
        return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)

    words, categories, template = unit(rng.standard_normal((300, dim))), unit(rng.standard_normal((50, dim))), \
        unit(rng.standard_normal(dim))
    titles = words[rng.integers(0, len(words), (n, 4))].sum(axis=1)
    items = unit(titles / 2 + categories[rng.integers(0, len(categories), n)] + template)
    return items, unit(titles[rng.integers(0, n, queries)])


def test_faiss_tunes_on_the_queries_it_is_given():
    pytest.importorskip("faiss")
    from fuserec.serving.retrieval import FaissIndex

    vectors, titles = _titled(20_000, 600, 64, seed=5)
    own = FaissIndex(vectors)  # tuned on midpoints of items
    told = FaissIndex(vectors, queries=titles[:300])
    assert told.recall >= FaissIndex.TUNE_RECALL and told.probes > own.probes
    assert recall_at_k(own, vectors, titles[300:]) < 0.9 <= recall_at_k(told, vectors, titles[300:])
