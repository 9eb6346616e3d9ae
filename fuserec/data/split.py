"""Leak-free, seeded train/test(/validation) splits of a Dataset.

Every split keeps the id maps and tables of the whole dataset, so an index means the same item on
both sides; only the interactions are divided. No (user, item) pair is ever on both sides (the
loaders remove repeated pairs), and a validation split is carved from train only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fuserec.data.dataset import Dataset
from fuserec.errors import DataError, UsageError

METHODS = ("random", "random-per-user", "temporal", "temporal-per-user", "leave-last", "kfold", "predefined",
           "cold-items", "cold-users", "light-users")


@dataclass
class Split:
    """One train/test division (and optional validation carved from train)."""

    train: Dataset
    test: Dataset
    method: str
    fold: int | None = None
    val: Dataset | None = None

    def __repr__(self) -> str:
        val = f", val={len(self.val):,}" if self.val is not None else ""
        fold = f", fold={self.fold}" if self.fold is not None else ""
        return f"Split({self.method}{fold}: train={len(self.train):,}, test={len(self.test):,}{val})"

    def cold_items(self) -> np.ndarray:
        """Boolean mask over items: in the test, never in train (new items; the candidates of a
        cold-item evaluation)."""
        return (self.train.item_counts() == 0) & (self.test.item_counts() > 0)


def _check_size(test_size: float, what: str = "test_size") -> None:
    if not 0.0 < test_size < 1.0:
        raise UsageError(f"{what} must be between 0 and 1 (a fraction), not {test_size!r}")


def _by_mask(ds: Dataset, test_mask: np.ndarray, method: str, fold: int | None = None) -> Split:
    return Split(ds.subset(~test_mask, f"{ds.name}/train"), ds.subset(test_mask, f"{ds.name}/test"), method, fold)


def random_split(ds: Dataset, test_size: float = 0.2, seed: int = 0) -> Split:
    """A uniformly random fraction of all interactions goes to test."""
    _check_size(test_size)
    rng = np.random.default_rng(seed)
    n_test = int(round(len(ds) * test_size))
    mask = np.zeros(len(ds), dtype=bool)
    mask[rng.permutation(len(ds))[:n_test]] = True
    return _by_mask(ds, mask, "random")


def random_per_user_split(ds: Dataset, test_size: float = 0.2, seed: int = 0) -> Split:
    """The same fraction of each user's interactions goes to test; every user keeps one in train."""
    _check_size(test_size)
    rng = np.random.default_rng(seed)
    users = ds.interactions["user"].to_numpy()
    order = np.lexsort((rng.random(len(ds)), users))
    counts = np.bincount(users, minlength=ds.n_users)
    rank = _rank_within(users[order])
    n_test = np.minimum(np.round(counts * test_size), np.maximum(counts - 1, 0)).astype(np.int64)
    mask = np.zeros(len(ds), dtype=bool)
    mask[order] = rank < n_test[users[order]]
    return _by_mask(ds, mask, "random-per-user")


def temporal_split(ds: Dataset, test_size: float = 0.2) -> Split:
    """A global cut in time: the latest ``test_size`` of interactions are test."""
    _check_size(test_size)
    ts = _timestamps(ds, "temporal")
    order = np.argsort(ts, kind="stable")
    n_test = int(round(len(ds) * test_size))
    mask = np.zeros(len(ds), dtype=bool)
    mask[order[len(ds) - n_test:]] = True
    return _by_mask(ds, mask, "temporal")


def temporal_per_user_split(ds: Dataset, test_size: float = 0.2) -> Split:
    """Each user's latest ``test_size`` of interactions (by time, ties in file order) are test; every
    user keeps at least one in train. A warm-user protocol: unlike the global cut, every test user has
    a history, though other users' later interactions can sit in train."""
    _check_size(test_size)
    users = ds.interactions["user"].to_numpy()
    counts = np.bincount(users, minlength=ds.n_users)
    n_test = np.minimum(np.round(counts * test_size), np.maximum(counts - 1, 0)).astype(np.int64)
    mask = _from_users_end(users, _timestamps(ds, "temporal-per-user")) < n_test[users]
    return _by_mask(ds, mask, "temporal-per-user")


def leave_last_split(ds: Dataset, n: int = 1) -> Split:
    """Each user's last ``n`` interactions (by time, else file order) are test; users with ≤ n stay in train."""
    if n < 1:
        raise UsageError(f"n must be at least 1, not {n}")
    users = ds.interactions["user"].to_numpy()
    ts = ds.interactions["timestamp"].to_numpy() if ds.has_timestamps else np.arange(len(ds))
    counts = np.bincount(users, minlength=ds.n_users)
    mask = (_from_users_end(users, ts) < n) & (counts[users] > n)
    return _by_mask(ds, mask, f"leave-last-{n}")


def kfold_split(ds: Dataset, folds: int = 5, seed: int = 0) -> list[Split]:
    """``folds`` random folds of the interactions; fold i is test once."""
    if folds < 2:
        raise UsageError(f"folds must be at least 2, not {folds}")
    rng = np.random.default_rng(seed)
    assign = np.empty(len(ds), dtype=np.int64)
    assign[rng.permutation(len(ds))] = np.arange(len(ds)) % folds
    return [_by_mask(ds, assign == f, "kfold", fold=f) for f in range(folds)]


def cold_items_split(ds: Dataset, test_size: float = 0.2, seed: int = 0) -> Split:
    """A random ``test_size`` of the items with interactions become cold: all their rows are test."""
    return _cold(ds, "item", test_size, seed)


def cold_users_split(ds: Dataset, test_size: float = 0.2, seed: int = 0) -> Split:
    """A random ``test_size`` of the users with interactions become cold: all their rows are test."""
    return _cold(ds, "user", test_size, seed)


def light_users_split(ds: Dataset, test_size: float = 0.2, max_train: int = 5, seed: int = 0) -> Split:
    """Few-shot users: a random ``test_size`` of the users with more than ``max_train``
    interactions keep only their earliest 1..``max_train`` (uniformly drawn per user) in train;
    the rest of their interactions are the test. Other users stay wholly in train. Without
    timestamps a user's kept interactions are a random draw.

    This is the protocol behind the "light users" slice: every test user has between 1 and
    ``max_train`` training interactions, and the test is their own future.
    """
    _check_size(test_size)
    if max_train < 1:
        raise UsageError(f"max_train must be ≥ 1, not {max_train}")
    rng = np.random.default_rng(seed)
    users = ds.interactions["user"].to_numpy()
    counts = np.bincount(users, minlength=ds.n_users)
    eligible = np.flatnonzero(counts > max_train)
    chosen = rng.choice(eligible, size=int(round(len(eligible) * test_size)), replace=False)
    keep = np.zeros(ds.n_users, dtype=np.int64)
    keep[chosen] = rng.integers(1, max_train + 1, size=len(chosen))
    when = ds.interactions["timestamp"].to_numpy() if ds.has_timestamps else rng.random(len(users))
    order = np.lexsort((when, users))
    rank = np.empty(len(users), dtype=np.int64)
    rank[order] = _rank_within(users[order])
    test = np.isin(users, chosen) & (rank >= keep[users])
    return _by_mask(ds, test, "light-users")


def _cold(ds: Dataset, side: str, test_size: float, seed: int) -> Split:
    _check_size(test_size)
    rng = np.random.default_rng(seed)
    col = ds.interactions[side].to_numpy()
    active = np.unique(col)
    chosen = rng.choice(active, size=int(round(len(active) * test_size)), replace=False)
    return _by_mask(ds, np.isin(col, chosen), f"cold-{side}s")


def predefined_split(ds: Dataset, train_file: str | Path, test_file: str | Path,
                     reader: Callable[[Path], pd.DataFrame] | None = None, fold: int | None = None) -> Split:
    """Train/test files published with a dataset (ml-100k's u1..u5, ua/ub), mapped onto ``ds``'s ids."""
    if reader is None:
        from fuserec.data.movielens import read_ml100k_ratings

        reader = read_ml100k_ratings
    parts = []
    for path in (Path(train_file), Path(test_file)):
        frame = reader(path)
        users = ds.users.to_index(frame["user"].to_numpy(), missing="ignore")
        items = ds.items.to_index(frame["item"].to_numpy(), missing="ignore")
        if (users < 0).any() or (items < 0).any():
            i = int(np.flatnonzero((users < 0) | (items < 0))[0])
            raise DataError("user or item not in the dataset", file=path, line=int(frame["_line"].iloc[i]),
                            expected=f"ids of {ds.name}")
        inter = pd.DataFrame({"user": users, "item": items})
        for col in ("rating", "timestamp"):
            if col in frame.columns and col in ds.interactions.columns:
                inter[col] = frame[col].to_numpy(dtype=ds.interactions[col].dtype)
        parts.append(ds.with_interactions(inter, f"{ds.name}/{path.name}"))
    return Split(parts[0], parts[1], "predefined", fold=fold)


def ml100k_folds(ds: Dataset, folder: str | Path, folds: list[str] | None = None) -> list[Split]:
    """The canonical ml-100k folds (default u1..u5) from the dataset's folder."""
    from fuserec.data.movielens import ml100k_fold_files

    names = folds or [f"u{i}" for i in range(1, 6)]
    return [predefined_split(ds, *ml100k_fold_files(folder, n), fold=i) for i, n in enumerate(names)]


def with_validation(split: Split, val_size: float = 0.1, seed: int = 0) -> Split:
    """Carve a validation set out of ``split.train`` with the same method (test is untouched)."""
    _check_size(val_size, "val_size")
    method = split.method
    if method == "temporal":
        inner = temporal_split(split.train, val_size)
    elif method == "temporal-per-user":
        inner = temporal_per_user_split(split.train, val_size)
    elif method.startswith("leave-last"):
        inner = leave_last_split(split.train, int(method.rsplit("-", 1)[1]))
    elif method in ("cold-items", "cold-users"):
        inner = _cold(split.train, method[5:-1], val_size, seed + 1)
    elif method == "random-per-user":
        inner = random_per_user_split(split.train, val_size, seed + 1)
    else:
        inner = random_split(split.train, val_size, seed + 1)
    return Split(inner.train, split.test, split.method, split.fold, val=inner.test)


def split(ds: Dataset, method: str = "random", *, test_size: float = 0.2, seed: int = 0, folds: int = 5,
          n: int = 1, val_size: float | None = None, folder: str | Path | None = None) -> list[Split]:
    """Split by name (see ``METHODS``); always a list (one Split, or one per fold)."""
    if method == "random":
        out = [random_split(ds, test_size, seed)]
    elif method == "random-per-user":
        out = [random_per_user_split(ds, test_size, seed)]
    elif method == "temporal":
        out = [temporal_split(ds, test_size)]
    elif method == "temporal-per-user":
        out = [temporal_per_user_split(ds, test_size)]
    elif method == "leave-last":
        out = [leave_last_split(ds, n)]
    elif method == "kfold":
        out = kfold_split(ds, folds, seed)
    elif method == "cold-items":
        out = [cold_items_split(ds, test_size, seed)]
    elif method == "cold-users":
        out = [cold_users_split(ds, test_size, seed)]
    elif method == "light-users":
        out = [light_users_split(ds, test_size, seed=seed)]
    elif method == "predefined":
        if folder is None:
            raise UsageError("the predefined split needs the dataset's folder (ml-100k's u1..u5 files)")
        out = ml100k_folds(ds, folder, [f"u{i}" for i in range(1, folds + 1)] if folds <= 5 else None)
    else:
        raise UsageError(f"unknown split {method!r}; choose one of {', '.join(METHODS)}")
    if val_size:
        out = [with_validation(s, val_size, seed) for s in out]
    return out


def _timestamps(ds: Dataset, method: str) -> np.ndarray:
    if not ds.has_timestamps:
        raise UsageError(f"the {method} split needs timestamps, and {ds.name} has none")
    return ds.interactions["timestamp"].to_numpy()


def _from_users_end(users: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """For each row, how many of its user's interactions come later (by ``ts``, ties in row order)."""
    order = np.lexsort((np.arange(len(users)), ts, users))
    counts = np.bincount(users)
    out = np.empty(len(users), dtype=np.int64)
    out[order] = counts[users[order]] - 1 - _rank_within(users[order])
    return out


def _rank_within(sorted_groups: np.ndarray) -> np.ndarray:
    """0-based position of each element within its run of equal values (input grouped)."""
    n = len(sorted_groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1]
    lengths = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, lengths)


def validation_split(train: Dataset, val_size: float = 0.1, seed: int = 0, temporal: bool | str = False) -> Split:
    """Train minus validation, and validation, both from ``train`` (the test set is never seen).

    ``temporal``: False, a random share; True, the latest ``val_size`` of all interactions (a global
    cut, for a test that is the future); ``"per-user"``, each user's latest ``val_size`` (for a test
    that is each user's own latest interactions)."""
    if temporal == "per-user":
        return temporal_per_user_split(train, val_size)
    if temporal not in (True, False):
        raise UsageError(f"temporal must be True, False or 'per-user', not {temporal!r}")
    return temporal_split(train, val_size) if temporal else random_split(train, val_size, seed)
