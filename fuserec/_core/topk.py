"""Full-ranking top-K: best items per user from a score matrix, the user's train items excluded."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def mask_seen(scores: np.ndarray, seen: sp.csr_matrix | None) -> np.ndarray:
    """Set ``scores[r, i] = -inf`` where row ``r`` of ``seen`` has item ``i`` (in place; returns it)."""
    if seen is not None and seen.nnz:
        rows = np.repeat(np.arange(seen.shape[0]), np.diff(seen.indptr))
        scores[rows, seen.indices] = -np.inf
    return scores


def topk_indices(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest-scoring columns of each row, best first, and their scores.

    Columns scored ``-inf`` are never returned: a row with fewer finite scores is padded with
    index ``-1`` and score ``-inf``. Within the list, ties go to the lower index.
    """
    n_rows, n_cols = scores.shape
    k_eff = min(k, n_cols)
    if k_eff < n_cols:
        part = np.argpartition(-scores, k_eff - 1, axis=1)[:, :k_eff]
    else:
        part = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols)).copy()
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    idx = np.take_along_axis(part, order, axis=1)
    val = np.take_along_axis(part_scores, order, axis=1)
    if k_eff < k:
        pad = k - k_eff
        idx = np.hstack([idx, np.full((n_rows, pad), -1, dtype=idx.dtype)])
        val = np.hstack([val, np.full((n_rows, pad), -np.inf, dtype=val.dtype)])
    idx = np.where(np.isneginf(val), -1, idx)
    return idx, val
