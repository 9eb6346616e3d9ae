"""Each user's top-k items by inner product of factors, through faiss, with the user's items left out.

A factor model scores a user against an item by the dot product of their vectors. On a large
catalogue the generic path writes every user × item score and partitions each row; faiss's exact
flat search makes the same products a block at a time and keeps each row's best on a heap, so
batch recommendations for every user cost the products and little more. Seen items are left out
by asking for ``k`` plus the most items any user of the block has, then dropping those; users are
searched in order of history length so that a block asks for about what its users need.

From ``IVF_TOPK_ITEMS`` items even the products are too many (every user against a million
items), and the search goes through an inverted-file index: items are clustered once, and a user
is scored against the items of the ``nprobe`` clusters whose centres score best. ``nprobe`` is
the smallest power of two whose lists, on a sample of users, hold ``IVF_RECALL`` of the exact top
ten; the recall reached is logged. (A graph index such as HNSW finds nearest neighbours, not
largest inner products: on ALS factors it misses most of the exact top ten.)
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

log = logging.getLogger("fuserec.models")

FAISS_TOPK_ITEMS = 20_000
"""Catalogues from this size take the faiss path (when faiss is installed)."""
IVF_TOPK_ITEMS = 500_000
"""Catalogues from this size are searched through an inverted-file index (approximate)."""
IVF_RECALL = 0.95
"""The share of the exact top ten that ``nprobe`` is raised until a sample of users reaches."""
_IVF: dict[int, tuple[Any, Any]] = {}  # id(item vectors) -> (weak reference to them, tuned index)
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
    index = _ivf(item_vectors, user_vectors) if n_items >= IVF_TOPK_ITEMS else None
    short = []
    for start in range(0, len(order), BLOCK):
        rows = order[start:start + BLOCK]
        want = min(k + int(counts[rows].max(initial=0)), n_items)
        queries = np.ascontiguousarray(user_vectors[rows], dtype=np.float32)
        if index is None:
            sims, found = faiss.knn(queries, items, want, metric=faiss.METRIC_INNER_PRODUCT)
        else:
            sims, found = index.search(queries, want)
        keep = (found >= 0) & ~_is_seen(seen[rows], found, n_items)
        place = np.cumsum(keep, axis=1) - 1  # each kept entry's position in the list
        r, c = np.nonzero(keep & (place < k))
        idx[rows[r], place[r, c]] = found[r, c]
        val[rows[r], place[r, c]] = sims[r, c]
        if index is not None:  # the probed clusters held too few unseen items: exact for these
            short.append(rows[keep.sum(axis=1) < np.minimum(k, n_items - counts[rows])])
    redo = np.concatenate([heavy, *short]).astype(np.int64)
    if len(redo):
        idx[redo], val[redo] = fallback(redo)
    return idx, val


def _ivf(item_vectors: np.ndarray, user_vectors: np.ndarray) -> Any:
    """The inverted-file index of ``item_vectors``, built and tuned once per array."""
    cached = _IVF.get(id(item_vectors))
    if cached is not None and cached[0]() is item_vectors:
        return cached[1]
    import faiss

    items = np.ascontiguousarray(item_vectors, dtype=np.float32)
    n, d = items.shape
    nlist = 1 << int(np.log2(max(1.0, min(4 * np.sqrt(n), n / 39))))  # faiss wants 39 points a list
    rng = np.random.default_rng(0)
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
    index.train(items[np.sort(rng.choice(n, size=min(n, 64 * nlist), replace=False))])
    index.add(items)
    sample = np.ascontiguousarray(user_vectors[rng.choice(len(user_vectors), size=min(len(user_vectors), 512),
                                                          replace=False)], dtype=np.float32)
    _, exact = faiss.knn(sample, items, 10, metric=faiss.METRIC_INNER_PRODUCT)
    index.nprobe, recall = 4, 0.0
    while recall < IVF_RECALL and index.nprobe < nlist:
        index.nprobe *= 2
        found = index.search(sample, 10)[1]
        recall = float(np.mean([len(set(a) & set(b)) for a, b in zip(exact, found, strict=True)])) / 10
    log.info("top-k over %d items through faiss IVF (%d lists, nprobe %d): recall@10 against exact %.3f on %d "
             "users", n, nlist, index.nprobe, recall, len(sample))
    _IVF.clear()  # one catalogue at a time: the index holds a copy of the vectors
    _IVF[id(item_vectors)] = (weakref.ref(item_vectors), index)
    return index


def _is_seen(seen: sp.csr_matrix, found: np.ndarray, n_items: int) -> np.ndarray:
    """Whether each found item is among its row's ``seen`` items (one sorted search of pair keys)."""
    keys = np.repeat(np.arange(seen.shape[0], dtype=np.int64), np.diff(seen.indptr)) * n_items + seen.indices
    if not len(keys):
        return np.zeros(found.shape, dtype=bool)
    asked = np.arange(found.shape[0], dtype=np.int64)[:, None] * n_items + found
    at = np.minimum(np.searchsorted(keys, asked), len(keys) - 1)
    return keys[at] == asked
