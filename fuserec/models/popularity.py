"""The floors every model must beat: Popularity, popularity on the user's own clock, and Random."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from fuserec._core.cost import Cost, DataShape
from fuserec.data.dataset import Dataset
from fuserec.errors import UsageError
from fuserec.models.base import VALIDATION_USERS, Recommender, validation_ndcg
from fuserec.models.capabilities import FoldsIn, Tunes
from fuserec.models.params import OneOf, Range
from fuserec.progress import progress


class Popularity(FoldsIn, Recommender):
    """Ranks items by train interaction count; predicts ratings by the item's damped mean.

    Every user gets the same ranking: the items with the most train interactions first. As a
    rating predictor it gives each item the mean of its ratings pulled towards the global mean
    (a Bayesian average), so an item rated once does not predict its single rating. Without
    ratings every prediction is 1.

    Parameters
    ----------
    damping : float
        Number of pseudo-ratings at the global mean added to each item's ratings before taking
        their mean; 0 gives the plain item mean, larger values pull rarely rated items harder
        towards the global mean. At least 0. Ranking does not depend on it.

    Attributes
    ----------
    counts_ : numpy.ndarray
        Train interactions per item: the ranking score.
    item_mean_ : numpy.ndarray
        Damped mean rating per item: the rating prediction.

    Examples
    --------
    >>> from fuserec.models import Popularity
    >>> model = Popularity(damping=10.0)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "damping": Range(ge=0),
    }

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

    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.counts_, (histories.shape[0], len(self.counts_)))

    def recommend_indices(self, users: np.ndarray, k: int = 10, exclude_seen: bool = True,
                          exclude: sp.csr_matrix | None = None,
                          candidates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` per user, best first: one cut of the shared ranking, less each user's items."""
        return self._recommend_shared(users, k, exclude_seen, exclude, candidates,
                                      np.zeros(len(users), dtype=np.int64), lambda _: self.counts_)

    def _score_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self.item_mean_[items]


class UserTimePopularity(FoldsIn, Tunes, Recommender):
    """Popularity on each user's own clock: interactions before the user's latest one, decayed by age.

    An item scores its interactions in the time before the user's latest one, each weighted by
    ``0.5 ** (days before / half_life_days)``. For an active user this is recent popularity; for
    one whose few interactions are years old it is the items popular at that time, which are what
    such a user goes on to watch (``benchmarks/light_user_signal.py`` measures it on users cut
    back to their first few ratings, beside plain Popularity).

    Time is counted in ``bin_days`` bins; only interactions in the bins up to and including the
    one of the user's latest count, as they would in production (give or take one bin). A user
    without train interactions, or data without timestamps, gets recent (or plain) popularity;
    the all-time count, scaled far below one decayed interaction, breaks ties.

    Parameters
    ----------
    half_life_days : float or None
        Age, in days before the user's latest interaction, at which an interaction counts half.
        Greater than 0. ``None`` chooses it from ``HALF_LIVES`` by NDCG@10 on the latest tenth
        of train (a temporal validation split); ``fixed()`` is then the model with the choice
        written in.
    bin_days : float
        Width of the time bins, in days, that interactions are counted in; greater than 0.
        Smaller bins follow each user's clock more closely at more memory.

    Attributes
    ----------
    half_life_ : float or None
        The half-life the fit used: ``half_life_days``, or the one chosen when that is ``None``
        (it stays ``None`` on data without timestamps, where no choice is made).
    counts_ : numpy.ndarray
        All-time train interactions per item (the tie-breaker, and the score without timestamps).

    Examples
    --------
    >>> from fuserec.models import UserTimePopularity
    >>> model = UserTimePopularity(half_life_days=90.0, bin_days=7.0)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "half_life_days": Range(gt=0), "bin_days": Range(gt=0),
    }

    task = "ranking"
    #: A folded-in user is active now: their clock is the latest bin, not their last training one.
    fold_in_reproduces_fit = False
    HALF_LIVES = (30.0, 90.0, 250.0, 500.0, 1000.0, 3000.0)

    def __init__(self, half_life_days: float | None = None, bin_days: float = 7.0) -> None:
        self.half_life_days = half_life_days
        self.bin_days = bin_days

    def _cost(self, shape: DataShape) -> Cost:
        """A pass over the interactions; without a half-life, one fit and validation scoring of
        every candidate."""
        cost = super()._cost(shape)
        if self.half_life_days is None:
            cost = cost + Cost(dense=len(self.HALF_LIVES) * 4.0 * min(shape.users, VALIDATION_USERS) * shape.items)
        return cost

    def fixed(self) -> UserTimePopularity:
        """An unfitted copy with the half-life this fit used."""
        self._check_fitted()
        return UserTimePopularity(self.half_life_, self.bin_days)

    def _fit(self, train: Dataset) -> None:
        inter = train.interactions
        items = inter["item"].to_numpy()
        self.counts_ = np.bincount(items, minlength=train.n_items).astype(np.float64)
        if (self.half_life_days is not None and self.half_life_days <= 0) or self.bin_days <= 0:
            raise UsageError(f"half_life_days and bin_days must be > 0, not {self.half_life_days}, {self.bin_days}")
        self.half_life_ = self.half_life_days
        self.by_bin_ = None
        if not train.has_timestamps:
            return
        if self.half_life_ is None:
            self.half_life_ = self._choose_half_life(train)
        ts = inter["timestamp"].to_numpy(np.float64)
        width = self.bin_days * 86_400.0
        self.t0_ = ts.min()
        bins = ((ts - self.t0_) // width).astype(np.int64)
        self.by_bin_ = sp.csr_matrix((np.ones(len(items)), (bins, items)),
                                     shape=(int(bins.max()) + 1, train.n_items))
        users = inter["user"].to_numpy()
        latest = np.full(train.n_users, -1, dtype=np.int64)
        np.maximum.at(latest, users, bins)
        self.user_bin_ = np.where(latest >= 0, latest, bins.max())
        # weight of an interaction ``a`` bins before the user's latest, for every possible ``a``
        self.decay_ = (0.5 ** (self.bin_days / self.half_life_)) ** np.arange(self.by_bin_.shape[0])

    def _choose_half_life(self, train: Dataset) -> float:
        """The first of ``HALF_LIVES`` with the best NDCG@10 on the latest tenth of train."""
        from fuserec.data.split import validation_split

        inner = validation_split(train, 0.1, 0, temporal=True)
        best, best_score = self.HALF_LIVES[0], -np.inf
        for half_life in progress(self.HALF_LIVES, "user-time popularity: half-life on validation"):
            score = validation_ndcg(UserTimePopularity(half_life, self.bin_days).fit(inner.train), inner)
            if score > best_score:
                best, best_score = half_life, score
        return best

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        if self.by_bin_ is None:
            return np.broadcast_to(self.counts_ + self._ties(), (len(users), len(self.counts_)))
        return self._score_at(self.user_bin_[users])

    def recommend_indices(self, users: np.ndarray, k: int = 10, exclude_seen: bool = True,
                          exclude: sp.csr_matrix | None = None,
                          candidates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` per user, best first: users whose latest interaction falls in the same time
        bin share a ranking, so each bin's is cut once, less each user's items."""
        self._check_fitted()
        users = np.asarray(users, dtype=np.int64)
        if self.by_bin_ is None:
            group, row = np.zeros(len(users), dtype=np.int64), lambda _: self.counts_ + self._ties()
        else:
            group, row = self.user_bin_[users], lambda b: self._score_at(np.array([b]))[0]
        return self._recommend_shared(users, k, exclude_seen, exclude, candidates, group, row)

    def _ties(self) -> np.ndarray:
        """All-time counts scaled below any weight that matters: they only break ties."""
        return 1e-9 * self.counts_ / max(self.counts_.max(), 1.0)

    def _score_at(self, latest: np.ndarray) -> np.ndarray:
        """Scores for users whose latest interaction falls in bin ``latest``."""
        assert self.by_bin_ is not None
        ago = latest[:, None] - np.arange(len(self.decay_))[None, :]  # bins before each user's latest
        weights = np.where(ago >= 0, self.decay_[np.maximum(ago, 0)], 0.0)
        # a dense product: bins are few, and BLAS over them beats a sparse product with a dense
        # users × items output many times over
        scores = weights @ self.by_bin_.toarray()
        scores += self._ties()
        return scores

    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        """A user with fresh events is active now: their clock is the latest bin of training."""
        if self.by_bin_ is None:
            return self._score_users(np.zeros(histories.shape[0], dtype=np.int64))
        return self._score_at(np.full(histories.shape[0], self.by_bin_.shape[0] - 1))


class Random(Recommender):
    """Random order; predicts ratings drawn from a normal fitted to train ratings.

    The floor a ranking must beat: item scores are uniform random numbers. Rating predictions
    are drawn from a normal distribution with the mean and standard deviation of the train
    ratings (Surprise's NormalPredictor); without ratings every prediction is 1. Seeded: the
    same ``random_state`` gives the same output for the same call.

    Parameters
    ----------
    random_state : int
        Seed of the random numbers, combined with the users of each call; at least 0.

    Attributes
    ----------
    mean_ : float
        Mean of the train ratings.
    std_ : float
        Standard deviation of the train ratings.

    Examples
    --------
    >>> from fuserec.models import Random
    >>> model = Random(random_state=42)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "random_state": Range(ge=0),
    }

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


def recent_counts(train: Dataset, share: float = 0.1) -> np.ndarray:
    """Interactions per item in the latest ``share`` of ``train`` ("what is hot now"; all of
    train without timestamps)."""
    inter = train.interactions
    items = inter["item"].to_numpy()
    if train.has_timestamps and len(inter):
        ts = inter["timestamp"].to_numpy(np.float64)
        items = items[ts >= np.quantile(ts, 1 - share)]
    return np.bincount(items, minlength=train.n_items).astype(np.float32)
