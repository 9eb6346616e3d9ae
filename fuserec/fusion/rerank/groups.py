"""Training groups for the ranker: validation splits carved from train, and each validation
user's pooled candidates labelled by whether the user interacted with them there."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

import numpy as np
from sklearn.base import clone

from fuserec._core.sampling import sample_users
from fuserec.data.dataset import Dataset
from fuserec.data.split import Split, light_users_split, validation_split
from fuserec.fusion.rerank.candidates import batch_size, pool_candidates
from fuserec.fusion.rerank.features import Side
from fuserec.models.base import Recommender
from fuserec.progress import progress


def inner_splits(train: Dataset, n_folds: int, val_size: float, temporal: bool | str,
                 random_state: int = 0) -> Iterator[Split]:
    """``n_folds`` (train minus validation, validation) pairs carved from ``train``.

    Disjoint random folds of ``val_size`` each; for temporal data (``temporal`` True or
    ``"per-user"``) consecutive windows going back in time, each carved from what the later ones
    left. Stops early when the folds would run out of interactions.
    """
    if not temporal:
        order = np.random.default_rng(random_state).permutation(len(train))
        size = int(round(len(train) * val_size))
        for fold in range(n_folds):
            test = np.zeros(len(train), dtype=bool)
            test[order[fold * size:(fold + 1) * size]] = True
            if not test.any():
                return
            yield Split(train.subset(~test), train.subset(test), "random", fold=fold)
        return
    rest = train
    for fold in range(n_folds):
        share = val_size / (1 - fold * val_size)
        if share >= 1:
            return
        inner = validation_split(rest, share, temporal=temporal)  # a global cut, or each user's latest
        yield inner
        rest = inner.train


def light_splits(train: Dataset, n_splits: int, light_max: int, random_state: int = 0) -> Iterator[Split]:
    """Splits in which half the users with more than ``light_max`` interactions keep only their
    first 1..``light_max``; their test is the rest of theirs (the light-user protocol)."""
    for fold in range(n_splits):
        yield light_users_split(train, 0.5, light_max, seed=random_state + 1 + fold)


def training_groups(train: Dataset, base: Mapping[str, Recommender], splits: Iterable[Split],
                    make_side: Callable[[Dataset], Side], pool: int, semantic_features: bool,
                    what: str = "inner split", max_users: int | None = None,
                    random_state: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                        np.ndarray, float]:
    """Labelled candidate groups from validation ``splits`` carved from ``train``.

    For each split the (unfitted) retrievers in ``base`` are fit on its train part and every
    validation user's candidates pooled; a group with no positive teaches LambdaRank nothing and
    is left out. Past ``max_users`` validation users in a split, a seeded sample of that many
    makes its groups, so that the ranker's training rows stay bounded however many users there are.

    Returns
    -------
    x, y : ndarray
        Candidate features and labels (1: the user interacted with it in validation).
    group, owner, n_pos : ndarray of int
        Each group's size, its user, and that user's number of validation positives, pooled or not.
    recall_at_pool : float
        The share of validation positives found in the pool.
    """
    xs, ys, groups, owners, positives = [], [], [], [], []
    found = wanted = 0
    for fold, inner in enumerate(splits):
        fitted = {name: clone(m).fit(inner.train)
                  for name, m in progress(base.items(), f"re-ranker: retrievers on {what} {fold + 1}", len(base))}
        side = make_side(inner.train)
        seen = inner.train.matrix("binary")
        truth = inner.test.matrix("binary")
        n_truth = np.diff(truth.indptr)  # validation positives per user, pooled or not
        users = np.flatnonzero(n_truth > 0)
        users = sample_users(users, max_users, random_state + fold)
        wanted += truth[users].sum()
        batch = batch_size(train.n_items)
        for start in progress(range(0, len(users), batch), f"re-ranker: candidates of {what} {fold + 1}",
                              -(-len(users) // batch)):
            block = users[start:start + batch]
            rows, items, x, _ = pool_candidates(fitted, side, seen, block, pool, semantic_features, fallback=False)
            y = np.asarray(truth[block[rows], items]).ravel() > 0
            counts = np.bincount(rows, minlength=len(block))
            hits = np.bincount(rows, weights=y, minlength=len(block))
            keep = hits[rows] > 0
            xs.append(x[keep])
            ys.append(y[keep].astype(np.int32))
            groups.append(counts[hits > 0])
            owners.append(block[hits > 0])
            positives.append(n_truth[block[hits > 0]])
            found += y.sum()
        del fitted, side  # this fold's retrievers go before the next fold's are fit (memory)
    return (np.vstack(xs), np.concatenate(ys), np.concatenate(groups), np.concatenate(owners),
            np.concatenate(positives), float(found / max(wanted, 1)))
