"""Every split: no (user, item) pair on both sides, the split's own rule holds, seeded and repeatable."""

from __future__ import annotations

import numpy as np
import pytest

from fuserec.data import Dataset
from fuserec.data.split import (
    cold_items_split,
    cold_users_split,
    kfold_split,
    leave_last_split,
    ml100k_folds,
    random_per_user_split,
    random_split,
    split,
    temporal_per_user_split,
    temporal_split,
)


def pairs(ds: Dataset) -> set[tuple[int, int]]:
    return set(map(tuple, ds.interactions[["user", "item"]].to_numpy().tolist()))


def assert_no_leak(s) -> None:
    train, test = pairs(s.train), pairs(s.test)
    assert not train & test, f"{len(train & test)} pairs on both sides"
    if s.val is not None:
        val = pairs(s.val)
        assert not val & train and not val & test
    assert s.train.items == s.test.items and s.train.users == s.test.users


def test_random(ml100k):
    s = random_split(ml100k, 0.2, seed=0)
    assert_no_leak(s)
    assert (len(s.train), len(s.test)) == (80_000, 20_000)
    again = random_split(ml100k, 0.2, seed=0)
    assert pairs(again.test) == pairs(s.test)
    assert pairs(random_split(ml100k, 0.2, seed=1).test) != pairs(s.test)


def test_random_per_user(ml100k):
    s = random_per_user_split(ml100k, 0.2, seed=0)
    assert_no_leak(s)
    per_user_test = s.test.user_counts()
    per_user = ml100k.user_counts()
    assert np.all(np.abs(per_user_test - np.round(per_user * 0.2)) <= 0)
    assert (s.train.user_counts() >= 1).all()


def test_temporal(ml_small):
    s = temporal_split(ml_small, 0.2)
    assert_no_leak(s)
    assert s.train.interactions["timestamp"].max() <= s.test.interactions["timestamp"].min()
    assert len(s.test) == round(len(ml_small) * 0.2)


def test_temporal_per_user(ml_small):
    s = temporal_per_user_split(ml_small, 0.2)
    assert_no_leak(s)
    per_user = ml_small.user_counts()
    expected = np.minimum(np.round(per_user * 0.2), np.maximum(per_user - 1, 0))
    assert np.array_equal(s.test.user_counts(), expected)
    assert (s.train.user_counts()[per_user > 0] >= 1).all()
    tr = s.train.interactions.groupby("user")["timestamp"].max()
    te = s.test.interactions.groupby("user")["timestamp"].min()
    assert (tr.loc[te.index] <= te).all()  # each test user's test is their own latest
    inner = split(ml_small, "temporal-per-user", val_size=0.1)[0]
    assert inner.method == "temporal-per-user" and inner.val is not None
    assert pairs(inner.test) == pairs(s.test)
    vt = inner.val.interactions.groupby("user")["timestamp"].min()
    assert (inner.train.interactions.groupby("user")["timestamp"].max().loc[vt.index] <= vt).all()


def test_leave_last(ml100k):
    s = leave_last_split(ml100k, n=2)
    assert_no_leak(s)
    assert (s.test.user_counts() == 2).all()  # every ml-100k user has ≥ 20 ratings
    tr = s.train.interactions.groupby("user")["timestamp"].max()
    te = s.test.interactions.groupby("user")["timestamp"].min()
    assert (tr <= te.loc[tr.index]).all()


def test_kfold_partitions(ml100k):
    folds = kfold_split(ml100k, 5, seed=0)
    assert len(folds) == 5
    union = set()
    for f in folds:
        assert_no_leak(f)
        assert not union & pairs(f.test)
        union |= pairs(f.test)
    assert len(union) == len(ml100k)


def test_cold_items(ml_small):
    s = cold_items_split(ml_small, 0.2, seed=0)
    assert_no_leak(s)
    train_items = set(s.train.interactions["item"])
    test_items = set(s.test.interactions["item"])
    assert not train_items & test_items
    assert abs(len(test_items) - round(0.2 * 9_724)) <= 1


def test_cold_users(ml_small):
    s = cold_users_split(ml_small, 0.2, seed=0)
    assert_no_leak(s)
    assert not set(s.train.interactions["user"]) & set(s.test.interactions["user"])
    assert s.test.interactions["user"].nunique() == 122


def test_predefined_ml100k(ml100k, datasets_dir):
    folds = ml100k_folds(ml100k, datasets_dir / "ml-100k")
    assert [len(f.test) for f in folds] == [20_000] * 5
    for f in folds:
        assert_no_leak(f)
    # u1..u5 tests partition the data
    assert len(set().union(*(pairs(f.test) for f in folds))) == 100_000
    ua = ml100k_folds(ml100k, datasets_dir / "ml-100k", ["ua"])[0]
    assert len(ua.test) == 9_430 and (ua.test.user_counts() == 10).all()


@pytest.mark.parametrize("method", ["random", "random-per-user", "temporal", "leave-last", "cold-items", "cold-users"])
def test_validation_carved_from_train(ml_small, method):
    s = split(ml_small, method, test_size=0.2, seed=3, val_size=0.1)[0]
    assert_no_leak(s)
    full = pairs(ml_small)
    assert pairs(s.train) | pairs(s.val) | pairs(s.test) == full
    # test unchanged by adding validation
    plain = split(ml_small, method, test_size=0.2, seed=3)[0]
    assert pairs(plain.test) == pairs(s.test)
    if method == "temporal":
        assert s.train.interactions["timestamp"].max() <= s.val.interactions["timestamp"].min()
    if method == "cold-items":
        assert not set(s.val.interactions["item"]) & set(s.train.interactions["item"])


def test_kfold_with_validation(ml100k):
    for s in split(ml100k, "kfold", folds=3, val_size=0.1):
        assert_no_leak(s)


def test_bad_arguments(ml100k):
    with pytest.raises(ValueError, match="between 0 and 1"):
        random_split(ml100k, 20)
    with pytest.raises(ValueError, match="unknown split"):
        split(ml100k, "sideways")
    no_time = ml100k.with_interactions(ml100k.interactions.drop(columns="timestamp"))
    with pytest.raises(ValueError, match="needs timestamps"):
        temporal_split(no_time)


def test_light_users_split(ml100k):
    from fuserec.data.split import light_users_split

    s = light_users_split(ml100k, 0.2, max_train=5, seed=0)
    test_users = np.unique(s.test.interactions["user"])
    counts = s.train.user_counts()[test_users]
    assert abs(len(test_users) - 0.2 * ml100k.n_users) <= 1
    assert counts.min() >= 1 and counts.max() <= 5 and len(np.unique(counts)) == 5
    assert len(s.train) + len(s.test) == len(ml100k)
    tr, te = s.train.interactions, s.test.interactions
    last_train = tr[tr["user"].isin(test_users)].groupby("user")["timestamp"].max()
    first_test = te.groupby("user")["timestamp"].min()
    assert (last_train <= first_test.loc[last_train.index]).all()  # they keep their earliest
    others = np.setdiff1d(np.arange(ml100k.n_users), test_users)
    assert (s.train.user_counts()[others] == ml100k.user_counts()[others]).all()


def test_cold_items_mask(ml100k):
    from fuserec.data.split import cold_items_split

    s = cold_items_split(ml100k, 0.2, seed=0)
    mask = s.cold_items()
    assert mask.sum() == len(np.unique(s.test.interactions["item"]))
    assert (s.train.item_counts()[mask] == 0).all()
    assert not random_split(ml100k, 0.2, seed=0).cold_items()[ml100k.item_counts() > 50].any()
