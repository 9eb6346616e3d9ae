"""EASE past the dense form: the sparse approximation ranks close to dense, saves and loads, and
the memory guard stops or switches before a dense allocation that would not fit."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from fuserec._core import memory
from fuserec.artifacts import load, save
from fuserec.data.split import random_split
from fuserec.errors import MemoryBudgetError, UsageError
from fuserec.evaluation import evaluate_ranking
from fuserec.fusion.text_ease import TextEASE, text_neighbours
from fuserec.models import EASE
from fuserec.models.item_item import FactoredWeights


def _ndcg(model, split) -> float:
    return evaluate_ranking(model.fit(split.train), split).metrics["ndcg@10"]


def test_sparse_ease_ranks_close_to_dense_on_held_out_interactions(sample):
    split = random_split(sample, test_size=0.2, seed=0)
    dense = _ndcg(EASE(reg=100.0), split)
    sparse = _ndcg(EASE(reg=100.0, form="sparse", nnz_per_item=50), split)
    assert dense > 0.05
    assert sparse >= 0.9 * dense, (sparse, dense)


def test_a_sparse_ease_artifact_loads_with_the_same_scores(sample, tmp_path):
    model = EASE(reg=100.0, form="sparse", nnz_per_item=20).fit(sample)
    assert model.form_ == "sparse" and isinstance(model.item_weights_, FactoredWeights)
    save(tmp_path / "ease", model, sample)
    loaded = load(tmp_path / "ease").model
    users = np.arange(20)
    np.testing.assert_array_equal(loaded.recommend_indices(users, 10)[0], model.recommend_indices(users, 10)[0])


def test_dense_ease_past_the_memory_budget_stops_naming_the_estimate_and_the_setting(sample, monkeypatch):
    monkeypatch.setenv(memory.ENV, "1MB")
    with pytest.raises(MemoryBudgetError, match=r"EASE dense weights for [\d,]+ items would need about .*MB.*"
                                                r"FUSEREC_MEMORY_LIMIT=1MB.*form='sparse'"):
        EASE(form="dense").fit(sample)
    with pytest.raises(MemoryBudgetError, match="TextEASE dense weights"):
        TextEASE(encoder="tfidf", reg=300.0, alpha=1.0, power=3, form="dense").fit(sample)


def test_auto_form_switches_to_sparse_past_the_budget_and_says_why(sample, monkeypatch, caplog):
    monkeypatch.setenv(memory.ENV, "1MB")
    with caplog.at_level(logging.WARNING, logger="fuserec.models"):
        model = EASE(nnz_per_item=5).fit(sample)  # on 300 items, only a thin sparse form is lighter than dense
    assert model.form_ == "sparse"
    assert "fitting the sparse approximation" in caplog.text and "FUSEREC_MEMORY_LIMIT=1MB" in caplog.text
    # past the budget for the exact sparse factor too: the incomplete one, for text-EASE's Gram matrix as well
    text = TextEASE(encoder="tfidf", reg=300.0, alpha=1.0, power=3, text_neighbours=10, nnz_per_item=5).fit(sample)
    assert text.form_ == "sparse" and np.isfinite(text.recommend_indices(np.arange(5), 10)[1]).all()
    monkeypatch.delenv(memory.ENV)
    assert EASE().fit(sample).form_ == "dense"
    assert EASE(max_dense_items=10).fit(sample).form_ == "sparse"


def test_memory_sizes_parse_and_bad_ones_name_the_setting(monkeypatch):
    assert memory.parse_bytes("8GB") == 8 * 10**9 and memory.parse_bytes("512 MiB") == 512 * 2**20
    assert memory.parse_bytes("1000") == 1000 and memory.format_bytes(14.4e9) == "14.4 GB"
    monkeypatch.setenv(memory.ENV, "lots")
    with pytest.raises(UsageError, match="FUSEREC_MEMORY_LIMIT: 'lots' is not a size"):
        memory.memory_budget()
    monkeypatch.delenv(memory.ENV)
    assert memory.memory_budget() > 0


def test_nearest_items_in_blocks_are_each_items_k_nearest_by_cosine_and_kept_for_the_process():
    from fuserec._core.neighbours import nearest_items

    rng = np.random.default_rng(0)
    v = rng.normal(size=(57, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    indices, sims = nearest_items(v, k=5, block_bytes=4 * 57 * 4)  # four rows a block
    expected = v @ v.T
    np.fill_diagonal(expected, -np.inf)
    for i in range(57):
        np.testing.assert_array_equal(indices[i], np.argsort(-expected[i], kind="stable")[:5])
        np.testing.assert_allclose(sims[i], expected[i, indices[i]], rtol=1e-5)
    assert nearest_items(v, k=5)[0] is indices  # the same vectors: the kept result
    near = text_neighbours(v, k=5, power=3)
    np.testing.assert_allclose(near[3, indices[3]].toarray().ravel(), np.maximum(sims[3], 0) ** 3, rtol=1e-5)


def test_faiss_nearest_items_match_the_exact_pass_and_leave_each_item_out(monkeypatch):
    pytest.importorskip("faiss")
    from fuserec._core import neighbours

    rng = np.random.default_rng(1)
    v = rng.normal(size=(300, 16)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    v[7] = v[5]  # identical vectors: each may push the other's self out of the first k + 1
    v[9] = v[5]
    exact = neighbours._numpy_nearest(v, 6, 2**20)
    monkeypatch.setattr(neighbours, "FAISS_MIN_ITEMS", 100)
    indices, sims = neighbours.nearest_items(v, k=6)
    assert indices.shape == (300, 6)
    assert not (indices == np.arange(300)[:, None]).any()  # no item is its own neighbour
    np.testing.assert_allclose(sims, exact[1], atol=1e-5)
    ties = np.isclose(exact[1][:, :, None], exact[1][:, None, :], atol=1e-6).sum(axis=(1, 2)) > 6
    np.testing.assert_array_equal(indices[~ties], exact[0][~ties])  # same neighbours where no score ties
    for row in np.flatnonzero(ties):
        assert set(indices[row]) <= set(np.flatnonzero(v @ v[row] >= sims[row, -1] - 1e-5)) - {row}


def test_a_gram_matrix_past_the_budget_is_pruned_per_item_and_ranks_close_to_the_whole_one(sample, monkeypatch,
                                                                                             caplog):
    from fuserec.models import sparse_ease

    x = (sample.matrix() > 0).astype(np.float32).tocsr()
    whole = (x.T @ x).toarray()
    split = random_split(sample, test_size=0.2, seed=0)
    unpruned = _ndcg(EASE(reg=100.0, form="sparse", nnz_per_item=20), split)
    monkeypatch.setenv(memory.ENV, str(sparse_ease.gram_bytes(x) - 1))
    monkeypatch.setattr(sparse_ease, "BLOCK_ENTRIES", 5_000)  # many blocks of items
    with caplog.at_level(logging.WARNING, logger="fuserec.models"):
        gram, was_pruned = sparse_ease.item_gram(x, nnz_per_item=10)
    pruned = gram.toarray()
    assert was_pruned
    assert "keeping each item's 40 largest co-counts" in caplog.text
    kept = pruned != 0
    np.testing.assert_array_equal(pruned[kept], whole[kept])  # entries are the whole matrix's
    np.testing.assert_array_equal(pruned, pruned.T)
    assert kept.sum() < 0.5 * (whole != 0).sum()
    for i in range(x.shape[1]):
        others = np.delete(whole[i], i)
        fortieth = np.sort(others)[::-1][39]
        assert pruned[i, i] == whole[i, i] and kept[i][np.delete(np.arange(x.shape[1]), i)][others > fortieth].all()
    monkeypatch.setenv(memory.ENV, str(sparse_ease.pruned_bytes(x.shape[1], 20)))  # the whole one does not fit
    assert _ndcg(EASE(reg=100.0, form="sparse", nnz_per_item=20), split) >= 0.95 * unpruned


def test_the_incomplete_factorisation_starts_from_each_items_largest_co_counts(sample, monkeypatch, caplog):
    from fuserec.models import sparse_ease

    split = random_split(sample, test_size=0.2, seed=0)
    exact = _ndcg(EASE(reg=100.0, form="sparse", nnz_per_item=20), split)
    monkeypatch.setattr(sparse_ease, "EXACT_FACTOR_ITEMS", 100)  # the sample's 300 items: past it
    with caplog.at_level(logging.INFO, logger="fuserec.models"):
        incomplete = _ndcg(EASE(reg=100.0, form="sparse", nnz_per_item=20), split)
    assert "for the incomplete factorisation: keeping each item's 80 largest co-counts" in caplog.text
    assert incomplete >= 0.9 * exact, (incomplete, exact)


def test_a_pruned_gram_matrix_that_cannot_fit_stops_at_once_naming_the_setting(sample, monkeypatch):
    from fuserec.errors import MemoryBudgetError
    from fuserec.models import sparse_ease

    monkeypatch.setattr(sparse_ease, "EXACT_FACTOR_ITEMS", 100)  # the sample's 300 items: pruned
    monkeypatch.setenv(memory.ENV, str(sparse_ease.pruned_bytes(300, 20) - 1))  # not even nnz_per_item fits
    with pytest.raises(MemoryBudgetError, match=r"EASE's sparse form over 300 items .*nnz_per_item"):
        EASE(reg=100.0, form="sparse", nnz_per_item=20).fit(sample)
    monkeypatch.setenv(memory.ENV, str(sparse_ease.pruned_bytes(300, 40)))
    assert sparse_ease.kept_per_item(300, 20) == 40  # halved from 80 until it fits
