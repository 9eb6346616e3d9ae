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
from fuserec.errors import FoldInError
from fuserec.fusion.content import SemanticProfile
from fuserec.fusion.text_to_factors import TextMappedFactors
from fuserec.models import ALS, BPR, EASE, ItemKNN, Popularity, Random, RP3beta, SVDpp, UserTimePopularity


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
    assert not BPR().can_fold_in and not SVDpp().can_fold_in and not Random().can_fold_in
    model = Random().fit(sample)
    with pytest.raises(FoldInError, match="Random cannot fold in"):
        model.score_histories(model.seen_[:1])
    with pytest.raises(ValueError, match="item columns"):
        EASE().fit(sample).score_histories(sp.csr_matrix((1, 3)))


def test_popularity_models_score_a_fresh_history_as_an_active_user(sample):
    pop = Popularity().fit(sample)
    np.testing.assert_array_equal(pop.score_histories(pop.seen_[:2]), pop._score_users(np.arange(2)))
    clock = UserTimePopularity(half_life_days=90.0).fit(sample)
    latest = int(np.argmax(clock.user_bin_))              # a user whose latest bin is the last one
    np.testing.assert_allclose(clock.score_histories(clock.seen_[[latest]]), clock._score_users(np.array([latest])))


def test_a_semantic_profile_folds_in_the_texts_of_the_history(sample):
    model = SemanticProfile("tfidf").fit(sample)
    one = sp.csr_matrix((np.ones(1), ([0], [7])), shape=(1, sample.n_items))
    scores = model.score_histories(one)[0]
    assert int(np.argmax(scores)) == 7 and scores[7] == pytest.approx(1.0, abs=1e-5)


def test_text_mapped_factors_fold_in_through_their_als_base(sample):
    model = TextMappedFactors(ALS(factors=16, iterations=10), encoder="tfidf").fit(sample)
    assert model.can_fold_in and not TextMappedFactors(BPR(), encoder="tfidf").can_fold_in
    users = np.flatnonzero(np.diff(model.seen_.indptr) >= 5)[:30]
    fresh, fitted = _top(model.score_histories(model.seen_[users])), _top(model._score_users(users))
    assert np.mean([len(set(a) & set(b)) for a, b in zip(fresh, fitted, strict=True)]) >= 7


def test_text_mapped_factors_over_bpr_refuses_to_fold_in_by_name(sample):
    model = TextMappedFactors(BPR(factors=8, iterations=2), encoder="tfidf").fit(sample)
    with pytest.raises(FoldInError, match="ALS base, not BPR"):
        model.score_histories(model.seen_[[0]])
