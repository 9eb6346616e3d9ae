"""Friends as a signal, on Last.fm's real friendships (HetRec 2011)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from fuserec.data import load_dataset
from fuserec.data.split import random_split
from fuserec.evaluation import evaluate_ranking
from fuserec.models import Popularity
from fuserec.models.social import SocialNeighbours


@pytest.fixture(scope="module")
def lastfm(datasets_dir):
    return load_dataset("lastfm", datasets_dir, download=False)


def test_friends_items_beat_popularity_and_friendless_users_get_nothing(lastfm):
    split = random_split(lastfm, 0.2, seed=0)
    social = SocialNeighbours().fit(split.train)
    ndcg = {name: evaluate_ranking(m, split, [10]).metrics["ndcg@10"]
            for name, m in (("social", social), ("popularity", Popularity().fit(split.train)))}
    assert ndcg["social"] > 1.3 * ndcg["popularity"]  # measured 0.150 vs 0.086
    friendless = np.setdiff1d(np.arange(lastfm.n_users), np.r_[lastfm.social["user"], lastfm.social["friend"]])
    assert social.users_with_friends_ == lastfm.n_users - len(friendless)
    if len(friendless):
        assert not social._score_users(friendless[:5]).any()
    # a user with one friend is offered exactly what that friend has in train
    one = np.flatnonzero(np.diff(social.weights_.indptr) == 1)
    u = int(one[0])
    friend = int(social.weights_[u].indices[0])
    scores = social._score_users(np.array([u]))[0]
    assert set(np.flatnonzero(scores > 0)) == set(split.train.matrix("binary")[friend].indices)


def test_social_needs_edges_and_names_the_bad_row(lastfm):
    with pytest.raises(ValueError, match="no social edges"):
        SocialNeighbours().fit(dataclasses.replace(lastfm, social=None))
    bad = pd.concat([lastfm.social, pd.DataFrame({"user": [0], "friend": [lastfm.n_users + 7]})], ignore_index=True)
    with pytest.raises(ValueError, match=f"row {len(lastfm.social)}"):
        SocialNeighbours().fit(dataclasses.replace(lastfm, social=bad))
    with pytest.raises(ValueError, match="values"):
        SocialNeighbours(values="plays").fit(lastfm)
