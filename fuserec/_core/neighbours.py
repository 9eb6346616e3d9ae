"""Each item's nearest items by text: one exact pass over the catalogue, kept for the process.

Several stages read the same neighbours of the same item vectors (text-EASE's sparse Gram
matrix, the re-ranker's text-trend feature in every inner split); the pass costs items² × dims,
so it is computed once per distinct set of vectors and shared. Past ``FAISS_MIN_ITEMS`` items, and
with faiss installed, faiss's exact flat search makes the same pass: the same products, with each
row's best kept on a heap as they are computed instead of a partition of every block.
"""

from __future__ import annotations

import hashlib

import numpy as np

from fuserec._core.extras import installed
from fuserec.progress import progress

KEEP = 4  # distinct vector sets whose neighbours are kept
FAISS_MIN_ITEMS = 20_000
"""Catalogues from this size search with faiss when it is installed (ties then fall in faiss's order)."""
_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _key(vectors: np.ndarray, k: int) -> tuple:
    digest = hashlib.blake2b(np.ascontiguousarray(vectors).tobytes(), digest_size=16).hexdigest()
    return digest, vectors.shape, str(vectors.dtype), k


def nearest_items(vectors: np.ndarray, k: int, block_bytes: int = 256 * 2**20) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` most similar other rows by dot product (cosine for L2-normalised vectors).

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
        One row per item.
    k : int
        Neighbours per item (at most ``n - 1``).
    block_bytes : int
        Memory for one block of similarities; the pass goes a block of rows at a time.

    Returns
    -------
    indices, similarities : ndarray of shape (n, k)
        Best first, ties to the lower index (below ``FAISS_MIN_ITEMS`` items); read-only (shared
        with later calls).
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    n = len(vectors)
    k = max(0, min(k, n - 1))
    key = _key(vectors, k)
    if key in _cache:
        return _cache[key]
    if n >= FAISS_MIN_ITEMS and k > 0 and installed("faiss"):
        indices, values = _faiss_nearest(vectors, k)
    else:
        indices, values = _numpy_nearest(vectors, k, block_bytes)
    indices.flags.writeable = values.flags.writeable = False
    if len(_cache) >= KEEP:
        _cache.pop(next(iter(_cache)))
    _cache[key] = (indices, values)
    return indices, values


def _numpy_nearest(vectors: np.ndarray, k: int, block_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(vectors)
    indices = np.empty((n, k), dtype=np.int64)
    values = np.empty((n, k), dtype=np.float32)
    rows = max(1, block_bytes // max(4 * n, 1))
    for start in progress(range(0, n, rows), "nearest items by text", -(-n // rows)):
        sims = vectors[start:start + rows] @ vectors.T
        sims[np.arange(len(sims)), np.arange(start, start + len(sims))] = -np.inf  # not its own neighbour
        if k == 0:
            continue
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(sims, top, axis=1)
        order = np.lexsort((top, -top_sims), axis=1)
        indices[start:start + len(sims)] = np.take_along_axis(top, order, axis=1)
        values[start:start + len(sims)] = np.take_along_axis(top_sims, order, axis=1)
    return indices, values


def _faiss_nearest(vectors: np.ndarray, k: int, rows: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``k`` other rows through faiss: ``k + 1`` found per row, the row itself dropped
    (or, where identical vectors pushed it out, the last one found)."""
    import faiss

    n, dims = vectors.shape
    index = faiss.IndexFlatIP(dims)
    index.add(np.ascontiguousarray(vectors))
    indices = np.empty((n, k), dtype=np.int64)
    values = np.empty((n, k), dtype=np.float32)
    for start in progress(range(0, n, rows), "nearest items by text", -(-n // rows)):
        sims, found = index.search(vectors[start:start + rows], k + 1)
        drop = found == np.arange(start, start + len(found))[:, None]
        drop[~drop.any(axis=1), -1] = True
        keep = ~drop  # each index is found at most once per row, so k are kept
        indices[start:start + len(found)] = found[keep].reshape(-1, k)
        values[start:start + len(found)] = sims[keep].reshape(-1, k)
    return indices, values
