"""Friends as a signal: recommend what a user's friends interact with (Last.fm's friendships,
or any ``Dataset.social`` edge list).

score(u, i) = Σ_f w(u, f) · x̂(f, i) over u's friends f, where x̂(f, ·) is f's train history
normalised to sum to one (a friend who listens to 500 artists does not outvote one who listens to
50) and w(u, f) = 1 + ``similarity_weight`` · cos(u, f): every friend counts, friends whose taste
overlaps with the user's count more. A user without friends (or without friends with a history)
gets all zeros: route them elsewhere, or let `LearnedReranker` do it with this as one retriever.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from fuserec.data.dataset import Dataset
from fuserec.errors import UsageError
from fuserec.models.base import Recommender
from fuserec.models.params import OneOf, Range


def friendship_matrix(train: Dataset) -> sp.csr_matrix:
    """The users × users 0/1 matrix of ``train.social`` (both directions, no self-loops)."""
    social = train.social
    if social is None or len(social) == 0:
        raise UsageError(f"dataset {train.name!r} has no social edges (Dataset.social): "
                         "a social model needs a user-user edge list with columns user, friend")
    missing = {"user", "friend"} - set(social.columns)
    if missing:
        raise UsageError(f"dataset {train.name!r}: Dataset.social lacks column(s) {sorted(missing)}")
    u, f = social["user"].to_numpy(np.int64), social["friend"].to_numpy(np.int64)
    bad = (u < 0) | (u >= train.n_users) | (f < 0) | (f >= train.n_users)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise UsageError(f"dataset {train.name!r}: Dataset.social row {row} ({u[row]}, {f[row]}) is not a user "
                         f"index in 0..{train.n_users - 1}")
    keep = u != f
    a = sp.csr_matrix((np.ones(keep.sum() * 2), (np.r_[u[keep], f[keep]], np.r_[f[keep], u[keep]])),
                      shape=(train.n_users, train.n_users))
    a.data[:] = 1.0  # duplicates summed above: back to 0/1
    return a


class SocialNeighbours(Recommender):
    """Recommends what the user's friends interact with, friends whose taste is closer counting more.

    score(u, i) = Σ_f w(u, f) · x̂(f, i) over u's friends f in ``Dataset.social``, where x̂(f, ·)
    is f's train history normalised to sum to one (a friend with a long history does not outvote
    one with a short one) and w(u, f) = 1 + ``similarity_weight`` × the cosine of the two users'
    histories. A user without friends (or without friends with a history) gets all zeros.
    Ranking only; the dataset must have social edges.

    Parameters
    ----------
    similarity_weight : float
        How much taste overlap adds to a friend's weight: 0 weighs every friend the same, larger
        values favour friends whose histories are similar to the user's. At least 0.
    values : {"binary", "rating"}
        What the histories hold: ``"binary"``, whether the user interacted with the item;
        ``"rating"``, the dataset's rating column (play counts on Last.fm), taken as
        log(1 + value).

    Attributes
    ----------
    weights_ : scipy.sparse.csr_matrix
        The users × users friend weights w(u, f).
    history_ : scipy.sparse.csr_matrix
        Each user's history, normalised to sum to one.
    users_with_friends_ : int
        Number of users with at least one friend.

    Examples
    --------
    >>> from fuserec.models import SocialNeighbours
    >>> model = SocialNeighbours(similarity_weight=2.0, values="rating")
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "similarity_weight": Range(ge=0), "values": OneOf("binary", "rating"),
    }

    task = "ranking"

    def __init__(self, similarity_weight: float = 1.0, values: str = "binary") -> None:
        self.similarity_weight = similarity_weight
        self.values = values

    def _fit(self, train: Dataset) -> None:
        if self.values not in ("binary", "rating"):
            raise UsageError(f"SocialNeighbours: values must be 'binary' or 'rating', not {self.values!r}")
        if not float(self.similarity_weight) >= 0:
            raise UsageError(f"SocialNeighbours: similarity_weight must be ≥ 0, got {self.similarity_weight!r}")
        friends = friendship_matrix(train)
        x = train.matrix(self.values).astype(np.float64)
        if self.values == "rating":
            x.data = np.log1p(x.data)
        unit = normalize(x, norm="l2").tocsr()
        edges = friends.tocoo()  # cosine on the edges only: a users × users product would not scale
        cosine = np.asarray(unit[edges.row].multiply(unit[edges.col]).sum(axis=1)).ravel()
        self.weights_ = sp.csr_matrix((1.0 + self.similarity_weight * cosine, (edges.row, edges.col)),
                                      shape=friends.shape)
        self.history_ = normalize(x, norm="l1").tocsr()
        self.users_with_friends_ = int((np.diff(friends.indptr) > 0).sum())

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return np.asarray((self.weights_[users] @ self.history_).todense(), dtype=np.float32)
