"""Retriever selection: backward elimination of retrievers by the rankers' held-out NDCG@10."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fuserec.fusion.rerank import rankers as R
from fuserec.progress import progress

DROP_T = 2.0  # standard errors by which dropping a retriever must raise held-out NDCG@10


def select_retrievers(names: Sequence[str], x: np.ndarray, y: np.ndarray, group: np.ndarray, owner: np.ndarray,
                      n_pos: np.ndarray, n_items: int, pool: int, full_rankers: list[Any], seeds: Sequence[int],
                      fit: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], list[Any]],
                      ) -> tuple[list[str], list[Any], dict[tuple[str, ...], float]]:
    """Drop, one at a time, the retriever whose removal most raises held-out NDCG@10.

    A subset's rankers are trained (by ``fit``, on x, y, group sizes and owners) on the candidates its retrievers
    pool and scored on the same held-out groups as the full set's ``full_rankers`` (a group whose positives all
    left the pool scores 0). A retriever goes only when the gain is clear: ``DROP_T`` paired standard errors.

    Parameters
    ----------
    names : sequence of str
        The retrievers, in the order of their (z-score, log rank) column pairs at the front of ``x``.
    x, y, group, owner, n_pos : ndarray
        The training groups of ``fuserec.fusion.rerank.groups.training_groups``.
    n_items, pool : int
        Catalogue size and candidates per retriever (which rows a retriever pooled).

    Returns
    -------
    chosen : list of str
        The retrievers kept.
    rankers : list
        The rankers trained on the kept retrievers' candidates.
    scores : dict
        Mean held-out NDCG@10 of every subset tried.
    """
    scores: dict[tuple[str, ...], float] = {}
    gid = np.repeat(np.arange(len(group)), group)
    k = min(pool, n_items - 1)
    pooled = x[:, 1:2 * len(names):2] < np.log1p(k - 0.5)  # row × retriever: in its top k

    def score(subset: list[str], rankers: list[Any] | None = None) -> tuple[np.ndarray, list[Any]]:
        cols = [j for j, n in enumerate(names) if n in subset]
        rows = pooled[:, cols].any(axis=1)
        hits = np.bincount(gid[rows], weights=y[rows], minlength=len(group))
        rows &= hits[gid] > 0
        features = np.r_[[c for j in cols for c in (2 * j, 2 * j + 1)], np.arange(2 * len(names), x.shape[1])]
        xs, ys, g = x[np.ix_(rows, features)], y[rows], gid[rows]
        sizes = np.bincount(g, minlength=len(group))
        present = sizes > 0
        if rankers is None:
            rankers = fit(xs, ys, sizes[present], owner[present])
        values = R.held_out_ndcg(rankers, seeds, xs, ys, g, owner, n_pos)
        scores[tuple(subset)] = float(np.nanmean(values))
        return values, rankers

    chosen = list(names)
    best, best_rankers = score(chosen, full_rankers)
    while len(chosen) > 1:
        trials = {name: score([n for n in chosen if n != name]) for name in
                  progress(chosen, f"re-ranker: dropping one of {len(chosen)} retrievers", len(chosen))}
        drop = max(trials, key=lambda n: np.nanmean(trials[n][0]))
        diff = (trials[drop][0] - best)[~np.isnan(best)]
        if diff.mean() < DROP_T * diff.std(ddof=1) / np.sqrt(len(diff)):
            break
        chosen.remove(drop)
        best, best_rankers = trials[drop]
    return chosen, best_rankers, scores
