"""Factor models' top-k through faiss on a large catalogue: the same lists as scoring every item,
seen items left out, heavy users through the fallback."""

from __future__ import annotations

import numpy as np
import pytest

from fuserec._core import factor_topk
from fuserec._core.rows import take_rows
from fuserec.models import ALS, Recommender

pytest.importorskip("faiss")


@pytest.fixture(scope="module")
def als(sample):
    return ALS(factors=16, iterations=5, random_state=0).fit(sample)


def test_faiss_top_k_gives_the_lists_of_scoring_every_item(als, monkeypatch):
    users = np.arange(als.seen_.shape[0])
    expected = Recommender.recommend_indices(als, users, 10)
    monkeypatch.setattr(factor_topk, "FAISS_TOPK_ITEMS", 1)
    monkeypatch.setattr(factor_topk, "MOST_EXTRA", 40)  # the heaviest users take the fallback
    assert (np.diff(als.seen_.indptr) > 40).any()
    idx, val = als.recommend_indices(users, 10)
    np.testing.assert_allclose(val, expected[1], rtol=1e-4, atol=1e-5)
    ties = np.isclose(val[:, :-1], val[:, 1:], rtol=1e-5).any(axis=1)
    np.testing.assert_array_equal(idx[~ties], expected[0][~ties])  # the same items wherever no two scores tie
    seen = take_rows(als.seen_, users)
    assert not any(np.isin(idx[u], seen[u].indices).any() for u in range(len(users)))  # seen items left out


def test_a_list_longer_than_the_unseen_catalogue_is_padded(als, monkeypatch):
    monkeypatch.setattr(factor_topk, "FAISS_TOPK_ITEMS", 1)
    n_items = als.seen_.shape[1]
    heaviest = int(np.argmax(np.diff(als.seen_.indptr)))
    idx, val = als.recommend_indices(np.array([heaviest]), n_items)
    unseen = n_items - als.seen_[heaviest].nnz
    assert (idx[0, :unseen] >= 0).all() and (idx[0, unseen:] == -1).all() and np.isneginf(val[0, unseen:]).all()
    assert len(set(idx[0, :unseen])) == unseen


def test_inverted_file_search_keeps_most_of_the_exact_lists(als, monkeypatch, caplog):
    users = np.arange(als.seen_.shape[0])
    expected, _ = Recommender.recommend_indices(als, users, 10)
    monkeypatch.setattr(factor_topk, "FAISS_TOPK_ITEMS", 1)
    monkeypatch.setattr(factor_topk, "IVF_TOPK_ITEMS", 1)  # the sample's catalogue through the IVF path
    with caplog.at_level("INFO", logger="fuserec.models"):
        idx, val = als.recommend_indices(users, 10)
    assert "faiss IVF" in caplog.text and "recall@10 against exact" in caplog.text
    recall = np.mean([len(set(a) & set(b)) for a, b in zip(idx, expected, strict=True)]) / 10
    assert recall >= factor_topk.IVF_RECALL - 0.03  # tuned on a sample of these users
    assert (idx >= 0).all() and (np.diff(val, axis=1) <= 1e-6).all()  # full lists, best first
    seen = take_rows(als.seen_, users)
    assert not any(np.isin(idx[u], seen[u].indices).any() for u in range(len(users)))
    again, _ = als.recommend_indices(users[:50], 10)  # the index is built once per set of item vectors
    assert caplog.text.count("faiss IVF") == 1 and (again == idx[:50]).all()
