"""Retriever selection: a useless retriever goes, one that carries the signal stays."""

from __future__ import annotations

import numpy as np

from fuserec.fusion.rerank.rankers import fit_rankers
from fuserec.fusion.rerank.selection import select_retrievers


def test_a_retriever_that_only_adds_noise_is_dropped():
    rng = np.random.default_rng(0)
    n_users, size, pool = 300, 12, 100
    n = n_users * size
    good = rng.normal(size=n)
    y = (good + 0.2 * rng.normal(size=n) > 1.0).astype(np.int32)
    rank = np.log1p(rng.integers(0, 5, size=n)).astype(np.float32)  # both pool every candidate
    x = np.column_stack([good, rank, rng.normal(size=n), rank, rng.normal(size=(n, 2))]).astype(np.float32)
    group, owner = np.full(n_users, size), np.arange(n_users)
    keep = np.add.reduceat(y, np.arange(0, n, size)) > 0
    rows = np.repeat(keep, size)
    x, y, group, owner = x[rows], y[rows], group[keep], np.arange(keep.sum())
    n_pos = np.add.reduceat(y, np.r_[0, np.cumsum(group)[:-1]])
    seeds = [0, 1]

    def fit(xs, ys, g, o):
        return fit_rankers(xs, ys, g, o, seeds=seeds, num_leaves=7, min_child_samples=20, objective="lambdarank",
                           n_estimators=60, learning_rate=0.1)

    chosen, rankers, scores = select_retrievers(["good", "noise"], x, y, group, owner, n_pos, 1000, pool,
                                                fit(x, y, group, owner), seeds, fit)
    assert "good" in chosen and len(rankers) == 2
    assert {("good", "noise"), ("good",), ("noise",)} <= set(scores)
    assert scores[("noise",)] < scores[("good",)] - 0.1
