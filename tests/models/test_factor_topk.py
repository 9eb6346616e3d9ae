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


@pytest.mark.parametrize("head", [factor_topk.HEAD_ITEMS, 8])  # 8: most users settle only in a longer head
def test_faiss_top_k_gives_the_lists_of_scoring_every_item(als, monkeypatch, head):
    users = np.arange(als.seen_.shape[0])
    expected = Recommender.recommend_indices(als, users, 10)
    monkeypatch.setattr(factor_topk, "FAISS_TOPK_ITEMS", 1)
    monkeypatch.setattr(factor_topk, "HEAD_ITEMS", head)
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

