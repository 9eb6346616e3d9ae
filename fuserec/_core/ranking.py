"""Ranking metrics per user from a hit matrix, and NDCG straight from score rows.

These are the kernels both the evaluation layer (reports with intervals) and the models that
choose their own settings on a validation split (NDCG@10 of candidate settings) use. A ``hits``
matrix has one row per user and one column per rank: ``hits[u, j]`` is True when the item at
rank ``j`` of user ``u``'s list is relevant.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fuserec._core.topk import mask_seen, topk_indices
from fuserec.errors import UsageError


def hit_matrix(topk: np.ndarray, relevant: sp.csr_matrix) -> np.ndarray:
    """``hits[u, j]`` is True when ``topk[u, j]`` is in row ``u`` of ``relevant``.

    Rows of ``topk`` and ``relevant`` correspond. Done as one sorted search over (row, item) keys,
    so the cost is O((nnz + U·K) log nnz) with no Python loop.
    """
    topk = np.asarray(topk)
    relevant = sp.csr_matrix(relevant)
    relevant.sort_indices()
    n_rows, n_items = relevant.shape
    if topk.shape[0] != n_rows:
        raise UsageError(f"topk has {topk.shape[0]} rows but relevant has {n_rows}")
    rows = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(relevant.indptr))
    keys = rows * n_items + relevant.indices.astype(np.int64)  # sorted: CSR rows, sorted indices
    probe = np.arange(n_rows, dtype=np.int64)[:, None] * n_items + topk.astype(np.int64)
    pos = np.searchsorted(keys, probe)
    pos = np.minimum(pos, max(len(keys) - 1, 0))
    hits = (keys[pos] == probe) if len(keys) else np.zeros(topk.shape, dtype=bool)
    return hits & (topk >= 0)


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def precision_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    return hits[:, :k].sum(axis=1) / k


def recall_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    return hits[:, :k].sum(axis=1) / np.maximum(n_relevant, 1)


def f1_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    p, r = precision_at_k(hits, n_relevant, k), recall_at_k(hits, n_relevant, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(p + r > 0, 2 * p * r / (p + r), 0.0)


def ndcg_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Binary-relevance NDCG@k; the ideal list holds min(n_relevant, k) hits."""
    disc = _discounts(k)
    dcg = (hits[:, :k] * disc[: hits[:, :k].shape[1]]).sum(axis=1)
    ideal = np.cumsum(disc)[np.clip(np.minimum(n_relevant, k) - 1, 0, k - 1)]
    return np.where(n_relevant > 0, dcg / ideal, 0.0)


def ndcg_of_scores(scores: np.ndarray, seen: sp.csr_matrix | None, relevant: sp.csr_matrix, k: int = 10) -> np.ndarray:
    """Per-user NDCG@k of full score rows: ``seen`` items masked (``scores`` is overwritten), the
    top ``k`` checked against ``relevant`` (rows aligned with ``scores``). For validation searches."""
    top, _ = topk_indices(mask_seen(scores, seen), k)
    return ndcg_at_k(hit_matrix(top, relevant), np.diff(relevant.indptr), k)


def map_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Average precision over the top k, normalised by min(n_relevant, k)."""
    h = hits[:, :k].astype(np.float64)
    prec = np.cumsum(h, axis=1) / np.arange(1, h.shape[1] + 1)
    return (prec * h).sum(axis=1) / np.maximum(np.minimum(n_relevant, k), 1)


def mrr_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    h = hits[:, :k]
    first = h.argmax(axis=1)
    return np.where(h.any(axis=1), 1.0 / (first + 1), 0.0)


def hitrate_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    return np.asarray(hits[:, :k].any(axis=1), dtype=np.float64)
