"""Metrics on hand-computed cases and against independent implementations on random data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats
from sklearn.metrics import mean_absolute_error, mean_squared_error, ndcg_score

from fuserec._core.topk import mask_seen, topk_indices
from fuserec.evaluation import metrics as M


def test_rating_metrics_hand_and_sklearn():
    t, p = np.array([4.0, 3.0, 5.0, 1.0]), np.array([3.5, 3.0, 4.0, 2.0])
    assert M.mse(t, p) == pytest.approx((0.25 + 0 + 1 + 1) / 4)
    assert M.rmse(t, p) == pytest.approx(math.sqrt(2.25 / 4))
    assert M.mae(t, p) == pytest.approx(2.5 / 4)
    rng = np.random.default_rng(0)
    t, p = rng.uniform(1, 5, 1000), rng.uniform(1, 5, 1000)
    assert M.mse(t, p) == pytest.approx(mean_squared_error(t, p))
    assert M.mae(t, p) == pytest.approx(mean_absolute_error(t, p))
    with pytest.raises(ValueError, match="shape"):
        M.rmse(t, p[:-1])


def hand_case():
    # user 0: relevant {1, 3}; list [1, 2, 3]. user 1: relevant {5}; list [4, 5, -1 (padding)]
    topk = np.array([[1, 2, 3], [4, 5, -1]])
    rel = sp.csr_matrix(([1, 1, 1], ([0, 0, 1], [1, 3, 5])), shape=(2, 6))
    return topk, rel


def test_ranking_hand_computed():
    topk, rel = hand_case()
    v = {k: m.per_user for k, m in M.ranking_metrics(topk, rel, ks=[3]).items()}
    np.testing.assert_allclose(v["precision@3"], [2 / 3, 1 / 3])
    np.testing.assert_allclose(v["recall@3"], [1.0, 1.0])
    np.testing.assert_allclose(v["f1@3"], [0.8, 0.5])
    idcg0 = 1 + 1 / math.log2(3)
    np.testing.assert_allclose(v["ndcg@3"], [(1 + 1 / math.log2(4)) / idcg0, (1 / math.log2(3)) / 1])
    np.testing.assert_allclose(v["map@3"], [(1 + 2 / 3) / 2, 0.5])
    np.testing.assert_allclose(v["mrr@3"], [1.0, 0.5])
    np.testing.assert_allclose(v["hitrate@3"], [1.0, 1.0])
    v1 = {k: m.per_user for k, m in M.ranking_metrics(topk, rel, ks=[1]).items()}
    np.testing.assert_allclose(v1["ndcg@1"], [1.0, 0.0])
    np.testing.assert_allclose(v1["hitrate@1"], [1.0, 0.0])


def test_hit_matrix_ignores_padding():
    topk, rel = hand_case()
    hits = M.hit_matrix(topk, rel)
    assert hits.tolist() == [[True, False, True], [False, True, False]]


def test_ndcg_matches_sklearn_on_random_data():
    rng = np.random.default_rng(42)
    n_users, n_items, k = 200, 300, 10
    rel = (rng.random((n_users, n_items)) < 0.03).astype(np.float64)
    rel[np.arange(n_users), rng.integers(0, n_items, n_users)] = 1  # every user has a relevant item
    scores = rng.random((n_users, n_items))  # continuous: no ties
    topk, _ = topk_indices(scores.copy(), k)
    ours = M.ranking_metrics(topk, sp.csr_matrix(rel), ks=[k])[f"ndcg@{k}"].mean
    assert ours == pytest.approx(ndcg_score(rel, scores, k=k), rel=1e-10)


def test_ndcg_map_precision_match_implicit_evaluation():
    implicit_eval = pytest.importorskip("implicit.evaluation")
    from implicit.nearest_neighbours import CosineRecommender
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(7)
    n_users, n_items, k = 150, 120, 10
    full = sp.csr_matrix((rng.random((n_users, n_items)) < 0.15).astype(np.float32))
    mask = rng.random(full.nnz) < 0.2
    coo = full.tocoo()
    train = sp.csr_matrix((coo.data[~mask], (coo.row[~mask], coo.col[~mask])), shape=full.shape).tocsr()
    test = sp.csr_matrix((coo.data[mask], (coo.row[mask], coo.col[mask])), shape=full.shape).tocsr()
    with threadpool_limits(1, "blas"):
        model = CosineRecommender(K=20)
        model.fit(train, show_progress=False)
        theirs = implicit_eval.ranking_metrics_at_k(model, train, test, K=k, show_progress=False, num_threads=1)
        users = np.flatnonzero(np.diff(test.indptr) > 0)
        ids, _ = model.recommend(users, train[users], N=k, filter_already_liked_items=True)
    ours = M.ranking_metrics(ids, test[users], ks=[k])
    assert ours[f"ndcg@{k}"].mean == pytest.approx(theirs["ndcg"], rel=1e-6)
    assert ours[f"map@{k}"].mean == pytest.approx(theirs["map"], rel=1e-6)
    # implicit's "precision" is pooled: all hits over the sum of min(k, n_relevant)
    hits = M.hit_matrix(ids, test[users]).sum(axis=1)
    n_rel = np.diff(test[users].indptr)
    assert hits.sum() / np.minimum(k, n_rel).sum() == pytest.approx(theirs["precision"], rel=1e-6)


def test_beyond_accuracy_hand():
    topk = np.array([[0, 1], [0, 2], [0, -1]])
    assert M.catalog_coverage(topk, 4) == 0.75
    pop = np.array([8, 2, 1, 0])
    assert M.average_popularity(topk, pop) == pytest.approx((8 * 3 + 2 + 1) / 5)
    assert M.novelty(topk, pop, n_users=8) == pytest.approx((0 * 3 + 2 + 3) / 5)
    # counts per item: [3, 1, 1, 0]; sorted [0, 1, 1, 3]; Gini = sum((2i-n-1) x_i) / (n sum x)
    assert M.gini(topk, 4) == pytest.approx(((-3) * 0 + (-1) * 1 + 1 * 1 + 3 * 3) / (4 * 5))
    assert M.gini(np.array([[0, 1], [2, 3]]), 4) == pytest.approx(0.0)


def test_confidence_interval_is_students_t():
    v = M.MetricValue("x", np.array([0.1, 0.5, 0.3, 0.9, 0.4]))
    lo, hi = v.ci95
    ref = stats.t.interval(0.95, 4, loc=v.mean, scale=stats.sem(v.per_user))
    assert (lo, hi) == pytest.approx(ref)


def test_topk_exclusion_and_padding():
    scores = np.array([[0.1, 0.9, 0.5, 0.7], [0.3, 0.2, 0.1, 0.0]], dtype=np.float32)
    seen = sp.csr_matrix(([1, 1, 1], ([0, 1, 1], [1, 0, 1])), shape=(2, 4))
    mask_seen(scores, seen)
    idx, val = topk_indices(scores, 3)
    assert idx.tolist() == [[3, 2, 0], [2, 3, -1]]
    idx, _ = topk_indices(np.array([[1.0, 1.0, 1.0]]), 2)
    assert idx.tolist() == [[0, 1]]  # ties: lower index first
    idx, _ = topk_indices(np.full((1, 3), -np.inf), 2)
    assert idx.tolist() == [[-1, -1]]
