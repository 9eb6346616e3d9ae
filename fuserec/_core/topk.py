"""Top-K: the best items of one score row (`top_k`) or of each row of a matrix (`topk_indices`).

Every list fuserec shows (the artifact's fallback and similar items, the service's routes) is
cut by `top_k`, which returns what a stable descending sort would put first: ties go to the
lower index, at the cut too. `topk_indices` is its batched form for full-ranking evaluation
and the models' `recommend_indices`, where one partition per row matters more than which of
several items tied at the cut is kept.
"""

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


def stable_ranks(scores: np.ndarray, items: np.ndarray, ordered: np.ndarray | None = None) -> np.ndarray:
    """The 0-based rank of ``items`` in one row of ``scores``, best first, ties to the lower index.

    The ranks a stable descending argsort gives, without sorting indices: a sort of the values
    (``ordered``, ``np.sort(-scores)``, when the caller has it already) and a binary search per
    item, plus an index count within any tied value.
    """
    neg = -np.asarray(scores)
    items = np.asarray(items, dtype=np.int64)
    values = neg[items]
    if len(values) > 8 and len(np.unique(values)) < 0.9 * len(values):
        return _argsort_ranks(neg, items)  # ties among the asked items: a row of counts, not worth sorting twice
    if ordered is None:
        ordered = np.sort(neg)
    left = np.searchsorted(ordered, values, "left")
    tied = np.searchsorted(ordered, values, "right") - left > 1
    nan = np.isnan(values)
    if nan.any():  # NaN sorts last; searchsorted places it at the first NaN
        left[nan] = np.searchsorted(ordered, np.nan, "left")
        tied |= nan & (np.isnan(ordered).sum() > 1)
    unique = np.unique(values[tied])
    if len(unique) > 8:  # many tied values: one stable argsort is cheaper than a pass per value
        return _argsort_ranks(neg, items)
    rank = left.astype(np.int64)
    for value in unique:
        same = np.isnan(neg) if np.isnan(value) else neg == value
        sel = tied & (nan if np.isnan(value) else values == value)
        rank[sel] += np.searchsorted(np.flatnonzero(same), items[sel])
    return rank


def _argsort_ranks(neg: np.ndarray, items: np.ndarray) -> np.ndarray:
    """``items``' positions in a stable ascending argsort of ``neg``."""
    order = np.argsort(neg, kind="stable")
    full = np.empty(len(neg), dtype=np.int64)
    full[order] = np.arange(len(neg))
    return full[items]


def stable_top(scores: np.ndarray, k: int) -> np.ndarray:
    """The items a stable descending argsort of one row puts first ``k``, in index order."""
    neg = -np.asarray(scores)
    if k >= len(neg):
        return np.arange(len(neg))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    kth = np.partition(neg, k - 1)[k - 1]
    if np.isnan(kth):
        head = np.flatnonzero(~np.isnan(neg))
        return np.sort(np.concatenate([head, np.flatnonzero(np.isnan(neg))[:k - len(head)]]))
    better = np.flatnonzero(neg < kth)
    return np.sort(np.concatenate([better, np.flatnonzero(neg == kth)[:k - len(better)]]))


def stable_top_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """`stable_top` of every row at once, as a mask, and every row of ``-scores`` sorted.

    One sort of the matrix finds each row's ``k``-th best value; the sorted rows are returned
    for `stable_ranks`, which would otherwise sort each row again.

    Returns
    -------
    top : ndarray of bool, shape scores.shape
        Each row's ``k`` items a stable descending argsort puts first.
    ordered : ndarray, shape scores.shape
        ``np.sort(-scores, axis=1)``.
    """
    neg = -np.asarray(scores)
    ordered = np.sort(neg, axis=1)
    if k >= neg.shape[1] or k <= 0:
        return np.full(neg.shape, k > 0), ordered
    return _top_mask(scores, neg, ordered[:, k - 1:k], k), ordered


def head_rows(scores: np.ndarray, k: int, head: int, sample: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """`stable_top_rows`'s mask without sorting the rows, and what `head_ranks` reads.

    One partition of the matrix finds each row's ``k``-th and ``head``-th best values; a strided
    sample of every row, sorted, stands for the rest of the row.

    Returns
    -------
    top : ndarray of bool
        Each row's ``k`` items a stable descending argsort puts first (``0 < k < head``).
    bound : ndarray, shape (n_rows,)
        Each row's ``head``-th smallest value of ``-scores``.
    samples : ndarray, shape (n_rows, about n_cols / stride)
        Every ``stride``-th entry of each row of ``-scores``, sorted.
    stride : int
    """
    neg = -np.asarray(scores)
    head = min(head, neg.shape[1])
    part = np.partition(neg, sorted({k - 1, head - 1}), axis=1)
    stride = max(1, neg.shape[1] // sample)
    return _top_mask(scores, neg, part[:, k - 1:k], k), part[:, head - 1], np.sort(neg[:, ::stride], axis=1), stride


def head_ranks(scores: np.ndarray, items: np.ndarray, bound: float, sample: np.ndarray, stride: int) -> np.ndarray:
    """`stable_ranks` of ``items`` in one row, exact for items in the row's head (``-score`` at
    most ``bound``) and estimated from the row's sorted ``sample`` beyond it (never ahead of the
    head): where a catalogue is large, a rank deep in a retriever's list carries little and a
    full sort per row costs more than the rest of the candidate stage."""
    neg = -np.asarray(scores)
    members = np.flatnonzero(neg <= bound)
    order = members[np.lexsort((members, neg[members]))]  # by value, ties to the lower index
    position = np.full(len(neg), -1, dtype=np.int64)
    position[order] = np.arange(len(order))
    rank = position[np.asarray(items, dtype=np.int64)]
    deep = rank < 0
    if deep.any():
        rank[deep] = np.maximum(np.searchsorted(sample, neg[items[deep]]) * stride, len(order))
    return rank


def _top_mask(scores: np.ndarray, neg: np.ndarray, kth: np.ndarray, k: int) -> np.ndarray:
    """Each row's first ``k`` of a stable descending argsort, given its ``k``-th value of ``neg``."""
    top = neg < kth
    tie = neg == kth
    need = k - top.sum(axis=1)
    over = np.flatnonzero(tie.sum(axis=1) > need)
    if len(over):  # more items tied at the cut than places left: the lower indices
        part = tie[over]
        part &= np.cumsum(part, axis=1) <= need[over, None]
        tie[over] = part
    top |= tie
    for r in np.flatnonzero(np.isnan(kth[:, 0])):  # fewer than k numbers in the row
        top[r] = False
        top[r, stable_top(scores[r], k)] = True
    return top


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best items of one score row, best first, and their scores.

    Exactly the head of ``np.argsort(-scores, kind="stable")`` (ties to the lower index, at the
    cut too), without sorting the whole row; items whose score is not finite (``-inf`` marks an
    excluded item) are left out, so the list may be shorter than ``k``.

    Parameters
    ----------
    scores : numpy.ndarray
        One score per item (1-D).
    k : int
        How many items at most.
    """
    scores = np.asarray(scores)
    chosen = stable_top(scores, k)
    order = chosen[np.argsort(-scores[chosen], kind="stable")]
    order = order[np.isfinite(scores[order])]
    return order, scores[order]


def topk_shared(scores: np.ndarray, seen: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray] | None:
    """`topk_indices` for users who all share one score row, each without their ``seen`` items.

    One top-``k + most seen`` cut of the shared row replaces a partition of every user's row, so
    that a model whose users share a handful of rows (popularity, popularity on the user's clock)
    ranks a million users at the cost of a few. Ties go to the lower index, at the cut too.
    Returns None when the users have seen so much of the catalogue that the cut would be most of
    it (the caller then ranks row by row).

    Parameters
    ----------
    scores : numpy.ndarray
        The shared score row (cast to float32, as `topk_indices`'s callers do).
    seen : scipy.sparse.csr_matrix
        One row per user: the items to leave out.
    k : int
        List length (``-1`` and ``-inf`` pad).
    """
    row = np.asarray(scores, dtype=np.float32)
    n_users, n_items = seen.shape[0], len(row)
    depth = k + (int(np.diff(seen.indptr).max()) if n_users and seen.nnz else 0)
    if depth * 2 > n_items or n_users * depth > 50_000_000:
        return None
    order, values = top_k(row, depth)
    position = np.full(n_items, -1, dtype=np.int64)
    position[order] = np.arange(len(order))
    users = np.repeat(np.arange(n_users), np.diff(seen.indptr))
    hit = position[seen.indices] >= 0
    removed = np.zeros((n_users, len(order)), dtype=bool)
    removed[users[hit], position[seen.indices[hit]]] = True
    keep = ~removed
    keep &= np.cumsum(keep, axis=1) <= k
    rows, cols = np.nonzero(keep)
    slot = np.arange(len(rows)) - np.searchsorted(rows, rows)
    idx = np.full((n_users, k), -1, dtype=np.int64)
    val = np.full((n_users, k), -np.inf, dtype=np.float32)
    idx[rows, slot] = order[cols]
    val[rows, slot] = values[cols]
    return idx, val
