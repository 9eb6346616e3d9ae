"""The LambdaRank re-ranker on ml-100k: it trains on pooled candidates, ranks them above the rest,
beats its weakest retriever by far, and round-trips through save/load."""

from __future__ import annotations

import numpy as np
import pytest

from fuserec.data.split import random_split, temporal_split
from fuserec.evaluation import evaluate_ranking
from fuserec.fusion import LearnedReranker
from fuserec.fusion.content import SemanticProfile
from fuserec.models import EASE, Popularity, RP3beta


@pytest.fixture(scope="module")
def split(ml100k):
    return random_split(ml100k, 0.2, seed=0)


@pytest.fixture(scope="module")
def fitted(split):
    retrievers = {"ease": EASE(reg=300.0), "popularity": Popularity(), "semantic": SemanticProfile("minilm")}
    return LearnedReranker(retrievers, pool=50, n_folds=1, n_estimators=100).fit(split.train)


def test_reranker_learns_and_ranks(fitted, split):
    ndcg = evaluate_ranking(fitted, split, [10]).metrics["ndcg@10"]
    pop = evaluate_ranking(Popularity().fit(split.train), split, [10]).metrics["ndcg@10"]
    assert ndcg > 1.6 * pop  # measured about 0.43 vs 0.21
    assert 0.3 < fitted.recall_at_pool_ < 1.0  # share of validation positives inside the pool
    names = fitted.feature_names()
    assert {"ease:z", "ease:logrank", "text:max_sim_history", "text:topic_share", "user:logcount",
            "user:idle_days"} <= set(names)
    gain = fitted.feature_importance()
    assert list(gain) != [] and max(gain, key=gain.get) in names
    assert fitted.uses_lm


def test_pooled_items_rank_above_the_rest(fitted):
    scores = fitted._score_users(np.array([0, 1]))
    for row in scores:
        finite = row[np.isfinite(row)]
        pooled = finite[finite > -5_000]
        rest = finite[finite <= -5_000]
        assert 50 <= len(pooled) <= 150  # union of three top-50 lists
        assert len(rest) > 0 and pooled.min() > rest.max()


def test_save_load_same_recommendations(fitted, split, tmp_path):
    users = fitted.users_.ids[:5]
    ids, _ = fitted.recommend(users, k=10)
    from fuserec import artifacts

    again = artifacts.load(artifacts.save(tmp_path / "rr", fitted, split.train, refit=False)).model
    assert (again.recommend(users, k=10)[0] == ids).all()


def test_without_language_model_is_an_ablation(ml100k):
    rr = LearnedReranker({"ease": EASE(), "rp3": RP3beta()}, semantic_features=False)
    assert not rr.uses_lm
    assert LearnedReranker({"text": SemanticProfile("tfidf")}, semantic_features=False).uses_lm is False


def test_temporal_inner_splits_go_back_in_time(ml100k):
    train = temporal_split(ml100k, 0.2).train
    rr = LearnedReranker(n_folds=3, val_size=0.1, temporal=True)
    splits = list(rr._inner_splits(train))
    assert len(splits) == 3
    for later, earlier in zip(splits, splits[1:], strict=False):
        assert earlier.test.interactions["timestamp"].max() <= later.test.interactions["timestamp"].min()
    for s in splits:
        assert abs(len(s.test) - 0.1 * len(train)) < 0.01 * len(train)


def test_per_user_inner_splits_are_each_users_latest(ml100k):
    from fuserec.data.split import validation_split

    train = random_split(ml100k, 0.2, seed=0).train
    splits = list(LearnedReranker(n_folds=2, val_size=0.1, temporal="per-user")._inner_splits(train))
    assert len(splits) == 2
    for s in splits:  # every validation user's window is later than what that user keeps
        first = s.test.interactions.groupby("user")["timestamp"].min()
        kept = s.train.interactions.groupby("user")["timestamp"].max()
        assert (kept.loc[first.index] <= first).all()
        assert s.test.interactions["user"].nunique() > 0.9 * ml100k.n_users
    assert splits[1].test.interactions["timestamp"].mean() < splits[0].test.interactions["timestamp"].mean()
    one = validation_split(train, 0.1, temporal="per-user")
    assert one.method == "temporal-per-user" and abs(len(one.test) - 0.1 * len(train)) < 0.01 * len(train)
    with pytest.raises(ValueError, match="per-user"):
        validation_split(train, 0.1, temporal="per-item")
    with pytest.raises(ValueError, match="per-user"):
        list(LearnedReranker(temporal="later")._inner_splits(train))


def test_light_user_splits_cut_half_the_users_back(ml100k):
    from fuserec.fusion.rerank.groups import light_splits

    splits = list(light_splits(ml100k, 2, 5))
    assert len(splits) == 2 and all(s.method == "light-users" for s in splits)
    test_users = np.unique(splits[0].test.interactions["user"])
    assert splits[0].train.user_counts()[test_users].max() <= 5
    assert 0.4 < len(test_users) / ml100k.n_users < 0.6
    other = np.unique(splits[1].test.interactions["user"])
    assert not np.array_equal(test_users, other)  # another draw of users per split


def test_text_trend_features_rank_a_new_item_by_its_neighbours():
    from fuserec.fusion.content import text_trend as _text_trend

    rng = np.random.default_rng(0)
    hot, stale = rng.normal(size=8), rng.normal(size=8)
    vecs = np.vstack([hot + 0.1 * rng.normal(size=(12, 8)), stale + 0.1 * rng.normal(size=(12, 8)),
                      [hot], [stale]]).astype(np.float32)  # the last two are new items
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    count = np.r_[np.full(24, 5.0), 0.0, 0.0].astype(np.float32)
    recent = np.r_[np.full(12, 4.0), np.zeros(12), 0.0, 0.0].astype(np.float32)
    trend, neighbour = _text_trend(vecs, count, recent, k=5)
    assert trend[24] > trend[25] and neighbour[24] > neighbour[25]
    assert neighbour[24] == pytest.approx(np.log1p(4.0)) and neighbour[25] == pytest.approx(0.0)
    # a warm item is not its own neighbour: an isolated hot item takes its neighbours' value
    count2, recent2 = count.copy(), np.zeros_like(recent)
    recent2[0] = 9.0
    _, n2 = _text_trend(vecs, count2, recent2, k=5)
    assert n2[0] == pytest.approx(0.0) and n2[1:12].max() > 0


def test_light_users_are_routed_to_the_light_rankers(ml100k):
    from fuserec.data.split import light_users_split
    from fuserec.fusion.rerank.rankers import predict

    split = light_users_split(ml100k, 0.2, 5, seed=0)
    rr = LearnedReranker({"ease": EASE(), "popularity": Popularity()}, semantic_features=False, pool=50, n_folds=1,
                         n_estimators=50, light_users=True, n_light_splits=1).fit(split.train)
    assert rr.light_rankers_ is not None
    counts = split.train.user_counts()
    light, heavy = np.flatnonzero(counts <= 5)[:3], np.flatnonzero(counts > 5)[:3]
    users = np.r_[light, heavy]
    rows, items, x, _ = rr._candidates(rr.fitted_, rr.side_, rr.seen_, users)
    scores = rr._score_users(users)
    is_light = rows < len(light)
    assert np.allclose(scores[rows[is_light], items[is_light]], predict(rr.light_rankers_, x[is_light]), atol=1e-5)
    assert np.allclose(scores[rows[~is_light], items[~is_light]], predict(rr.rankers_, x[~is_light]), atol=1e-5)


def test_ranker_early_stopping_holds_out_whole_users():
    # a user has a group in every inner fold; holding out groups would let the ranker see the
    # same user (same user features) on both sides of early stopping
    owner = np.repeat(np.arange(200), 8)
    from fuserec.fusion.rerank.rankers import held_out

    held = held_out(owner, seed=3)
    per_user = np.bincount(owner, weights=held, minlength=200)
    assert set(np.unique(per_user)) == {0.0, 8.0}
    assert 0.1 < held.mean() < 0.3


def test_tree_settings_are_chosen_on_held_out_users(fitted):
    scores = fitted.tree_scores_["main"]
    assert set(scores) == set(fitted.tree_settings)
    leaves, _ = max(scores, key=scores.get)
    assert all(r.get_params()["num_leaves"] == leaves for r in fitted.rankers_)


def test_a_self_tuning_retriever_searches_once(ml100k, monkeypatch):
    from fuserec.fusion import TextEASE

    split = random_split(ml100k, 0.2, seed=0)
    calls = []
    search = TextEASE._search
    monkeypatch.setattr(TextEASE, "_search", lambda self, *a: calls.append(1) or search(self, *a))
    text = TextEASE(regs=(300.0,), alphas=(0.0, 1.0), powers=(3,), n_val=1)
    rr = LearnedReranker({"text-ease": text, "popularity": Popularity()}, semantic_features=False, pool=50,
                         n_folds=2, n_estimators=50).fit(split.train)
    assert len(calls) == 1  # on all of train; the two inner folds reuse its choice
    assert rr.fitted_["text-ease"].alpha_ in (0.0, 1.0) and rr.uses_lm


def test_user_idle_days_is_the_time_since_the_users_latest_interaction():
    import pandas as pd

    from fuserec.data import Dataset
    from fuserec.fusion.rerank import DAY, Side

    frame = pd.DataFrame({"user": ["a", "a", "b", "c"], "item": ["x", "y", "x", "z"],
                          "timestamp": [0, 10 * DAY, 3 * DAY, 40 * DAY]})
    side = Side(Dataset.from_frame("idle", frame), None, None)
    np.testing.assert_allclose(side.user_idle, [30.0, 37.0, 0.0])
    no_time = Side(Dataset.from_frame("idle", frame.drop(columns="timestamp")), None, None)
    np.testing.assert_array_equal(no_time.user_idle, [-1.0, -1.0, -1.0])


def test_keyword_overlap_is_the_users_share_of_each_candidate_keyword():
    import pandas as pd
    import scipy.sparse as sp

    from fuserec.data import Dataset
    from fuserec.fusion.rerank.features import Side, keyword_overlap

    frame = pd.DataFrame({"user": ["a", "a", "a", "b"], "item": ["x", "y", "x", "z"]})
    ds = Dataset.from_frame("kw", frame)
    idx = {i: int(ds.items.to_index(i)) for i in "xyz"}
    keywords = sp.lil_matrix((3, 3), dtype=np.float32)  # words 0, 1, 2
    keywords[idx["x"], [0, 1]] = 1
    keywords[idx["y"], [0]] = 1
    keywords[idx["z"], [2]] = 1
    side = Side(ds, None, None, sp.csr_matrix(keywords))
    a, b = int(ds.users.to_index("a")), int(ds.users.to_index("b"))
    # a's two distinct items (x twice counts once): word 0 on both, word 1 on one
    np.testing.assert_allclose(side.user_keywords[a].toarray(), [[1.0, 0.5, 0.0]])
    users, rows = np.array([a, b]), np.array([0, 0, 1, 1])
    items = np.array([idx["x"], idx["z"], idx["x"], idx["z"]])
    got = keyword_overlap(side, users, rows, items)
    np.testing.assert_allclose(got, [0.75, 0.0, 0.0, 1.0])


def test_keyword_features_enter_the_ranker(split):
    rr = LearnedReranker({"ease": EASE(reg=300.0), "popularity": Popularity()}, keyword_features=True, pool=50,
                         n_folds=1, n_estimators=60, n_rankers=1, tree_settings=((15, 50),)).fit(split.train)
    assert rr.feature_names()[-1] == "text:keyword_overlap"
    assert rr.keywords_.shape[0] == split.train.n_items and rr.keywords_.nnz > 0
    assert evaluate_ranking(rr, split, [10]).metrics["ndcg@10"] > 0.35


def test_held_out_ndcg_counts_positives_outside_the_pool(monkeypatch):
    class ByFirstColumn:  # ranks by the first feature
        best_iteration_ = None

        def predict(self, x, num_iteration=None):
            return x[:, 0]

    import fuserec.fusion.rerank.rankers as rankers

    monkeypatch.setattr(rankers, "held_out", lambda owner, seed: np.ones(len(owner), bool))
    # group 0: three candidates, the positive ranked second, two validation positives in all;
    # group 1: its one positive ranked first; group 2: lost from the pool (no rows)
    x = np.array([[3.0], [2.0], [1.0], [5.0], [4.0]])
    y = np.array([0, 1, 0, 1, 0])
    gid = np.array([0, 0, 0, 1, 1])
    values = rankers.held_out_ndcg([ByFirstColumn()], [0], x, y, gid, owner=np.arange(3), n_pos=np.array([2, 1, 1]))
    ideal_two = 1 + 1 / np.log2(3)
    np.testing.assert_allclose(values, [(1 / np.log2(3)) / ideal_two, 1.0, 0.0])


def test_retrievers_are_dropped_only_on_clear_validation_gains(split, monkeypatch):
    import fuserec.fusion.rerank.selection as selection
    from fuserec.models import Random

    small = dict(semantic_features=False, pool=30, n_folds=1, n_estimators=40, n_rankers=2,
                 tree_settings=((15, 50),), select_retrievers=True)
    retrievers = {"ease": EASE(reg=300.0), "popularity": Popularity(), "random": Random()}
    rr = LearnedReranker(retrievers, **small).fit(split.train)
    scores = rr.retriever_scores_
    assert {("ease", "popularity", "random"), ("popularity", "random"), ("ease", "random"),
            ("ease", "popularity")} <= set(scores)
    assert scores[("popularity", "random")] < scores[("ease", "popularity", "random")] - 0.03  # EASE carries it
    assert "ease" in rr.fitted_
    assert LearnedReranker(retrievers, **{**small, "select_retrievers": False}).fit(split.train).retriever_scores_ == {}
    # with no bar at all, elimination runs down to one retriever, and the model still scores
    monkeypatch.setattr(selection, "DROP_T", -np.inf)
    one = LearnedReranker(retrievers, **small).fit(split.train)
    assert len(one.fitted_) == 1 and len([n for n in one.feature_names() if n.endswith(":z")]) == 1
    assert np.isfinite(evaluate_ranking(one, split, [10]).metrics["ndcg@10"])


def test_the_reranker_folds_in_a_history_close_to_its_own_training_list(fitted):
    assert fitted.can_fold_in
    users = np.arange(20)
    trained = fitted._score_users(users)
    folded = fitted.score_histories(fitted.seen_[users])
    overlap = [len(set(np.argsort(-a)[:10]) & set(np.argsort(-b)[:10])) for a, b in zip(trained, folded, strict=True)]
    assert np.mean(overlap) >= 7          # the same user, read from the row instead of the training tables


def test_fresh_events_change_the_reranked_list_and_are_not_offered_back(fitted):
    row = fitted.seen_[[3]].toarray()
    before = fitted.score_histories(row)[0]
    fresh = np.argsort(-before)[:5]                       # the user now "watches" their top five
    row[0, fresh] = 1.0
    after = fitted.score_histories(row)[0]
    assert np.all(after[fresh] == -np.inf)
    assert set(np.argsort(-after)[:10]) != set(np.argsort(-before)[5:15])


def test_a_reranker_with_a_retriever_that_cannot_fold_in_says_so(split):
    from fuserec.models import BPR

    rr = LearnedReranker({"ease": EASE(), "bpr": BPR(factors=8, iterations=2)}, semantic_features=False)
    assert not rr.can_fold_in
    rr = LearnedReranker({"ease": EASE(), "popularity": Popularity()}, semantic_features=False, n_folds=1,
                         n_estimators=20, tree_settings=((7, 20),), n_rankers=1).fit(split.train)
    assert rr.can_fold_in and rr.score_histories(rr.seen_[[0, 1]]).shape == (2, split.train.n_items)


def test_an_explanation_names_the_retrievers_that_pooled_an_item_and_the_features_that_moved_it(fitted):
    scores = fitted._score_users(np.array([2]))[0]
    top = np.argsort(-scores)[:5]
    outside = int(np.argsort(scores)[0])
    reasons = fitted.explain_items(np.append(top, outside), user=2)
    names = set(fitted.feature_names())
    for why in reasons[:5]:
        assert why["retrievers"] and all(1 <= r["rank"] <= fitted.pool for r in why["retrievers"])
        assert len(why["features"]) == 3 and {f["name"] for f in why["features"]} <= names
        contributions = [abs(f["contribution"]) for f in why["features"]]
        assert contributions == sorted(contributions, reverse=True) and contributions[0] > 0
    assert reasons[5] == {"retrievers": [], "features": []}
    fresh = fitted.explain_items(top, history=fitted.seen_[[2]])
    assert all(why["features"] for why in fresh)
