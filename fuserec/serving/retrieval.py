"""Nearest vectors by inner product: exact below a catalogue size, a faiss index above it.

Search by free text, similar items by text and the cold-start route all ask one question, "which
item vectors are nearest to this one?". Exact scoring is one matrix-vector product and is the
better answer for a catalogue of thousands; for hundreds of thousands of items a faiss HNSW graph
answers in a fraction of the time at a small loss of recall, which `recall_at_k` measures against
the exact answer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from fuserec._core.extras import installed, require
from fuserec._core.topk import topk_indices

log = logging.getLogger("fuserec.serving")


class ExactIndex:
    """Inner products against every vector (``vectors`` are rows; unit rows give cosine)."""

    kind = "exact"

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.vectors)

    def add(self, vectors: np.ndarray) -> None:
        """Append rows (new items); they are searchable at once."""
        self.vectors = np.vstack([self.vectors, np.asarray(vectors, dtype=np.float32)])

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest rows of each query: indices and inner products, best first."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        idx, val = topk_indices(queries @ self.vectors.T, k)
        return idx[:, :len(self)], val[:, :len(self)]


class FaissIndex:
    """A faiss HNSW graph over inner products, for catalogues too large to score exactly.

    Parameters
    ----------
    vectors : numpy.ndarray
        Item vectors as rows.
    m : int
        Graph neighbours per node; more raises recall and memory.
    ef_construction : int
        Candidate list size while building; larger is slower and more exact.
    ef_search : int or None
        Candidate list size while searching. None: the smallest power of two from 64 (at most
        ``MAX_EF_SEARCH``) with which seeded queries find ``TUNE_RECALL`` of their exact top ten;
        ``recall`` holds what it reached. The queries are midpoints of two random rows: a row
        itself is found at any breadth, while a query typed by a person lies between the items,
        where the graph search needs more breadth, as the midpoints do.
    """

    kind = "faiss-hnsw"
    TUNE_RECALL = 0.95
    MAX_EF_SEARCH = 2048

    def __init__(self, vectors: np.ndarray, m: int = 32, ef_construction: int = 80,
                 ef_search: int | None = None) -> None:
        require("faiss", what="a faiss retrieval index")
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.index = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = ef_construction
        self.index.add(vectors)
        self.recall: float | None = None
        if ef_search is None:
            self.recall = self._tune(vectors)
        else:
            self.index.hnsw.efSearch = ef_search

    def _tune(self, vectors: np.ndarray, sample: int = 256) -> float:
        """Double ``efSearch`` from 64 until ``sample`` midpoint queries find ``TUNE_RECALL`` of their
        exact top ten (an answer scoring at least the exact tenth counts: equal texts tie); the recall."""
        import faiss

        rng = np.random.default_rng(0)
        queries = vectors[rng.integers(0, len(vectors), sample)] + vectors[rng.integers(0, len(vectors), sample)]
        queries /= np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
        k = min(10, len(vectors))
        tenth = faiss.knn(queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)[0][:, -1]
        ef, recall = 64, 0.0
        while True:
            self.index.hnsw.efSearch = ef
            scores, found = self.index.search(queries, k)
            recall = recall_with_ties(np.where(found >= 0, scores, -np.inf), tenth)
            if recall >= self.TUNE_RECALL or ef >= self.MAX_EF_SEARCH:
                break
            ef *= 2
        log.info("text index: HNSW over %d vectors, efSearch %d: recall@10 %.3f on %d queries", len(vectors), ef,
                 recall, len(queries))
        return recall

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        """Append rows (new items); they are searchable at once."""
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest rows of each query: indices (``-1`` pads) and inner products, best first."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        scores, idx = self.index.search(queries, min(k, len(self)))
        return idx.astype(np.int64), scores


@contextmanager
def all_threads_then_one() -> Iterator[None]:
    """faiss on every core inside the block (index builds), on one thread per call after it.

    A server answers requests side by side, one query each: faiss's OpenMP threads on top of
    the server's own only contend for the same cores, and their spinning waits cost most of a
    request's time when the server shares a core.
    """
    if not installed("faiss"):
        yield
        return
    import faiss

    faiss.omp_set_num_threads(len(os.sched_getaffinity(0)))
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)


def build_index(vectors: np.ndarray, exact_below: int) -> ExactIndex | FaissIndex:
    """`ExactIndex` for fewer than ``exact_below`` vectors, `FaissIndex` otherwise."""
    return ExactIndex(vectors) if len(vectors) < exact_below else FaissIndex(vectors)


def recall_at_k(index: ExactIndex | FaissIndex, vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> float:
    """Share of the exact top-``k`` neighbours of ``queries`` among ``vectors`` that ``index`` returns."""
    truth, _ = ExactIndex(vectors).search(queries, k)
    found, _ = index.search(queries, k)
    hits = sum(len(set(t) & set(f)) for t, f in zip(truth.tolist(), found.tolist(), strict=True))
    return hits / truth.size


def recall_with_ties(answered: np.ndarray, kth: np.ndarray, tolerance: float = 1e-5) -> float:
    """Recall@k of answers against exact search when scores can tie: an answer counts when its
    exact score reaches the exact ``k``-th best (less ``tolerance``), so that of two items with
    equal texts either is right.

    Parameters
    ----------
    answered : ndarray of shape (n_queries, k)
        The exact score of each returned item; ``-inf`` (or NaN) where fewer than ``k`` came back.
    kth : ndarray of shape (n_queries,)
        Each query's exact ``k``-th best score.
    """
    answered = np.nan_to_num(np.asarray(answered, dtype=np.float64), nan=-np.inf)
    return float((answered >= np.asarray(kth, dtype=np.float64)[:, None] - tolerance).mean())
