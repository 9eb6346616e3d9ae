"""The first stage: each user's candidates, pooled from every retriever's top ``pool``.

A candidate's features are its z-score and rank under every retriever, then the item, user and
text features of ``fuserec.fusion.rerank.features``. Items outside the pool keep a fallback
score: the mean of the retrievers' per-user z-scores.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from fuserec._core.scores import zscore_rows
from fuserec._core.topk import mask_seen
from fuserec.fusion.rerank.features import Side, history_sim, keyword_overlap
from fuserec.models.base import Recommender

BATCH = 256  # users whose candidate features are built at once


def pool_candidates(models: Mapping[str, Recommender], side: Side, seen: sp.csr_matrix, users: np.ndarray,
                    pool: int, semantic_features: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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

    Returns
    -------
    rows, items : ndarray of int
        Each candidate's row in ``users`` (sorted) and its item.
    x : ndarray of float32, shape (n_candidates, n_features)
        Features, in the order ``feature_names`` gives.
    fallback : ndarray, shape (len(users), n_items)
        The retrievers' mean z-score, for items outside the pool (seen items are ``-inf``).
    """
    zs, ranks = [], []
    in_pool = np.zeros((len(users), len(side.item_count)), dtype=bool)
    k = min(pool, in_pool.shape[1] - 1)
    for model in models.values():
        z = mask_seen(zscore_rows(model._score_users(users)), seen[users])
        order = np.argsort(-z, axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :], axis=1)
        np.put_along_axis(in_pool, order[:, :k], True, axis=1)
        zs.append(z)
        ranks.append(rank)
    in_pool &= np.isfinite(zs[0])
    rows, items = np.nonzero(in_pool)
    u = users[rows]
    cols = []
    for z, rank in zip(zs, ranks, strict=True):
        cols += [z[rows, items], np.log1p(rank[rows, items].astype(np.float32))]
    cols += [np.log1p(side.item_count[items]), np.log1p(side.item_recent[items]), side.item_age[items],
             np.log1p(side.user_count[u]), side.user_taste[u], side.user_idle[u]]
    if semantic_features:
        assert side.topics is not None
        max_sim, mean_sim = history_sim(side, users, rows, items)
        cols += [max_sim, mean_sim, side.user_topics[u, side.topics[items]], side.item_trend_sim[items],
                 side.item_neighbour_recent[items]]
        if side.item_keywords is not None:
            cols.append(keyword_overlap(side, users, rows, items))
    fallback = np.mean([np.where(np.isfinite(z), z, -np.inf) for z in zs], axis=0)
    return rows, items, np.column_stack(cols).astype(np.float32), fallback
