"""Each user's top-k items by inner product of factors, through faiss, with the user's items left out.

A factor model scores a user against an item by the dot product of their vectors. On a large
catalogue the generic path writes every user × item score and partitions each row; faiss's exact
flat search makes the same products a block at a time and keeps each row's best on a heap, so
batch recommendations for every user cost the products and little more. Seen items are left out
by asking for ``k`` plus the most items any user of the block has, then dropping those; users are
searched in order of history length so that a block asks for about what its users need.

A user's best items by inner product are mostly items with long vectors (in ALS, the popular
ones), and no item can score more than the user's length times its own. So the items are
searched longest first: a user whose ``k``-th unseen score among the ``HEAD_ITEMS`` longest
already reaches that bound for every item beyond them has the exact list; the others search a
head eight times longer, up to the whole catalogue. On a catalogue with the usual spread of
lengths this searches a few per cent of the items for almost every user, and the lists stay
exact.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

FAISS_TOPK_ITEMS = 20_000
"""Catalogues from this size take the faiss path (when faiss is installed)."""
HEAD_ITEMS = 16_384
"""The longest item vectors searched first; a user not settled by them searches eight times more."""
_BY_LENGTH: dict[int, tuple[Any, tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}  # id(vectors) -> (ref, order)
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
    seen = sp.csr_matrix(seen)
    seen.sort_indices()
    counts = np.diff(seen.indptr)
    idx = np.full((len(user_vectors), k), -1, dtype=np.int64)
    val = np.full((len(user_vectors), k), -np.inf, dtype=np.float32)
    heavy = np.flatnonzero(counts > MOST_EXTRA)
    pending = np.flatnonzero(counts <= MOST_EXTRA)
    pending = pending[np.argsort(counts[pending], kind="stable")]
    order, by_length, lengths = _longest_first(item_vectors)
    user_lengths = np.linalg.norm(user_vectors, axis=1)
    head = min(n_items, HEAD_ITEMS)
    while len(pending) and head:
        unsettled = []
        for start in range(0, len(pending), BLOCK):
            rows = pending[start:start + BLOCK]
            want = min(k + int(counts[rows].max(initial=0)), head)
            sims, found = faiss.knn(np.ascontiguousarray(user_vectors[rows], dtype=np.float32), by_length[:head],
                                    want, metric=faiss.METRIC_INNER_PRODUCT)
            found = np.where(found >= 0, order[np.maximum(found, 0)], -1)
            keep = (found >= 0) & ~_is_seen(seen[rows], found, n_items)
            place = np.cumsum(keep, axis=1) - 1  # each kept entry's position in the list
            settled = np.ones(len(rows), dtype=bool)
            if head < n_items:  # exact only where no item beyond the head can beat the k-th kept score
                kth = np.where(keep & (place == k - 1), sims, -np.inf).max(axis=1)
                settled = kth >= user_lengths[rows] * lengths[head]
                unsettled.append(rows[~settled])
            r, c = np.nonzero(keep & (place < k) & settled[:, None])
            idx[rows[r], place[r, c]] = found[r, c]
            val[rows[r], place[r, c]] = sims[r, c]
        pending, head = np.concatenate([np.zeros(0, dtype=np.int64), *unsettled]), min(n_items, head * 8)
    if len(heavy):
        idx[heavy], val[heavy] = fallback(heavy)
    return idx, val


def _longest_first(item_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Item indices by vector length, longest first; the vectors in that order; their lengths
    (with a zero appended). Made once per array of item vectors."""
    cached = _BY_LENGTH.get(id(item_vectors))
    if cached is not None and cached[0]() is item_vectors:
        return cached[1]
    items = np.asarray(item_vectors, dtype=np.float32)
    lengths = np.linalg.norm(items, axis=1)
    order = np.argsort(-lengths, kind="stable")
    made = (order, np.ascontiguousarray(items[order]), np.append(lengths[order], 0.0))
    _BY_LENGTH.clear()  # one catalogue at a time: the copy is as large as the vectors
    _BY_LENGTH[id(item_vectors)] = (weakref.ref(item_vectors), made)
    return made


def _is_seen(seen: sp.csr_matrix, found: np.ndarray, n_items: int) -> np.ndarray:
    """Whether each found item is among its row's ``seen`` items (one sorted search of pair keys)."""
    keys = np.repeat(np.arange(seen.shape[0], dtype=np.int64), np.diff(seen.indptr)) * n_items + seen.indices
    if not len(keys):
        return np.zeros(found.shape, dtype=bool)
    asked = np.arange(found.shape[0], dtype=np.int64)[:, None] * n_items + found
    at = np.minimum(np.searchsorted(keys, asked), len(keys) - 1)
    return keys[at] == asked
