"""Fold-in: scores for users described by their interactions, without refitting.

Folding a user's own training row in must give back what the fitted model scores (exactly for
item-item models, up to ALS's last half-step for ALS), so that the service can add a user's new
events to that row and serve the result at once.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fuserec.data import load_dataset
from fuserec.models import ALS, BPR, EASE, ItemKNN, Popularity, RP3beta, SVDpp


@pytest.fixture(scope="module")
def sample():
    """The whole embedded sample (the shared fixture is a cut of it)."""
    return load_dataset("movietweetings-100k")


def _top(scores: np.ndarray, k: int = 10) -> np.ndarray:
    return np.argsort(-scores, axis=1)[:, :k]


@pytest.mark.parametrize("model", [EASE(), ItemKNN(), RP3beta()], ids=lambda m: type(m).__name__)
def test_item_item_models_fold_in_exactly(sample, model):
    model.fit(sample)
    users = np.arange(30)
    np.testing.assert_allclose(model.score_histories(model.seen_[users]), model._score_users(users), atol=1e-6)


def test_als_fold_in_is_one_half_step_of_its_own_solver(sample):
    model = ALS(factors=32, iterations=15, random_state=0).fit(sample)
    users = np.flatnonzero(np.diff(model.seen_.indptr) >= 5)[:50]
    fresh, fitted = _top(model.score_histories(model.seen_[users])), _top(model._score_users(users))
    overlap = np.mean([len(set(a) & set(b)) for a, b in zip(fresh, fitted, strict=True)])
    assert overlap >= 8                                # the fitted factors are ALS's own solve, one sweep earlier


def test_new_interactions_change_the_scores_and_a_new_user_is_served(sample):
    model = EASE().fit(sample)
    films = np.argsort(-np.diff(model.seen_.tocsc().indptr))[:5]
    history = sp.csr_matrix((np.ones(5), (np.zeros(5, int), films)), shape=(1, sample.n_items))
    scores = model.score_histories(history)[0]
    expected = np.asarray(model.item_weights_[films].sum(axis=0)).ravel()
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)
    assert np.count_nonzero(scores) > 0


def test_models_that_cannot_fold_in_say_so(sample):
    assert EASE().can_fold_in and ALS().can_fold_in and ItemKNN().can_fold_in
    assert not BPR().can_fold_in and not SVDpp().can_fold_in and not Popularity().can_fold_in
    model = Popularity().fit(sample)
    with pytest.raises(NotImplementedError, match="Popularity cannot fold in"):
        model.score_histories(model.seen_[:1])
    with pytest.raises(ValueError, match="item columns"):
        EASE().fit(sample).score_histories(sp.csr_matrix((1, 3)))
