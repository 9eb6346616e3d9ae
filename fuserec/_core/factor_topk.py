"""Each user's top-k items by inner product of factors, through faiss, with the user's items left out.

A factor model scores a user against an item by the dot product of their vectors. On a large
catalogue the generic path writes every user × item score and partitions each row; faiss's exact
flat search makes the same products a block at a time and keeps each row's best on a heap, so
batch recommendations for every user cost the products and little more. Seen items are left out
by asking for ``k`` plus the most items any user of the block has, then dropping those; users are
searched in order of history length so that a block asks for about what its users need.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

FAISS_TOPK_ITEMS = 20_000
"""Catalogues from this size take the faiss path (when faiss is installed)."""
MOST_EXTRA = 4096
"""Users with more seen items than this take the fallback (a search that deep is no longer cheap)."""
BLOCK = 4096  # users searched at once


def factor_topk(user_vectors: np.ndarray, item_vectors: np.ndarray, seen: sp.csr_matrix, k: int,
                fallback: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` items per user by inner product, ``seen`` items left out.

    Parameters
    ----------
    user_vectors : ndarray of shape (n_users, d)
        One row per user asked about.
    item_vectors : ndarray of shape (n_items, d)
        One row per item.
    seen : scipy.sparse.csr_matrix of shape (n_users, n_items)
        Items left out of each user's list (rows aligned with ``user_vectors``).
    k : int
        List length.
    fallback : callable
        ``fallback(rows)``: the (indices, scores) of the users at positions ``rows``, for users
        with more than ``MOST_EXTRA`` seen items.

    Returns
    -------
    indices, scores : ndarray of shape (n_users, k)
        Best first; ``-1`` and ``-inf`` pad a list the catalogue cannot fill. Ties fall in faiss's
        order.
    """
    import faiss

    n_items = len(item_vectors)
    items = np.ascontiguousarray(item_vectors, dtype=np.float32)  # searched in place: no index copy per call
    seen = sp.csr_matrix(seen)
    seen.sort_indices()
    counts = np.diff(seen.indptr)
    idx = np.full((len(user_vectors), k), -1, dtype=np.int64)
    val = np.full((len(user_vectors), k), -np.inf, dtype=np.float32)
    heavy = np.flatnonzero(counts > MOST_EXTRA)
    order = np.flatnonzero(counts <= MOST_EXTRA)
    order = order[np.argsort(counts[order], kind="stable")]
    for start in range(0, len(order), BLOCK):
        rows = order[start:start + BLOCK]
        want = min(k + int(counts[rows].max(initial=0)), n_items)
        sims, found = faiss.knn(np.ascontiguousarray(user_vectors[rows], dtype=np.float32), items, want,
                                metric=faiss.METRIC_INNER_PRODUCT)
        keep = (found >= 0) & ~_is_seen(seen[rows], found, n_items)
        place = np.cumsum(keep, axis=1) - 1  # each kept entry's position in the list
        r, c = np.nonzero(keep & (place < k))
        idx[rows[r], place[r, c]] = found[r, c]
        val[rows[r], place[r, c]] = sims[r, c]
    if len(heavy):
        idx[heavy], val[heavy] = fallback(heavy)
    return idx, val


def _is_seen(seen: sp.csr_matrix, found: np.ndarray, n_items: int) -> np.ndarray:
    """Whether each found item is among its row's ``seen`` items (one sorted search of pair keys)."""
    keys = np.repeat(np.arange(seen.shape[0], dtype=np.int64), np.diff(seen.indptr)) * n_items + seen.indices
    if not len(keys):
        return np.zeros(found.shape, dtype=bool)
    asked = np.arange(found.shape[0], dtype=np.int64)[:, None] * n_items + found
    at = np.minimum(np.searchsorted(keys, asked), len(keys) - 1)
    return keys[at] == asked
