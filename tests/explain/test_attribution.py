"""Attribution from the model's own computation: the split adds up to the model's score, the
reasons cite only what the user and the item hold, and the deletion test sees the cited items matter."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fuserec.explain import CannotAttribute, Explainer, ItemInfo, deletion_test, history_contributions, summarise
from fuserec.models.attribution import leave_one_out
from fuserec.registry import build_model


@pytest.fixture(scope="module")
def fitted(sample):
    return {name: build_model(name).fit(sample) for name in ("ease", "als", "itemknn", "tfidf-profile", "bpr")}


def _user_row(model, u=3):
    return sp.csr_matrix(model.seen_[u], dtype=np.float32)


@pytest.mark.parametrize("name,method", [("ease", "item-weights"), ("itemknn", "item-weights"),
                                         ("als", "factor-solve"), ("tfidf-profile", "profile")])
def test_contributions_add_up_to_the_models_own_score(fitted, name, method):
    model = fitted[name]
    row = _user_row(model)
    items = np.arange(40)
    att = history_contributions(model, row, items)
    assert att.method == method and set(att.history) == set(row.indices)
    score = model.score_histories(row)[0, items]
    np.testing.assert_allclose(att.contributions.sum(axis=1), score, rtol=1e-3, atol=1e-5)


def test_leaving_one_out_agrees_with_the_exact_split_of_a_linear_model(fitted):
    model = fitted["ease"]
    row, items = _user_row(model), np.arange(25)
    exact = history_contributions(model, row, items).contributions
    loo = leave_one_out(model, row, items).contributions
    np.testing.assert_allclose(loo, exact, rtol=1e-3, atol=1e-5)


def test_a_model_that_cannot_fold_in_says_so_instead_of_inventing_a_reason(fitted, sample):
    with pytest.raises(CannotAttribute, match="BPR"):
        history_contributions(fitted["bpr"], _user_row(fitted["bpr"]), np.arange(3))
    explainer = Explainer(fitted["bpr"], ItemInfo.from_dataset(sample))
    out = explainer.explain([0, 1], user=3)
    assert all(e["reasons"] == [] and "BPR" in e["note"] for e in out)
    assert out[0]["text"] == "This model cannot say why it recommends this item."


@pytest.mark.parametrize("name", ["ease", "als"])
def test_reasons_are_grounded_and_the_cited_items_carry_the_recommendation(fitted, sample, name):
    model = fitted[name]
    info = ItemInfo.from_dataset(sample)
    explainer = Explainer(model, info)
    rng = np.random.default_rng(0)
    tests = []
    users = [u for u in range(sample.n_users) if model.seen_[u].nnz >= 6][:40]
    for u in users:
        top, _ = model.recommend_indices(np.array([u]), k=5)
        for i, e in zip(top[0], explainer.explain(top[0], user=u), strict=True):
            history = set(model.seen_[u].indices)
            for reason in e["reasons"]:
                if reason["kind"] == "history":
                    cited = [info.ids.index(c["item"]) for c in reason["items"]]
                    assert set(cited) <= history and len(cited) <= 3
                    tests.append(deletion_test(model, explainer.history_row(u), int(i), cited, rng))
                if reason["kind"] == "shared_terms":
                    assert all(t.lower() in info.texts[i].lower() for t in reason["terms"])
    summary = summarise(tests)
    assert summary["n"] >= 100 and summary["deletion_lowers"] >= 0.9 and summary["deletion_vs_random_p"] < 0.05


def test_chinese_wording_keeps_titles_verbatim(fitted, sample):
    explainer = Explainer(fitted["ease"], ItemInfo.from_dataset(sample))
    top, _ = fitted["ease"].recommend_indices(np.array([3]), k=1)
    zh = explainer.explain(top[0], user=3, lang="zh")[0]
    titles = [c["title"] for c in zh["reasons"][0]["items"]]
    assert zh["text"].startswith("因为你喜欢") and all(f"《{t}》" in zh["text"] for t in titles)


def test_the_reranker_is_traced_through_its_features_to_history_items(sample):
    model = build_model("reranker-cf:n_estimators=60,n_rankers=1").fit(sample)
    explainer = Explainer(model, ItemInfo.from_dataset(sample))
    rng = np.random.default_rng(0)
    tests, methods = [], set()
    for u in [u for u in range(sample.n_users) if model.seen_[u].nnz >= 6][:25]:
        top, _ = model.recommend_indices(np.array([u]), k=5)
        for i, e in zip(top[0], explainer.explain(top[0], user=u), strict=True):
            methods.add(e["method"])
            cited = [explainer.items.ids.index(c["item"]) for r in e["reasons"] if r["kind"] == "history"
                     for c in r["items"]]
            if cited:
                assert set(cited) <= set(model.seen_[u].indices)
                tests.append(deletion_test(model, explainer.history_row(u), int(i), cited, rng))
    summary = summarise(tests)
    assert methods == {"reranker"} and summary["n"] >= 60 and summary["deletion_lowers"] >= 0.8
