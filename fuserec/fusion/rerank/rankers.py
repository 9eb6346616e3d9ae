"""The second stage: LightGBM LambdaRank models over the candidate groups, early-stopped on
held-out users and averaged, and their NDCG@10 on the users each held out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fuserec._core.ranking import ndcg_at_k
from fuserec.progress import progress


def held_out(owner: np.ndarray, seed: int, share: float = 0.2) -> np.ndarray:
    """Which groups are held out for early stopping: every group of a random ``share`` of users.

    Held out by user, not by group: a user has a group in every inner fold with near-identical
    user features, so held-out groups of users seen in training reward trees that memorise users.
    """
    return (np.random.default_rng(seed).random(int(owner.max()) + 1) < share)[owner]


def fit_rankers(x: np.ndarray, y: np.ndarray, group: np.ndarray, owner: np.ndarray, *, seeds: Sequence[int],
                num_leaves: int, min_child_samples: int, objective: str, n_estimators: int,
                learning_rate: float) -> list[Any]:
    """One LambdaRank model per seed, each early-stopped on a different fifth of the users.

    One early-stopped ranker keeps only a handful of trees, and its choice of them swings with
    the held-out users; their average does not.
    """
    import lightgbm as lgb

    rankers = []
    for seed in seeds:
        held = held_out(owner, seed)
        row_held = np.repeat(held, group)
        ranker = lgb.LGBMRanker(objective=objective, n_estimators=n_estimators, learning_rate=learning_rate,
                                num_leaves=num_leaves, min_child_samples=min_child_samples, subsample=0.8,
                                subsample_freq=1, colsample_bytree=0.8, random_state=seed, n_jobs=2, verbose=-1)
        ranker.fit(x[~row_held], y[~row_held], group=group[~held],
                   eval_X=(x[row_held],), eval_y=(y[row_held],),
                   eval_group=[group[held]], eval_at=[10],
                   callbacks=[lgb.early_stopping(30, verbose=False)])
        rankers.append(ranker)
    return rankers


def best_tree_setting(settings: Sequence[tuple[int, int]], fit: Callable[[int, int], list[Any]],
                      what: str = "main") -> tuple[list[Any], dict[tuple[int, int], float]]:
    """The rankers of the (num_leaves, min_child_samples) setting whose rankers score the best
    NDCG@10 on their own held-out users, and every setting's score (the first best wins ties)."""
    best: list[Any] = []
    best_score = -np.inf
    scores: dict[tuple[int, int], float] = {}
    for leaves, min_child in progress(settings, f"re-ranker: {what} rankers, each tree setting", len(settings)):
        rankers = fit(leaves, min_child)
        score = float(np.mean([r.best_score_["valid_0"]["ndcg@10"] for r in rankers]))
        scores[(leaves, min_child)] = score
        if score > best_score:
            best, best_score = rankers, score
    return best, scores


def predict(rankers: Sequence[Any], x: np.ndarray) -> np.ndarray:
    """The rankers' mean score of each row, each at its early-stopped iteration."""
    return np.mean([r.predict(x, num_iteration=r.best_iteration_) for r in rankers], axis=0)


def held_out_ndcg(rankers: Sequence[Any], seeds: Sequence[int], x: np.ndarray, y: np.ndarray, gid: np.ndarray,
                  owner: np.ndarray, n_pos: np.ndarray) -> np.ndarray:
    """NDCG@10 of each ranker on each group it held out.

    Returns one (rankers × groups) row-major vector with NaN where a group was not held out.
    ``gid`` is each row's group among all the groups (``owner`` and ``n_pos`` have one entry per
    group); a held-out group without rows scores 0, and ``n_pos`` counts positives outside the pool.
    """
    out = np.full((len(rankers), len(owner)), np.nan)
    for r, (ranker, seed) in enumerate(zip(rankers, seeds, strict=True)):
        held = held_out(owner, seed)
        out[r, held] = 0.0
        rows = held[gid]
        pred = ranker.predict(x[rows], num_iteration=ranker.best_iteration_)
        order = np.lexsort((-pred, gid[rows]))
        g, label = gid[rows][order], y[rows][order]
        position = np.arange(len(g)) - np.searchsorted(g, g)
        groups = np.unique(g)
        hits = np.zeros((len(groups), 10), dtype=bool)
        top = position < 10
        hits[np.searchsorted(groups, g[top]), position[top]] = label[top] > 0
        out[r, groups] = ndcg_at_k(hits, n_pos[groups], 10)
    return out.ravel()
