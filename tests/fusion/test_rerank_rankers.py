"""The ranker stage: LambdaRank on candidate groups, early-stopped on held-out users."""

from __future__ import annotations

import numpy as np
import pytest

from fuserec.fusion.rerank.rankers import best_tree_setting, fit_rankers, held_out, predict


def _groups(n_users=120, size=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_users * size, 3)).astype(np.float32)
    y = (x[:, 0] + 0.3 * rng.normal(size=len(x)) > 1.0).astype(np.int32)  # the first feature carries the label
    return x, y, np.full(n_users, size), np.arange(n_users)


@pytest.fixture(scope="module")
def rankers():
    x, y, group, owner = _groups()
    return fit_rankers(x, y, group, owner, seeds=[0, 1], num_leaves=7, min_child_samples=5, objective="lambdarank",
                       n_estimators=30, learning_rate=0.1)


def test_held_out_takes_whole_users():
    owner = np.repeat(np.arange(200), 8)
    held = held_out(owner, seed=3)
    assert set(np.unique(np.bincount(owner, weights=held, minlength=200))) == {0.0, 8.0}
    assert not np.array_equal(held, held_out(owner, seed=4))


def test_rankers_learn_the_feature_that_carries_the_label(rankers):
    assert len(rankers) == 2
    x, y, _, _ = _groups(seed=1)
    score = predict(rankers, x)
    assert np.corrcoef(score, x[:, 0])[0, 1] > 0.5
    assert score[y == 1].mean() > score[y == 0].mean()


def test_the_best_tree_setting_is_kept():
    x, y, group, owner = _groups()
    fit = lambda leaves, child: fit_rankers(x, y, group, owner, seeds=[0], num_leaves=leaves,  # noqa: E731
                                            min_child_samples=child, objective="lambdarank", n_estimators=20,
                                            learning_rate=0.1)
    best, scores = best_tree_setting([(3, 5), (7, 200)], fit)
    assert set(scores) == {(3, 5), (7, 200)}
    assert best[0].get_params()["num_leaves"] == max(scores, key=scores.get)[0]
