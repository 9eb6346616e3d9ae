"""Fused and content models on ml-100k: the neural ID + text hybrid (ranking and ratings) and the
semantic profile recommender, with new items scored by their text alone."""

from __future__ import annotations

import numpy as np
import pytest

from fuserec.data.split import cold_items_split, random_split
from fuserec.evaluation import evaluate_ranking, evaluate_rating
from fuserec.fusion.content import SemanticProfile
from fuserec.fusion.hybrid import NeuralHybrid
from fuserec.models import Popularity, Random


@pytest.fixture(scope="module")
def split(ml100k):
    return random_split(ml100k, 0.2, seed=0)


@pytest.fixture(scope="module")
def cold(ml100k):
    s = cold_items_split(ml100k, 0.2, seed=0)
    mask = s.cold_items()
    return s, mask


@pytest.fixture(scope="module")
def hybrid(split):
    return NeuralHybrid("minilm", max_epochs=8, patience=2).fit(split.train)


def test_hybrid_ranks_warm_items(hybrid, split):
    ndcg = evaluate_ranking(hybrid, split, [10]).metrics["ndcg@10"]
    pop = evaluate_ranking(Popularity().fit(split.train), split, [10]).metrics["ndcg@10"]
    assert ndcg > 1.4 * pop  # measured 0.37 vs 0.21
    assert 1 <= hybrid.best_epoch_ <= 8 and len(hybrid.val_history_) >= hybrid.best_epoch_
    assert hybrid.uses_lm and not NeuralHybrid(encoder=None).uses_lm


def test_hybrid_scores_new_items_by_text(cold):
    s, mask = cold
    model = NeuralHybrid("minilm", max_epochs=6, patience=2, refit=False).fit(s.train)
    r_hybrid = evaluate_ranking(model, s, [20], min_rating=4.0, candidates=mask).metrics["recall@20"]
    r_random = evaluate_ranking(Random().fit(s.train), s, [20], min_rating=4.0, candidates=mask).metrics["recall@20"]
    assert r_hybrid > 2.0 * r_random
    # a cold item's vector is its text projection only: the ID part was never used
    ids_only = NeuralHybrid(encoder=None, max_epochs=2, patience=1, refit=False).fit(s.train)
    assert np.allclose(ids_only.item_factors_[mask], 0.0)


def test_hybrid_ratings_mse(split):
    model = NeuralHybrid("minilm", loss="mse", max_epochs=10, patience=2, lr=2e-3, reg=1e-4).fit(split.train)
    rmse = evaluate_rating(model, split).metrics["rmse"]
    assert rmse < 0.98  # global-mean RMSE here is 1.13
    pred = model.score(split.test.users.ids[split.test.interactions["user"].to_numpy()[:5]],
                       split.test.items.ids[split.test.interactions["item"].to_numpy()[:5]])
    assert pred.shape == (5,) and ((pred >= 1) & (pred <= 5)).all()


def test_hybrid_save_load(hybrid, split, tmp_path):
    from fuserec import artifacts

    users = hybrid.users_.ids[:3]
    again = artifacts.load(artifacts.save(tmp_path / "h", hybrid, split.train, refit=False)).model
    assert (again.recommend(users, k=5)[0] == hybrid.recommend(users, k=5)[0]).all()


def test_hybrid_bad_loss(split):
    with pytest.raises(ValueError, match="'loss'.*one of 'softmax'"):
        NeuralHybrid(loss="hinge").fit(split.train)


def test_semantic_profile_cold_items(cold):
    s, mask = cold
    r = {enc: evaluate_ranking(SemanticProfile(enc).fit(s.train), s, [20], min_rating=4.0,
                               candidates=mask).metrics["recall@20"] for enc in ("tfidf", "minilm")}
    rand = evaluate_ranking(Random().fit(s.train), s, [20], min_rating=4.0, candidates=mask).metrics["recall@20"]
    assert min(r.values()) > 1.5 * rand


def test_hybrid_sampled_softmax(split):
    # above n_negatives warm items the softmax runs over a shared uniform sample plus the positives
    model = NeuralHybrid("minilm", n_negatives=300, max_epochs=4, patience=2, refit=False).fit(split.train)
    ndcg = evaluate_ranking(model, split, [10]).metrics["ndcg@10"]
    pop = evaluate_ranking(Popularity().fit(split.train), split, [10]).metrics["ndcg@10"]
    assert ndcg > 1.2 * pop
    assert not hasattr(model, "_warm_index")  # training state is not saved with the model


def test_text_trend_ranks_new_items_from_their_neighbours(cold):
    from fuserec.fusion.content import TextTrend

    s, mask = cold
    trend = TextTrend("minilm").fit(s.train)
    scores = trend._score_users(np.array([0, 1]))
    assert (scores[0] == scores[1]).all() and np.ptp(scores[0, mask]) > 0  # one list, cold items differ
    got = evaluate_ranking(trend, s, [20], candidates=mask).metrics["recall@20"]
    rnd = evaluate_ranking(Random().fit(s.train), s, [20], candidates=mask).metrics["recall@20"]
    assert got > 2 * rnd  # measured 0.173 vs 0.060


def test_text_ease_adds_text_to_the_gram_matrix(split):
    from scipy import stats

    from fuserec.fusion import TextEASE
    from fuserec.models import EASE

    plain = evaluate_ranking(EASE(reg=300.0).fit(split.train), split, [10]).per_user["ndcg@10"]
    zero = TextEASE(alpha=0.0, reg=300.0).fit(split.train)
    assert zero.validation_ == []  # everything fixed: no search
    assert np.allclose(zero.item_weights_, EASE(reg=300.0).fit(split.train).item_weights_)  # α = 0 is EASE
    text = evaluate_ranking(TextEASE(alpha=1.0, reg=300.0, power=3).fit(split.train), split, [10]).per_user["ndcg@10"]
    # measured 0.4453 → 0.4521, paired over the 940-odd users
    assert text.mean() > plain.mean() and stats.ttest_rel(text, plain).pvalue < 0.05


def test_text_ease_searches_ridge_power_and_alpha_on_validation(split):
    from fuserec.fusion import TextEASE

    m = TextEASE(regs=(300.0, 500.0), alphas=(0.0, 1.0, 50.0), powers=(3, 5)).fit(split.train)
    # α = 0 once per ridge (the power does not matter there), then every (power, α > 0)
    assert len(m.validation_) == 2 * (1 + 2 * 2)
    best = max(m.validation_, key=lambda t: t["score"])
    assert (best["reg"], best["power"], best["alpha"]) == (m.reg_, m.power_, m.alpha_)
    assert m.alpha_ in (0.0, 1.0)  # 50 × the mean item count drowns the interactions
    drowned = [t["score"] for t in m.validation_ if t["alpha"] == 50.0]
    assert max(drowned) < best["score"]
    again = m.fixed()
    assert (again.reg, again.power, again.alpha) == (m.reg_, m.power_, m.alpha_)
    assert np.allclose(again.fit(split.train).item_weights_, m.item_weights_)
    with pytest.raises(ValueError, match="odd"):
        TextEASE(power=2, alpha=1.0).fit(split.train)
