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


def test_past_the_exact_rank_size_the_pool_and_scores_are_unchanged(sample, monkeypatch):
    import fuserec.fusion.rerank.candidates as candidates

    models, users, seen, (rows, items, x, fallback) = _pool(sample)
    monkeypatch.setattr(candidates, "EXACT_RANK_ITEMS", 0)  # the large-catalogue path on a small one
    monkeypatch.setattr(candidates, "HEAD", 100)
    rows2, items2, x2, fallback2 = pool_candidates(models, Side(sample, None, None), seen, users, 20, False)
    assert np.array_equal(rows, rows2) and np.array_equal(items, items2)
    ranks = [1, 3]  # the log-rank columns; every other column is the same
    others = [c for c in range(x.shape[1]) if c not in ranks]
    assert np.array_equal(x[:, others], x2[:, others]) and np.array_equal(fallback, fallback2)
    head = x[:, ranks] < np.log1p(100)  # ranks inside a retriever's head stay exact
    assert np.array_equal(x[:, ranks][head], x2[:, ranks][head]) and (x2[:, ranks][~head] >= np.log1p(99)).all()
