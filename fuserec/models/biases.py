"""Baseline estimates r̂ = μ + b_u + b_i, fitted by alternating regularised means (Koren 2010)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from fuserec.data.dataset import Dataset
from fuserec.errors import UsageError
from fuserec.models.base import Recommender
from fuserec.models.params import OneOf, Range


def fit_biases(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
               reg_user: float, reg_item: float, epochs: int) -> tuple[float, np.ndarray, np.ndarray]:
    """μ, b_u, b_i by alternating least squares on the biases (Surprise's 'als' baseline)."""
    mu = float(ratings.mean())
    bu, bi = np.zeros(n_users), np.zeros(n_items)
    n_u = np.bincount(users, minlength=n_users)
    n_i = np.bincount(items, minlength=n_items)
    for _ in range(epochs):
        bi = np.bincount(items, weights=ratings - mu - bu[users], minlength=n_items) / (reg_item + n_i)
        bu = np.bincount(users, weights=ratings - mu - bi[items], minlength=n_users) / (reg_user + n_u)
    return mu, bu, bi


class BaselineOnly(Recommender):
    """Global mean plus user and item biases; the rating floor every factor model builds on.

    Predicts r̂_ui = μ + b_u + b_i. The biases are fitted by alternating regularised means
    (Surprise's 'als' baseline): each sweep sets every item bias to the mean residual of its
    ratings, shrunk by ``reg_item``, then every user bias likewise, shrunk by ``reg_user``.
    Fits explicit ratings only; ranking by it orders items by their bias, the same for every user.

    Parameters
    ----------
    reg_user : float
        Regularisation of the user biases: added to each user's rating count in the denominator
        of the mean, so users with few ratings keep a bias near 0. At least 0.
    reg_item : float
        Regularisation of the item biases, the same for items. At least 0.
    epochs : int
        Number of alternating sweeps (item biases, then user biases); at least 1.

    Attributes
    ----------
    mu_ : float
        Global mean of the train ratings.
    user_bias_ : numpy.ndarray
        Bias b_u per user.
    item_bias_ : numpy.ndarray
        Bias b_i per item.

    References
    ----------
    .. [1] Y. Koren, "Factor in the Neighbors: Scalable and Accurate Collaborative Filtering",
       ACM Transactions on Knowledge Discovery from Data (TKDD), 2010.

    Examples
    --------
    >>> from fuserec.models import BaselineOnly
    >>> model = BaselineOnly(reg_user=15.0, reg_item=10.0, epochs=10)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "reg_user": Range(ge=0), "reg_item": Range(ge=0), "epochs": Range(ge=1),
    }

    def __init__(self, reg_user: float = 15.0, reg_item: float = 10.0, epochs: int = 10) -> None:
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.epochs = epochs

    def _fit(self, train: Dataset) -> None:
        if not train.has_ratings:
            raise UsageError(f"{train.name} has no ratings: BaselineOnly fits ratings")
        inter = train.interactions
        self.mu_, self.user_bias_, self.item_bias_ = fit_biases(
            inter["user"].to_numpy(), inter["item"].to_numpy(), inter["rating"].to_numpy(np.float64),
            train.n_users, train.n_items, self.reg_user, self.reg_item, self.epochs)

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return self.mu_ + self.user_bias_[users, None] + self.item_bias_[None, :]

    def _score_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self.mu_ + self.user_bias_[users] + self.item_bias_[items]
