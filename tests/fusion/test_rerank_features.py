"""Re-ranker features: what ``Side`` computes from a training set, and the named columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fuserec.data import Dataset
from fuserec.fusion.rerank.features import HISTORY, Side, feature_names, history_sim


def test_side_counts_taste_and_history_on_the_sample(sample):
    side = Side(sample, None, None)
    np.testing.assert_array_equal(side.item_count, sample.item_counts())
    np.testing.assert_array_equal(side.user_count, sample.user_counts())
    assert all(len(h) == min(c, HISTORY) for h, c in zip(side.history, sample.user_counts(), strict=True))
    # a user's taste is the mean log-popularity of what they watched: within the catalogue's range
    logpop = np.log1p(side.item_count)
    assert logpop.min() <= side.user_taste.min() and side.user_taste.max() <= logpop.max()
    assert (side.item_age >= 0).all() and (side.user_idle >= 0).all()


def test_history_is_each_users_latest_items():
    frame = pd.DataFrame({"user": ["a"] * 60, "item": [f"i{j}" for j in range(60)], "timestamp": np.arange(60)[::-1]})
    ds = Dataset.from_frame("h", frame)
    side = Side(ds, None, None)
    latest = {f"i{j}" for j in range(HISTORY)}  # timestamps run backwards: i0 is the newest
    assert set(ds.items.to_external(side.history[0])) == latest


def test_history_similarity_is_the_max_and_mean_cosine_to_the_history():
    frame = pd.DataFrame({"user": ["a", "a", "b"], "item": ["x", "y", "z"], "timestamp": [0, 1, 2]})
    ds = Dataset.from_frame("s", frame)
    vectors = np.eye(3, dtype=np.float32)
    x, y, z = (int(ds.items.to_index(i)) for i in "xyz")
    vectors[z] = [0.6, 0.8, 0.0] if x == 0 and y == 1 else vectors[z]
    side = Side(ds, vectors / np.linalg.norm(vectors, axis=1, keepdims=True), np.zeros(3, dtype=np.int64))
    a, b = int(ds.users.to_index("a")), int(ds.users.to_index("b"))
    users, rows, items = np.array([a, b]), np.array([0, 1]), np.array([z, x])
    top, mean = history_sim(side, users, rows, items)
    sims_a = side.vectors[z] @ side.vectors[[x, y]].T
    np.testing.assert_allclose([top[0], mean[0]], [sims_a.max(), sims_a.mean()], rtol=1e-6)
    np.testing.assert_allclose(top[1], side.vectors[x] @ side.vectors[z], rtol=1e-6)


def test_feature_names_follow_the_retrievers_then_item_user_and_text():
    names = feature_names(["ease", "pop"], semantic=False, keywords=True)
    assert names[:4] == ["ease:z", "ease:logrank", "pop:z", "pop:logrank"] and len(names) == 10
    full = feature_names(["ease"], semantic=True, keywords=True)
    assert full[-1] == "text:keyword_overlap" and "text:topic_share" in full
    assert "text:keyword_overlap" not in feature_names(["ease"], semantic=True, keywords=False)
