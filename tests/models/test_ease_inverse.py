"""EASE's in-place Cholesky inverse over warm items equals the textbook dense inverse; RP3beta
built a block of rows at a time equals the whole matrix at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from fuserec.data import Dataset
from fuserec.models import EASE, RP3beta
from fuserec.models.ease import spd_inverse


def _data(n_users=120, n_items=90, cold=15, seed=0) -> Dataset:
    rng = np.random.default_rng(seed)
    rows = [(u, i) for u in range(n_users) for i in rng.choice(n_items - cold, 8, replace=False)]
    frame = pd.DataFrame(rows, columns=["user", "item"])
    items = pd.DataFrame({"id": np.arange(n_items)})  # the last ``cold`` items have no interactions
    return Dataset.from_frame("synthetic", frame, item_table=items)


def test_spd_inverse_matches_numpy_in_both_precisions():
    rng = np.random.default_rng(1)
    x = (rng.random((300, 80)) < 0.1).astype(float)
    g = x.T @ x + 50 * np.eye(80)
    ref = np.linalg.inv(g)
    np.testing.assert_allclose(spd_inverse(g.copy()), ref, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(spd_inverse(g.astype(np.float32)), ref, rtol=1e-4, atol=1e-7)


def test_ease_over_warm_items_equals_the_dense_textbook_model():
    ds = _data()
    model = EASE(reg=30.0).fit(ds)
    x = ds.matrix("binary").toarray()
    p = np.linalg.inv(x.T @ x + 30.0 * np.eye(x.shape[1]))
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    np.testing.assert_allclose(model.item_weights_, b, atol=1e-6)
    assert not model.item_weights_[:, -15:].any()  # cold items: exactly zero
    single = EASE(reg=30.0, dtype="float32").fit(ds)
    np.testing.assert_allclose(single.item_weights_, b, atol=1e-4)


def test_rp3beta_in_blocks_equals_one_block(monkeypatch):
    import fuserec.models.graph as graph

    ds = _data()
    whole = RP3beta(k=10).fit(ds).item_weights_
    monkeypatch.setattr(graph, "BLOCK", 7)
    blocks = RP3beta(k=10).fit(ds).item_weights_
    assert sp.issparse(blocks) and (whole != blocks).nnz == 0


def test_ease_weights_are_row_major_so_scoring_a_history_reads_rows_in_place():
    # a Fortran-ordered B made every sparse history @ B copy all n_items² weights first
    all_warm = _data(cold=0)
    for data in (_data(), all_warm):
        weights = EASE(reg=20.0).fit(data).item_weights_
        assert weights.flags.c_contiguous


def test_top_k_per_row_keeps_each_rows_largest_entries_ties_to_the_lower_column():
    from fuserec.models.graph import top_k_per_row

    m = sp.csr_matrix(np.array([[0.0, 3.0, 1.0, 3.0, 2.0], [5.0, 0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 0.0]]))
    kept = top_k_per_row(m, 2).toarray()
    np.testing.assert_array_equal(kept, [[0, 3, 0, 3, 0], [5, 0, 0, 0, 0], [1, 1, 0, 0, 0]])
