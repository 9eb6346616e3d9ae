"""The rank helpers the re-ranker's features read: the same ranks and top-k as a stable argsort,
ties and non-finite scores included, and z-scores whose fast path matches the nan-aware one."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fuserec._core.scores import zscore_rows
from fuserec._core.topk import (
    head_ranks,
    head_rows,
    mask_seen,
    stable_ranks,
    stable_top,
    stable_top_rows,
    topk_indices,
    topk_shared,
)


def _cases(n_cases: int = 1500):
    rng = np.random.default_rng(1)
    for trial in range(n_cases):
        n = int(rng.integers(2, 80))
        kind = trial % 5
        z = rng.normal(size=n)
        if kind == 1:                                  # a few tied values
            z = rng.integers(0, 4, size=n).astype(float)
        elif kind == 2:                                # seen items at -inf
            z[rng.random(n) < 0.3] = -np.inf
        elif kind == 3:                                # ties, NaN and -inf together
            z = rng.integers(0, 3, size=n).astype(float)
            z[rng.random(n) < 0.2] = np.nan
            z[rng.random(n) < 0.2] = -np.inf
        elif kind == 4:                                # many tied values (the argsort branch)
            z = rng.integers(0, 20, size=n).astype(float)
        yield rng, z


def test_ranks_and_top_match_a_stable_argsort():
    for rng, z in _cases():
        order = np.argsort(-z, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(z))
        items = rng.choice(len(z), size=int(rng.integers(1, len(z) + 1)), replace=False)
        assert np.array_equal(stable_ranks(z, items), rank[items]), (z, items)
        k = int(rng.integers(0, len(z) + 2))
        assert np.array_equal(stable_top(z, k), np.sort(order[:k])), (z, k)
        assert np.array_equal(stable_ranks(z, items, np.sort(-z)), rank[items]), (z, items)


def test_the_batched_top_matches_a_stable_argsort_row_by_row():
    for n in (2, 7, 40, 60):
        rows = [z for _, z in _cases(60) if len(z) >= n]
        matrix = np.array([z[:n] for z in rows])
        for k in (1, 3, n - 1, n):
            top, ordered = stable_top_rows(matrix, k)
            assert np.array_equal(ordered, np.sort(-matrix, axis=1), equal_nan=True)
            for r, z in enumerate(matrix):
                want = np.argsort(-z, kind="stable")[:k]
                assert np.array_equal(np.flatnonzero(top[r]), np.sort(want)), (z, k)


def test_zscores_fast_path_equals_the_nan_aware_path():
    rng = np.random.default_rng(0)
    s = rng.normal(size=(50, 300))
    s[3] = 2.0                                         # a constant row: std 0, divided by 1
    with_inf = s.copy()
    with_inf[0, 0] = -np.inf                           # forces the nan-aware path for every row
    fast, slow = zscore_rows(s), zscore_rows(with_inf)
    assert np.array_equal(fast[1:], slow[1:])
    assert slow[0, 0] == -np.inf and np.isfinite(slow[0, 1:]).all()
    assert fast[1].mean() == pytest.approx(0.0, abs=1e-12) and fast[1].std() == pytest.approx(1.0)
    assert np.array_equal(fast[3], np.zeros(300))


def test_one_cut_of_a_shared_row_ranks_like_a_cut_per_user():
    rng = np.random.default_rng(3)
    row = rng.normal(size=500)
    row[rng.random(500) < 0.1] = -np.inf                 # items no one may be shown
    seen = sp.random(40, 500, density=0.05, format="lil", random_state=4)
    seen[7] = 0                                          # a user with nothing seen
    seen = seen.tocsr()
    masked = mask_seen(np.tile(row.astype(np.float32), (40, 1)), seen)
    want_idx, want_val = topk_indices(masked, 10)
    got = topk_shared(row, seen, 10)
    assert got is not None
    assert np.array_equal(got[0], want_idx) and np.array_equal(got[1], want_val)
    assert topk_shared(row, sp.csr_matrix(np.ones((2, 500))), 10) is None  # most of the catalogue seen


def test_head_ranks_are_exact_in_the_head_and_never_ahead_of_it_beyond():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(6, 3000))
    z[1] = np.round(z[1], 1)                             # many ties, inside the head and at its edge
    z[2, rng.random(3000) < 0.2] = -np.inf               # seen items
    top, bound, samples, stride = head_rows(z, 20, 100, 256)
    assert np.array_equal(top, stable_top_rows(z, 20)[0])
    for r in range(len(z)):
        order = np.argsort(-z[r], kind="stable")
        exact = np.empty_like(order)
        exact[order] = np.arange(len(order))
        items = rng.choice(3000, 300, replace=False)
        got = head_ranks(z[r], items, bound[r], samples[r], stride)
        shallow = -z[r, items] <= bound[r]
        assert np.array_equal(got[shallow], exact[items[shallow]])
        assert got[~shallow].min() >= shallow.sum() and (-z[r] <= bound[r]).sum() >= 100
        deep = items[~shallow]
        finite = np.isfinite(z[r, deep])                 # an estimate on the log scale the feature reads
        assert np.abs(np.log1p(got[~shallow]) - np.log1p(exact[deep]))[finite].max() < 0.5
        by_score = np.argsort(-z[r, deep], kind="stable")
        assert (np.diff(got[~shallow][by_score]) >= 0).all()  # the order of the scores is kept
