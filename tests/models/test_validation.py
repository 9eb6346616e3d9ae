"""The score models choose their settings by: full ranking on validation users, a seeded sample of
them past a cap, measured as the evaluation protocol measures."""

from __future__ import annotations

import pytest

from fuserec.data.split import random_split
from fuserec.evaluation import evaluate_ranking
from fuserec.models import Popularity
from fuserec.models.base import validation_ndcg


def test_validation_ndcg_is_the_protocols_ndcg_on_the_same_seeded_sample(sample):
    split = random_split(sample, 0.2, seed=0)
    model = Popularity().fit(split.train)
    full = validation_ndcg(model, split)
    assert full == pytest.approx(evaluate_ranking(model, split).metrics["ndcg@10"])
    assert validation_ndcg(model, split, max_users=10**6) == full
    capped = validation_ndcg(model, split, max_users=30)
    assert capped == validation_ndcg(model, split, max_users=30)
    assert capped == pytest.approx(evaluate_ranking(model, split, max_users=30).metrics["ndcg@10"])
    assert capped != full
