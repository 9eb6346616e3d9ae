"""The model interface through the two floors: fit, score, recommend, save/load, clone."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from fuserec.data.split import random_split
from fuserec.errors import NotFittedError
from fuserec.models import Popularity, Random, Recommender


@pytest.fixture(scope="module")
def train(ml100k):
    return random_split(ml100k, 0.2, seed=0).train


def test_popularity_ranks_by_count_and_excludes_seen(train):
    model = Popularity().fit(train)
    counts = train.item_counts()
    ids, scores = model.recommend([1, 2, 3], k=10)
    assert ids.shape == (3, 10)
    assert (np.diff(scores, axis=1) <= 0).all()
    for row, uid in zip(ids, [1, 2, 3], strict=False):
        idx = train.items.to_index(row)
        u = train.users.to_index(uid)
        assert not set(idx) & set(train.matrix()[u].indices)  # nothing the user already rated
        unseen = np.setdiff1d(np.arange(train.n_items), train.matrix()[u].indices)
        assert counts[idx[0]] == counts[unseen].max()
    not_excluded, _ = model.recommend(1, k=1, exclude_seen=False)
    assert train.items.to_index(not_excluded[0]) == np.argmax(counts)


def test_popularity_rating_is_damped_item_mean(train):
    model = Popularity(damping=5).fit(train)
    inter = train.interactions
    item = int(inter["item"].iloc[0])
    r = inter.loc[inter["item"] == item, "rating"]
    mu = inter["rating"].mean()
    expected = (r.sum() + 5 * mu) / (len(r) + 5)
    pred = model.score(train.users.ids[0], train.items.to_external([item])[0])
    assert pred[0] == pytest.approx(expected, rel=1e-5)


def test_random_is_seeded(train):
    a = Random(random_state=1).fit(train).recommend([5, 6], k=5)[0]
    b = Random(random_state=1).fit(train).recommend([5, 6], k=5)[0]
    c = Random(random_state=2).fit(train).recommend([5, 6], k=5)[0]
    assert (a == b).all() and not (a == c).all()


@pytest.mark.parametrize("cls", [Popularity, Random])
def test_save_load_same_recommendations_for_external_ids(train, tmp_path, cls):
    model = cls().fit(train)
    users = train.users.ids[:50]
    before = model.recommend(users, k=10)
    path = model.save(tmp_path / "m.pkl")
    loaded = Recommender.load(path)
    assert type(loaded) is cls
    after = loaded.recommend(users, k=10)
    assert (before[0] == after[0]).all()
    np.testing.assert_array_equal(before[1], after[1])
    assert loaded.items_ == train.items and loaded.users_ == train.users
    with pytest.raises(TypeError):
        (Random if cls is Popularity else Popularity).load(path)


def test_interface_errors(train):
    with pytest.raises(NotFittedError, match="fit"):
        Popularity().recommend(1)
    model = Popularity().fit(train)
    with pytest.raises(KeyError, match="unknown user 99999"):
        model.recommend(99999)
    with pytest.raises(ValueError, match="pair"):
        model.score([1, 2], [1])


def test_sklearn_conventions():
    m = Popularity(damping=3.0)
    assert m.get_params() == {"damping": 3.0}
    c = clone(m.set_params(damping=7.0))
    assert c.damping == 7.0 and not hasattr(c, "counts_")
