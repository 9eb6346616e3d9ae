"""Training groups: inner validation splits carved from train, and labelled candidate groups."""

from __future__ import annotations

import numpy as np

from fuserec.fusion.rerank.features import Side
from fuserec.fusion.rerank.groups import inner_splits, light_splits, training_groups
from fuserec.models import EASE, Popularity


def test_random_inner_folds_are_disjoint_shares_of_train(sample):
    folds = list(inner_splits(sample, 3, 0.1, False, random_state=0))
    assert len(folds) == 3
    keys = [set(zip(f.test.users.to_external(f.test.interactions["user"]),
                    f.test.items.to_external(f.test.interactions["item"]), strict=True)) for f in folds]
    assert not keys[0] & keys[1] and not keys[1] & keys[2]
    assert all(abs(len(f.test) - 0.1 * len(sample)) <= 1 for f in folds)


def test_temporal_inner_folds_go_back_in_time(sample):
    folds = list(inner_splits(sample, 2, 0.1, True))
    assert folds[1].test.interactions["timestamp"].max() <= folds[0].test.interactions["timestamp"].min()


def test_light_splits_cut_users_back(sample):
    (split,) = light_splits(sample, 1, 2)
    users = np.unique(split.test.interactions["user"])
    assert split.train.user_counts()[users].max() <= 2


def test_groups_are_labelled_by_validation_and_keep_only_groups_with_a_positive(sample):
    folds = list(inner_splits(sample, 1, 0.2, True))
    base = {"ease": EASE(reg=100.0), "popularity": Popularity()}
    x, y, group, owner, n_pos, recall = training_groups(sample, base, folds, lambda t: Side(t, None, None), 30, False)
    assert len(x) == len(y) == group.sum() and len(group) == len(owner) == len(n_pos)
    starts = np.r_[0, np.cumsum(group)[:-1]]
    assert (np.add.reduceat(y, starts) >= 1).all()  # every group holds a positive
    assert (np.add.reduceat(y, starts) <= n_pos).all()  # and no more than the user's validation items
    assert 0 < recall < 1


def test_groups_come_from_a_seeded_sample_of_validation_users_past_the_cap(sample):
    folds = list(inner_splits(sample, 2, 0.2, False))
    base = {"popularity": Popularity()}
    whole = training_groups(sample, base, folds, lambda t: Side(t, None, None), 30, False)
    capped = training_groups(sample, base, folds, lambda t: Side(t, None, None), 30, False, max_users=25)
    again = training_groups(sample, base, folds, lambda t: Side(t, None, None), 30, False, max_users=25)
    per_fold_users = [np.unique(f.test.interactions["user"]).size for f in folds]
    assert min(per_fold_users) > 25  # the cap bites
    assert len(capped[3]) <= 2 * 25 < len(whole[3])  # owners: at most 25 users a split
    np.testing.assert_array_equal(capped[3], again[3])
    assert set(capped[3]) <= set(whole[3])
