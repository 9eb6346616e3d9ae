"""Rating models on ml-100k's u1 fold: each one measured, and checked against what it must beat."""

from __future__ import annotations

import numpy as np
import pytest

from fuserec import artifacts
from fuserec.data.split import ml100k_folds
from fuserec.evaluation import evaluate_rating
from fuserec.fusion import Blend
from fuserec.models import BaselineOnly, BiasedMF, KNNBaseline, SVDpp


@pytest.fixture(scope="module")
def u1(ml100k, datasets_dir):
    return ml100k_folds(ml100k, datasets_dir / "ml-100k", ["u1"])[0]


@pytest.fixture(scope="module")
def fitted(u1):
    models = {
        "baseline": BaselineOnly(),
        "knn-item": KNNBaseline(),
        "knn-user": KNNBaseline(user_based=True),
        "mf": BiasedMF(verbose=False),
        "svdpp": SVDpp(verbose=False),
    }
    return {name: m.fit(u1.train) for name, m in models.items()}


@pytest.fixture(scope="module")
def rmse(fitted, u1):
    return {name: evaluate_rating(m, u1).metrics["rmse"] for name, m in fitted.items()}


def test_baseline_matches_surprise(rmse):
    # Surprise 1.1.5 BaselineOnly (ALS, reg_u 15, reg_i 10, 10 epochs) gives 0.9599 on u1 here
    assert rmse["baseline"] == pytest.approx(0.9599, abs=5e-4)


def test_knn_baseline_matches_surprise(rmse):
    # Surprise KNNBaseline(pearson_baseline, item-based): 0.9359 on u1 (0.9204 over u1..u5)
    assert rmse["knn-item"] == pytest.approx(0.9359, abs=5e-4)
    assert rmse["knn-user"] < rmse["baseline"] - 0.02


def test_factor_models_beat_baseline(rmse):
    assert rmse["mf"] < rmse["baseline"] - 0.03
    assert rmse["svdpp"] < rmse["mf"]


def test_blend_beats_its_members(u1, rmse):
    blend = Blend().fit(u1.train)
    assert set(blend.val_rmse_) == {"mf", "svdpp", "knn-item", "knn-user", "blend"}
    assert blend.val_rmse_["blend"] < min(v for k, v in blend.val_rmse_.items() if k != "blend")
    assert evaluate_rating(blend, u1).metrics["rmse"] < min(rmse.values()) - 0.005


def test_unknown_user_gets_mean_plus_item_bias(u1, fitted):
    ds = u1.train
    inter = ds.interactions.loc[ds.interactions["user"] != 0]
    train = ds.with_interactions(inter.reset_index(drop=True))
    for cls in (BiasedMF, SVDpp):
        m = cls(epochs=5, verbose=False).fit(train)
        pred = m.predict_indices(np.zeros(3, dtype=int), np.array([0, 1, 2]))
        np.testing.assert_allclose(pred, np.clip(m.mu_ + m.item_bias_[:3], 1, 5))


def test_predictions_are_clipped_to_the_scale(fitted):
    preds = fitted["mf"].predict_indices(np.arange(50), np.arange(50))
    assert preds.min() >= 1.0 and preds.max() <= 5.0


@pytest.mark.parametrize("name", ["baseline", "knn-item", "mf", "svdpp"])
def test_save_load_identical(fitted, name, tmp_path, u1):
    m = fitted[name]
    users = u1.train.users.ids[:20]
    before = m.recommend(users, k=10)
    loaded = artifacts.load(artifacts.save(tmp_path / name, m, u1.train, refit=False)).model
    after = loaded.recommend(users, k=10)
    assert (before[0] == after[0]).all()
    np.testing.assert_allclose(before[1], after[1])
    np.testing.assert_allclose(m.score(users[:5], u1.train.items.ids[:5]), loaded.score(users[:5],
                                                                                         u1.train.items.ids[:5]))


def test_mf_is_seeded(u1):
    a = BiasedMF(epochs=3, verbose=False, random_state=1).fit(u1.train)
    b = BiasedMF(epochs=3, verbose=False, random_state=1).fit(u1.train)
    np.testing.assert_array_equal(a.user_factors_, b.user_factors_)


def test_torch_path_matches_compiled_loop(u1):
    """The mini-batch torch trainer (the GPU path, here on the CPU) reaches the per-rating loop's RMSE."""
    loop = BiasedMF(factors=32, epochs=25, device="numba", verbose=False).fit(u1.train)
    batched = BiasedMF(factors=32, epochs=25, device="cpu", batch_size=1024, verbose=False).fit(u1.train)
    r_loop = evaluate_rating(loop, u1).metrics["rmse"]
    r_batched = evaluate_rating(batched, u1).metrics["rmse"]
    assert abs(r_loop - r_batched) < 0.01
    assert r_batched < 0.945  # well past BaselineOnly (0.9599) only if it really trains


def test_sparse_similarity_path_gives_the_same_predictions(u1, fitted, monkeypatch):
    import fuserec.models.knn as knn

    monkeypatch.setattr(knn, "DENSE_MAX", 10)  # force the sparse storage used for large catalogues
    sparse = KNNBaseline().fit(u1.train)
    assert not isinstance(sparse.similarity_, np.ndarray)
    users, items = u1.test.interactions["user"].to_numpy()[:500], u1.test.interactions["item"].to_numpy()[:500]
    np.testing.assert_allclose(sparse.predict_indices(users, items), fitted["knn-item"].predict_indices(users, items),
                               rtol=1e-5)
