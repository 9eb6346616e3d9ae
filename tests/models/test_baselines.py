"""The model interface through the two floors: fit, score, recommend, save/load, clone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from fuserec.data import Dataset
from fuserec.data.split import random_split
from fuserec.errors import NotFittedError
from fuserec.models import Popularity, Random, UserTimePopularity


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
def test_an_artifact_gives_the_same_recommendations_for_external_ids(train, tmp_path, cls):
    from fuserec import artifacts

    model = cls().fit(train)
    users = train.users.ids[:50]
    before = model.recommend(users, k=10)
    loaded = artifacts.load(artifacts.save(tmp_path / "m", model, train, refit=False)).model
    assert type(loaded) is cls
    after = loaded.recommend(users, k=10)
    assert (before[0] == after[0]).all()
    np.testing.assert_array_equal(before[1], after[1])
    assert loaded.items_ == train.items and loaded.users_ == train.users


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


# ---- popularity on the user's own clock ---------------------------------------------------------
DAY = 86_400


def _clock_data():
    """Item "old" was popular in year one, item "new" in year three; user "early" stopped in year
    one, user "late" is active in year three, user "quiet" has no timestamps after day 0."""
    rows = [(f"crowd{k}", "old", 10 * DAY + k) for k in range(20)]
    rows += [(f"crowd{k}", "new", 3 * 365 * DAY + k) for k in range(30)]
    rows += [("early", "x", 20 * DAY), ("late", "y", 3 * 365 * DAY + 100), ("quiet", "z", 0)]
    frame = pd.DataFrame(rows, columns=["user", "item", "timestamp"])
    return Dataset.from_frame("clock", frame)


def test_user_time_popularity_ranks_what_was_popular_at_the_users_time():
    ds = _clock_data()
    model = UserTimePopularity(half_life_days=90).fit(ds)
    early, _ = model.recommend("early", k=1)
    late, _ = model.recommend("late", k=1)
    assert early[0] == "old"  # "new" is 30× more popular overall, but it came after this user
    assert late[0] == "new"
    # only the past counts: at day 0 nothing was popular yet, the all-time count breaks the tie
    assert model.score("quiet", "new")[0] > model.score("quiet", "old")[0]
    assert model.score("quiet", "new")[0] < 1e-3
    assert Popularity().fit(ds).recommend("early", k=1)[0][0] == "new"


def test_user_time_popularity_chooses_its_half_life_on_validation(ml100k):
    train = random_split(ml100k, 0.2, seed=0).train
    model = UserTimePopularity().fit(train)
    assert model.half_life_ in UserTimePopularity.HALF_LIVES
    again = model.fixed()
    assert again.half_life_days == model.half_life_ and not hasattr(again, "by_bin_")
    users = train.users.ids[:20]
    np.testing.assert_array_equal(model.recommend(users, k=10)[0], again.fit(train).recommend(users, k=10)[0])


def test_user_time_popularity_without_timestamps_is_popularity(train):
    plain = train.with_interactions(train.interactions.drop(columns="timestamp"), "no-time")
    users = plain.users.ids[:20]
    a = UserTimePopularity(half_life_days=30).fit(plain).recommend(users, k=10)[0]
    b = Popularity().fit(plain).recommend(users, k=10)[0]
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="half_life_days"):
        UserTimePopularity(half_life_days=0).fit(train)
