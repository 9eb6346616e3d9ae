"""The first stage: each user's candidates, pooled from every retriever's top ``pool``.

A candidate's features are its z-score and rank under every retriever, then the item, user and
text features of ``fuserec.fusion.rerank.features``. Items outside the pool keep a fallback
score: the mean of the retrievers' per-user z-scores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import numpy as np
import scipy.sparse as sp

from fuserec._core.rows import rows_per_batch
from fuserec._core.scores import zscore_rows
from fuserec._core.topk import head_ranks, head_rows, mask_seen, stable_ranks, stable_top_rows
from fuserec.fusion.rerank.features import Side, history_sim, keyword_overlap
from fuserec.models.base import Recommender

BATCH = 256  # users whose candidate features are built at once, fewer on a large catalogue (batch_size)
CELLS = 16_000_000  # users × items per batch: each retriever keeps two float64 blocks of it
EXACT_RANK_ITEMS = 10_000
"""Up to this many items, every rank feature is exact (one sort per row); past it, exact in each
retriever's top ``HEAD`` and estimated from a sorted sample of ``SAMPLE`` entries beyond."""
HEAD, SAMPLE = 1000, 2048


def batch_size(n_items: int) -> int:
    """Users whose candidates are built at once: ``BATCH``, fewer past ``CELLS`` users × items."""
    return rows_per_batch(n_items, BATCH, CELLS)


def pool_candidates(models: Mapping[str, Recommender], side: Side, seen: sp.csr_matrix, users: np.ndarray,
                    pool: int, semantic_features: bool,
                    score: Callable[[Recommender, np.ndarray], np.ndarray] | None = None,
                    fallback: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Pooled candidates of a batch of users and their features.

    Parameters
    ----------
    models : mapping of str to Recommender
        Fitted retrievers, in feature order.
    side : Side
        What the features read, from the same training set as the retrievers.
    seen : scipy.sparse.csr_matrix
        Users × items already interacted with; never candidates.
    users : ndarray of int
        The batch's user indices.
    pool : int
        Candidates taken from each retriever's top of the list.
    semantic_features : bool
        Whether to add the text features (``side`` must then hold vectors and topics).
    score : callable, optional
        ``score(model, users)``: a retriever's scores for the batch; its ``_score_users`` when
        None (fold-in passes the scores of fresh histories instead).
    fallback : bool
        Whether to compute the fallback scores (training groups have no use for them).

    Returns
    -------
    rows, items : ndarray of int
        Each candidate's row in ``users`` (sorted) and its item.
    x : ndarray of float32, shape (n_candidates, n_features)
        Features, in the order ``feature_names`` gives.
    fallback : ndarray, shape (len(users), n_items), or None
        The retrievers' mean z-score, for items outside the pool (seen items are ``-inf``); None
        when not asked for.
    """
    pairs, in_pool = _pooled_zscores(models, seen, users, len(side.item_count), pool, score)
    rows, items = np.nonzero(in_pool)
    u = users[rows]
    bounds = np.searchsorted(rows, np.arange(len(users) + 1))
    cols = []
    for z, ranks in pairs:
        rank = np.empty(len(rows), dtype=np.int64)
        for r in range(len(users)):
            part = slice(bounds[r], bounds[r + 1])
            rank[part] = ranks(r, items[part])
        cols += [z[rows, items], np.log1p(rank.astype(np.float32))]
    zs = [z for z, _ in pairs]
    del pairs  # the sorted rows go before the features are stacked (memory)
    cols += [np.log1p(side.item_count[items]), np.log1p(side.item_recent[items]), side.item_age[items],
             np.log1p(side.user_count[u]), side.user_taste[u], side.user_idle[u]]
    if semantic_features:
        assert side.topics is not None
        max_sim, mean_sim = history_sim(side, users, rows, items)
        cols += [max_sim, mean_sim, side.user_topics[u, side.topics[items]], side.item_trend_sim[items],
                 side.item_neighbour_recent[items]]
        if side.item_keywords is not None:
            cols.append(keyword_overlap(side, users, rows, items))
    return rows, items, np.column_stack(cols).astype(np.float32), _mean_z(zs) if fallback else None


def _mean_z(zs: list[np.ndarray]) -> np.ndarray:
    """The retrievers' mean z-score, summed in place (no stacked copy)."""
    total = np.where(np.isfinite(zs[0]), zs[0], -np.inf)
    for z in zs[1:]:
        total += np.where(np.isfinite(z), z, -np.inf)
    total /= len(zs)
    return total


def _pooled_zscores(models: Mapping[str, Recommender], seen: sp.csr_matrix, users: np.ndarray, n_items: int,
                    pool: int, score: Callable[[Recommender, np.ndarray], np.ndarray] | None,
                    ) -> tuple[list[tuple[np.ndarray, Callable[[int, np.ndarray], np.ndarray]]], np.ndarray]:
    """Each retriever's per-user z-scores (seen items ``-inf``) with ``ranks(row, items)``, and the
    users × items mask of what some retriever ranks in its top ``pool``."""
    zs: list[tuple[np.ndarray, Callable[[int, np.ndarray], np.ndarray]]] = []
    in_pool = np.zeros((len(users), n_items), dtype=bool)
    k = min(pool, n_items - 1)
    for model in models.values():
        raw = model._score_users(users) if score is None else score(model, users)
        z = mask_seen(zscore_rows(raw), seen[users])
        if n_items <= EXACT_RANK_ITEMS:
            top, ordered = stable_top_rows(z, k)
            zs.append((z, partial(_exact_ranks, z, ordered)))
        else:
            top, bound, samples, stride = head_rows(z, k, HEAD, SAMPLE)
            zs.append((z, partial(_head_ranks, z, bound, samples, stride)))
        in_pool |= top
    in_pool &= np.isfinite(zs[0][0])
    return zs, in_pool


def _exact_ranks(z: np.ndarray, ordered: np.ndarray, r: int, items: np.ndarray) -> np.ndarray:
    return stable_ranks(z[r], items, ordered[r])


def _head_ranks(z: np.ndarray, bound: np.ndarray, samples: np.ndarray, stride: int, r: int,
                items: np.ndarray) -> np.ndarray:
    return head_ranks(z[r], items, bound[r], samples[r], stride)
