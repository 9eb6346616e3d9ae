"""The candidate stage: the union of every retriever's top ``pool``, never a seen item."""

from __future__ import annotations

import numpy as np

from fuserec.fusion.rerank.candidates import pool_candidates
from fuserec.fusion.rerank.features import Side, feature_names
from fuserec.models import EASE, Popularity


def _pool(sample, pool=20):
    models = {"ease": EASE(reg=100.0).fit(sample), "popularity": Popularity().fit(sample)}
    users = np.arange(12)
    seen = sample.matrix("binary")
    return models, users, seen, pool_candidates(models, Side(sample, None, None), seen, users, pool, False)


def test_candidates_are_the_union_of_each_retrievers_top(sample):
    models, users, seen, (rows, items, x, fallback) = _pool(sample)
    assert (np.diff(rows) >= 0).all() and x.shape == (len(rows), len(feature_names(models, False, False)))
    for r, user in enumerate(users):
        mine = set(items[rows == r])
        expected = set()
        for model in models.values():
            top, _ = model.recommend_indices(np.array([user]), 20, exclude_seen=True)
            expected |= set(top[0])
        assert mine == expected  # every retriever's top 20, nothing else
        assert not mine & set(seen[user].indices)


def test_features_hold_each_retrievers_rank_and_the_fallback_masks_seen_items(sample):
    models, users, seen, (rows, items, x, fallback) = _pool(sample)
    logrank = x[:, [1, 3]]  # ease:logrank, popularity:logrank
    assert (logrank.min(axis=1) < np.log1p(20)).all()  # each candidate is in some retriever's top 20
    assert fallback.shape == (len(users), sample.n_items)
    assert np.isneginf(fallback[seen[users].nonzero()]).all()
    np.testing.assert_allclose(x[:, 4], np.log1p(sample.item_counts()[items]), rtol=1e-6)  # item:logpop
