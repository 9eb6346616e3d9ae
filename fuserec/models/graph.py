"""RP3beta (Paudel et al. 2017): item–item weights from a 3-step random walk, popularity-penalised."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from fuserec.data.dataset import Dataset
from fuserec.models.base import Recommender
from fuserec.models.params import OneOf, Range


class RP3beta(Recommender):
    """W_ij = Σ_u P(u|i)^α P(j|u)^α / pop(j)^β, each row pruned to its ``k`` largest weights."""

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "alpha": Range(ge=0), "beta": Range(ge=0), "k": Range(ge=1),
    }

    task = "ranking"

    def __init__(self, alpha: float = 0.8, beta: float = 0.6, k: int = 200) -> None:
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def _fit(self, train: Dataset) -> None:
        x = sp.csr_matrix(self.seen_, dtype=np.float64)
        ui = sp.diags(1.0 / np.maximum(np.asarray(x.sum(axis=1)).ravel(), 1)) @ x  # P(j | u)
        iu = sp.diags(1.0 / np.maximum(np.asarray(x.sum(axis=0)).ravel(), 1)) @ x.T.tocsr()  # P(u | i)
        ui.data **= self.alpha
        iu.data **= self.alpha
        w = (iu @ ui).toarray()
        pop = np.asarray(x.sum(axis=0)).ravel()
        w /= np.power(np.maximum(pop, 1), self.beta)[None, :]
        np.fill_diagonal(w, 0.0)
        if self.k < w.shape[1]:
            drop = np.argpartition(-w, self.k, axis=1)[:, self.k:]
            np.put_along_axis(w, drop, 0.0, axis=1)
        self.item_weights_ = sp.csr_matrix(w.astype(np.float32))

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return (self.seen_[users] @ self.item_weights_).toarray()
