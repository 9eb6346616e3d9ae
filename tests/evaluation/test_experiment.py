"""The experiment runner end to end on real data, and its JSON schema."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fuserec.data.split import ml100k_folds, random_split
from fuserec.evaluation import Experiment, evaluate_ranking
from fuserec.models import Popularity, Random


def check_schema(row: dict) -> None:
    assert set(row) >= {"system", "model", "dataset", "split", "fold", "metrics", "fit_seconds", "predict_seconds"}
    assert row["system"] == "fuserec"
    assert isinstance(row["model"], str) and isinstance(row["dataset"], str) and isinstance(row["split"], str)
    assert row["fold"] is None or isinstance(row["fold"], int)
    assert all(k == k.lower() and isinstance(v, float) for k, v in row["metrics"].items())
    assert row["fit_seconds"] >= 0 and row["predict_seconds"] >= 0


def test_ranking_experiment_ml100k(ml100k, tmp_path):
    splits = [random_split(ml100k, 0.2, seed=0)]
    res = Experiment(splits, {"popularity": Popularity(), "random": Random()}, task="ranking", ks=[5, 10]).run()
    rows = {r["model"]: r for r in res.rows}
    for r in rows.values():
        check_schema(r)
        assert {"ndcg@10", "precision@5", "recall@10", "map@10", "mrr@10", "hitrate@10", "f1@10",
                "coverage@10", "novelty@10", "arp@10", "gini@10"} <= set(r["metrics"])
        lo, hi = r["ci95"]["ndcg@10"]
        assert lo < r["metrics"]["ndcg@10"] < hi
    pop, rnd = rows["popularity"]["metrics"], rows["random"]["metrics"]
    # MostPop on this protocol is known to score about 0.21-0.23 NDCG@10; random about 0.01
    assert 0.18 < pop["ndcg@10"] < 0.26
    assert rnd["ndcg@10"] < 0.03
    assert pop["coverage@10"] < 0.1 < rnd["coverage@10"]
    assert pop["gini@10"] > rnd["gini@10"]
    path = tmp_path / "out.json"
    res.to_json(path)
    loaded = json.loads(path.read_text())
    assert [r["model"] for r in loaded["rows"]] == ["popularity", "random"]


def test_rating_experiment_on_u1_to_u5(ml100k, datasets_dir):
    folds = ml100k_folds(ml100k, datasets_dir / "ml-100k")
    res = Experiment(folds, {"popularity": Popularity(), "random": Random()}, task="rating",
                     split_name="u1-u5").run()
    assert len(res.rows) == 10 and {r["fold"] for r in res.rows} == set(range(5))
    summary = {s["model"]: s for s in res.summary()}
    # item-mean predictor ~1.02 RMSE; Surprise's NormalPredictor ~1.52 on these folds
    assert 0.98 < summary["popularity"]["mean"]["rmse"] < 1.06
    assert 1.45 < summary["random"]["mean"]["rmse"] < 1.60
    assert summary["popularity"]["std"]["rmse"] > 0


def test_ranking_among_candidates_only(ml100k):
    s = random_split(ml100k, 0.2, seed=0)
    allowed = ml100k.item_counts() < 50
    m = Popularity().fit(s.train)
    res = evaluate_ranking(m, s, [10], candidates=allowed)
    assert res.metrics["coverage@10"] <= allowed.mean()
    top, _ = m.recommend_indices(res.users[:20], 10, candidates=allowed)
    assert allowed[top[top >= 0]].all()


def test_rating_task_refuses_implicit(datasets_dir):
    from fuserec.data import load_dataset

    ds = load_dataset("lastfm", datasets_dir, download=False)
    with pytest.raises(ValueError, match="ranking task"):
        Experiment([random_split(ds, 0.2)], {"popularity": Popularity()}, task="rating").run()


# ---- the options benchmarks use, on the embedded sample (no data needed) ----
def test_candidates_system_and_row_callback(sample):
    from fuserec.evaluation.protocol import Measurement

    s = random_split(sample, 0.2, seed=0)
    allowed = sample.item_counts() < np.median(sample.item_counts())
    seen: list[tuple[dict, Measurement]] = []
    res = Experiment([s], {"popularity": Popularity()}, ks=[10], candidates=allowed, system="peer-x",
                     dataset="sample", split_name="random 80/20", on_row=lambda r, m: seen.append((r, m))).run()
    direct = evaluate_ranking(Popularity().fit(s.train), s, [10], candidates=allowed)
    row = res.rows[0]
    assert row["system"] == "peer-x" and row["dataset"] == "sample" and row["split"] == "random 80/20"
    assert row["metrics"]["ndcg@10"] == pytest.approx(direct.metrics["ndcg@10"])
    assert row["metrics"]["coverage@10"] <= allowed.mean()
    unrestricted = Experiment([s], {"popularity": Popularity()}, ks=[10]).run().rows[0]
    assert unrestricted["metrics"]["ndcg@10"] != pytest.approx(row["metrics"]["ndcg@10"])
    assert len(seen) == 1 and seen[0][0] is row and seen[0][1] is res.measurements[0]


def test_a_model_that_cannot_fit_is_skipped_or_raises(sample):
    from fuserec.models import SocialNeighbours

    s = random_split(sample, 0.2, seed=0)
    models = {"social": SocialNeighbours(), "popularity": Popularity()}  # the sample has no friendships
    with pytest.raises(ValueError, match="no social edges"):
        Experiment([s], models).run()
    res = Experiment([s], models, on_error="skip").run()
    assert [r["model"] for r in res.rows] == ["popularity"] and len(res.measurements) == 1


def test_bad_options_are_refused(sample):
    s = random_split(sample, 0.2, seed=0)
    with pytest.raises(ValueError, match="on_error"):
        Experiment([s], {"p": Popularity()}, on_error="ignore")
    with pytest.raises(ValueError, match="candidates"):
        Experiment([s], {"p": Popularity()}, task="rating", candidates=np.ones(sample.n_items, bool))


def test_a_user_cap_measures_the_same_seeded_sample_for_every_model(sample):
    from fuserec.data.split import random_split
    from fuserec.evaluation import evaluate_ranking
    from fuserec.models import EASE, Popularity

    split = random_split(sample, 0.2, seed=0)
    model = Popularity().fit(split.train)
    every = evaluate_ranking(model, split)
    capped = evaluate_ranking(model, split, max_users=40)
    assert len(every.users) > 40 and len(capped.users) == 40 and set(capped.users) <= set(every.users)
    np.testing.assert_array_equal(evaluate_ranking(model, split, max_users=40).users, capped.users)
    np.testing.assert_array_equal(evaluate_ranking(model, split, max_users=10**6).users, every.users)
    rows = Experiment([split], {"pop": Popularity(), "ease": EASE()}, max_users=40).run().rows
    assert [r["users"] for r in rows] == [40, 40]
