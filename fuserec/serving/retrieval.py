"""Nearest vectors by inner product: exact below a catalogue size, a faiss index above it.

Search by free text, similar items by text and the cold-start route all ask one question, "which
item vectors are nearest to this one?". Exact scoring is one matrix-vector product and is the
better answer for a catalogue of thousands; for hundreds of thousands of items a faiss
inverted-file index answers in a fraction of the time at a small loss of recall, which
`recall_at_k` measures against the exact answer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from fuserec._core.extras import installed, require
from fuserec._core.topk import topk_indices

log = logging.getLogger("fuserec.serving")
TUNING_QUERIES = 1000  # queries a service tunes its faiss index on


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
    """A faiss inverted-file index over inner products, for catalogues too large to score exactly.

    k-means splits the vectors into ``lists``; a query scans only the ``probes`` lists whose
    centres are nearest, over 8-bit scalar-quantised copies of their vectors, and scores the best
    ``REFINE`` times ``k`` candidates again on the exact vectors. Text vectors of one catalogue
    share much of their direction (a template, common words), so a query's neighbours spread over
    many lists: scanning lists sequentially in eight bits is cheaper there than the random
    accesses of a graph index at the breadth that reaches the same recall.

    Parameters
    ----------
    vectors : numpy.ndarray
        Item vectors as rows.
    lists : int or None
        Number of k-means lists; None: `default_lists`.
    probes : int or None
        Lists scanned per query. None: doubled from ``MIN_PROBES`` (up to every list) until the
        tuning queries find ``TUNE_RECALL`` of their exact top ten, less two standard errors of
        that sample's recall; ``recall`` holds what they found.
    queries : numpy.ndarray or None
        Tuning queries, encoded as the index's users will ask (a service passes item names
        encoded as search queries). None: midpoints of two random rows, which lie between the
        items, as typed queries do, where a row itself is found at any breadth.
    """

    kind = "faiss-ivf"
    TUNE_RECALL = 0.95
    MIN_PROBES = 8
    TRAIN_PER_LIST = 40
    REFINE = 4

    def __init__(self, vectors: np.ndarray, lists: int | None = None, probes: int | None = None,
                 queries: np.ndarray | None = None) -> None:
        require("faiss", what="a faiss retrieval index")
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        self.lists = lists or default_lists(n)
        self.ivf = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, self.lists, faiss.ScalarQuantizer.QT_8bit,
                                                 faiss.METRIC_INNER_PRODUCT)
        self.index = faiss.IndexRefineFlat(self.ivf)
        self.index.k_factor = self.REFINE
        rng = np.random.default_rng(0)
        take = min(n, self.TRAIN_PER_LIST * self.lists)
        self.index.train(vectors if take == n else vectors[np.sort(rng.choice(n, take, replace=False))])
        self.index.add(vectors)
        self.recall: float | None = None
        if probes is None:
            self.recall = self._tune(vectors, queries)
        else:
            self.ivf.nprobe = min(probes, self.lists)

    @property
    def probes(self) -> int:
        """Lists scanned per query."""
        return int(self.ivf.nprobe)

    def _tune(self, vectors: np.ndarray, queries: np.ndarray | None, sample: int = 256) -> float:
        """Double ``probes`` until ``queries`` find ``TUNE_RECALL`` of their exact top ten, less two
        standard errors over the queries, so that other queries like them find it too (an answer
        scoring at least the exact tenth counts: equal texts tie); the recall reached."""
        import faiss

        if queries is None:
            rng = np.random.default_rng(0)
            queries = vectors[rng.integers(0, len(vectors), sample)] + vectors[rng.integers(0, len(vectors), sample)]
            queries /= np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = min(10, len(vectors))
        tenth = faiss.knn(queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)[0][:, -1]
        probes = min(self.MIN_PROBES, self.lists)
        while True:
            self.ivf.nprobe = probes
            scores, found = self.index.search(queries, k)
            hits = found_with_ties(np.where(found >= 0, scores, -np.inf), tenth).mean(axis=1)
            recall = float(hits.mean())
            # the queries are a sample: the recall they show, less two standard errors, must reach the target
            margin = 2 * hits.std(ddof=1) / np.sqrt(len(hits)) if len(hits) > 1 else 0.0
            if recall - margin >= self.TUNE_RECALL or probes >= self.lists:
                break
            probes = min(2 * probes, self.lists)
        log.info("text index: %d lists over %d vectors, %d probed: recall@10 %.3f on %d queries", self.lists,
                 len(vectors), probes, recall, len(queries))
        return recall

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        """Append rows (new items) to their nearest lists; they are searchable at once."""
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest rows of each query: indices (``-1`` pads) and inner products, best first."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        scores, idx = self.index.search(queries, min(k, len(self)))
        return idx.astype(np.int64), scores


def default_lists(n: int) -> int:
    """k-means lists for ``n`` vectors: the power of two nearest ``4 * sqrt(n)``, with at least
    ``FaissIndex.TRAIN_PER_LIST`` vectors to train each."""
    target = max(1.0, 4 * np.sqrt(n))
    lists = 2 ** int(round(np.log2(target)))
    while lists > 1 and lists * FaissIndex.TRAIN_PER_LIST > n:
        lists //= 2
    return lists


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


def build_index(vectors: np.ndarray, exact_below: int,
                queries: Callable[[], np.ndarray] | None = None) -> ExactIndex | FaissIndex:
    """`ExactIndex` for fewer than ``exact_below`` vectors, `FaissIndex` otherwise, tuned on what
    ``queries`` returns (called only then; None: `FaissIndex`'s own tuning queries)."""
    if len(vectors) < exact_below:
        return ExactIndex(vectors)
    return FaissIndex(vectors, queries=queries() if queries is not None else None)


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
    return float(found_with_ties(answered, kth, tolerance).mean())


def found_with_ties(answered: np.ndarray, kth: np.ndarray, tolerance: float = 1e-5) -> np.ndarray:
    """`recall_with_ties` per answer: a boolean array of the shape of ``answered``."""
    answered = np.nan_to_num(np.asarray(answered, dtype=np.float64), nan=-np.inf)
    return answered >= np.asarray(kth, dtype=np.float64)[:, None] - tolerance
