"""The floors every model must beat: Popularity and Random."""

from __future__ import annotations

import numpy as np

from fuserec.data.dataset import Dataset
from fuserec.models.base import Recommender


class Popularity(Recommender):
    """Ranks items by train interaction count; predicts ratings by the item's damped mean.

    ``damping``: pseudo-ratings at the global mean added to each item, so an item rated once
    does not predict its single rating (Bayesian average).
    """

    def __init__(self, damping: float = 5.0) -> None:
        self.damping = damping

    def _fit(self, train: Dataset) -> None:
        items = train.interactions["item"].to_numpy()
        self.counts_ = np.bincount(items, minlength=train.n_items).astype(np.float64)
        if train.has_ratings:
            r = train.interactions["rating"].to_numpy(dtype=np.float64)
            self.global_mean_ = float(r.mean())
            sums = np.bincount(items, weights=r, minlength=train.n_items)
            self.item_mean_ = (sums + self.damping * self.global_mean_) / (self.counts_ + self.damping)
        else:
            self.global_mean_ = 1.0
            self.item_mean_ = np.ones(train.n_items)

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.counts_, (len(users), len(self.counts_)))

    def _score_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self.item_mean_[items]


class Random(Recommender):
    """Random order; predicts ratings drawn from a normal fitted to train ratings (Surprise's
    NormalPredictor). Seeded: the same ``random_state`` gives the same output."""

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def _fit(self, train: Dataset) -> None:
        self.n_items_ = train.n_items
        if train.has_ratings:
            r = train.interactions["rating"].to_numpy(dtype=np.float64)
            self.mean_, self.std_ = float(r.mean()), float(r.std())
        else:
            self.mean_, self.std_ = 1.0, 0.0

    def _rng(self, users: np.ndarray) -> np.random.Generator:
        return np.random.default_rng([self.random_state, *np.asarray(users[:1]).tolist(), len(users)])

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return self._rng(users).random((len(users), self.n_items_))

    def _score_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self._rng(users).normal(self.mean_, self.std_, size=len(users))
