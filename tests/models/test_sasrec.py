"""SASRec reads the order of a history: on sequences that walk a cycle of items it predicts the
next step, which no order-blind model can, and it scores new histories without refitting."""

from __future__ import annotations

import numpy as np
import pytest

from fuserec.data import Dataset
from fuserec.data.split import leave_last_split
from fuserec.evaluation import evaluate_ranking
from fuserec.models import SASRec
from fuserec.registry import build_model
from tests.sequence_data import cycles

pytest.importorskip("torch")


@pytest.fixture(scope="module", name="cycles")
def cycles_data() -> Dataset:
    return cycles()


@pytest.fixture(scope="module")
def fitted(cycles) -> tuple[SASRec, object]:
    split = leave_last_split(cycles, 1)
    return SASRec(factors=32, epochs=30, patience=5, dropout=0.1, lr=5e-3, batch_size=64).fit(split.train), split


def test_it_predicts_the_next_step_that_order_blind_models_cannot(fitted):
    model, split = fitted
    ours = evaluate_ranking(model, split, ks=[10]).metrics["hitrate@10"]
    popular = evaluate_ranking(build_model("popularity").fit(split.train), split, ks=[10]).metrics["hitrate@10"]
    assert ours > 0.9 and popular < 0.5
    assert model.best_epoch_ >= 1 and len(model.val_history_) >= model.best_epoch_


def test_a_new_history_is_scored_by_its_order_without_refitting(fitted, cycles):
    model, _ = fitted
    idx = cycles.items.to_index
    forward = idx([f"i{t}" for t in (5, 8, 11)])
    backward = forward[::-1]
    top_forward = model.score_sequences([forward])[0].argmax()
    top_backward = model.score_sequences([backward])[0].argmax()
    assert cycles.items.ids[top_forward] == "i14" and cycles.items.ids[top_backward] == "i2"


def test_every_loss_trains(cycles):
    split = leave_last_split(cycles, 1)
    for loss in ("softmax", "bce"):
        model = SASRec(factors=16, epochs=3, loss=loss, random_state=1).fit(split.train)
        assert np.isfinite(model.val_history_).all() and max(model.val_history_) > 0


def test_heads_must_divide_the_factors(cycles):
    from fuserec.errors import ParamError

    with pytest.raises(ParamError, match="heads"):
        SASRec(factors=30, heads=4, epochs=1).fit(cycles)


def test_its_explanations_cite_the_items_that_carry_the_next_step(fitted, cycles):
    from fuserec.explain import Explainer, ItemInfo, deletion_test, summarise

    model, split = fitted
    explainer = Explainer(model, ItemInfo.from_dataset(split.train))
    rng = np.random.default_rng(0)
    tests, latest_cited = [], 0
    users = np.arange(40)
    for u in users:
        sequence = model.user_sequence(u)
        top, _ = model.recommend_indices(np.array([u]), k=3)
        for rank, (i, e) in enumerate(zip(top[0], explainer.explain(top[0], user=u), strict=True)):
            assert e["method"] == "sequence-leave-one-out"
            cited = [explainer.index(c["item"]) for r in e["reasons"] if r["kind"] == "history" for c in r["items"]]
            assert set(cited) <= set(sequence.tolist())
            latest_cited += rank == 0 and int(sequence[-1]) in cited
            if cited:
                tests.append(deletion_test(model, explainer.history_row(u), int(i), cited, rng, sequence))
    summary = summarise(tests)
    assert latest_cited >= 0.9 * len(users)  # the next step follows from the last items
    assert summary["n"] >= 100 and summary["deletion_lowers"] >= 0.9 and summary["deletion_vs_random_p"] < 0.05


def test_without_its_order_a_history_is_not_attributed(fitted):
    from fuserec.explain import CannotAttribute, history_contributions

    model, _ = fitted
    with pytest.raises(CannotAttribute, match="order"):
        history_contributions(model, model.seen_[0], np.arange(3))


def test_as_a_retriever_of_the_reranker_its_order_carries_into_the_list(cycles):
    from fuserec.fusion.rerank import LearnedReranker
    from fuserec.models import Popularity

    split = leave_last_split(cycles, 1)
    sasrec = SASRec(factors=32, epochs=30, patience=5, dropout=0.1, lr=5e-3, batch_size=64)
    settings = {"semantic_features": False, "pool": 10, "n_estimators": 60, "n_rankers": 1, "n_folds": 2}
    model = LearnedReranker(retrievers={"popularity": Popularity(), "sasrec": sasrec}, **settings).fit(split.train)
    alone = LearnedReranker(retrievers={"popularity": Popularity()}, **settings).fit(split.train)
    ours = evaluate_ranking(model, split, ks=[10]).metrics["hitrate@10"]
    assert ours > 0.8 and evaluate_ranking(alone, split, ks=[10]).metrics["hitrate@10"] < 0.5
    assert "sasrec:z" in model.feature_names()
