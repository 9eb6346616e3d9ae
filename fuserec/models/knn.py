"""Neighbourhood models for ratings: KNNBaseline (Koren 2010) with shrunk Pearson-baseline similarity."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from fuserec.data.dataset import Dataset
from fuserec.errors import UsageError
from fuserec.models.base import Recommender
from fuserec.models.biases import fit_biases
from fuserec.models.params import OneOf, Range

DENSE_MAX = 20_000  # above this many entities the similarity stays sparse (n² floats would not fit)


def _align(values: sp.csr_matrix, pattern: sp.csr_matrix) -> np.ndarray:
    """``values``' entries at ``pattern``'s positions (0 where ``values`` has none).

    Sparse products drop exact zeros, so their patterns can be subsets of the co-occurrence
    pattern; matching on (row, column) keys aligns them without densifying.
    """
    values = values.tocsr()
    values.sort_indices()
    if np.array_equal(values.indptr, pattern.indptr) and np.array_equal(values.indices, pattern.indices):
        return values.data  # the usual case: no sum was exactly zero
    n_cols = pattern.shape[1]
    keys = np.repeat(np.arange(pattern.shape[0], dtype=np.int64), np.diff(pattern.indptr)) * n_cols + pattern.indices
    vkeys = np.repeat(np.arange(values.shape[0], dtype=np.int64), np.diff(values.indptr)) * n_cols + values.indices
    out = np.zeros(len(keys))
    out[np.searchsorted(keys, vkeys)] = values.data
    return out


def pearson_baseline_similarity(z: sp.csr_matrix, shrinkage: float) -> np.ndarray | sp.csr_matrix:
    """Shrunk Pearson correlation of baseline residuals between the columns of ``z``.

    ``z`` holds r − b_ui for each observed rating. Sums run over the rows both columns have:
    sim_ij = (n_ij − 1)/(n_ij − 1 + shrinkage) · Σ z_i z_j / sqrt(Σ z_i² · Σ z_j²).
    Computed on the sparse pattern of co-rated pairs only; returned dense (float32) up to
    ``DENSE_MAX`` columns, sparse beyond.
    """
    z = sp.csc_matrix(z, dtype=np.float64)
    b = z.copy()
    b.data = np.ones_like(b.data)
    n = (b.T @ b).tocsr()  # co-rating counts: the pattern every other sum lives on
    n.sort_indices()
    num = _align(z.T @ z, n)
    sq_m = z.multiply(z).tocsc().T @ b  # sq[i, j] = Σ over rows with both i and j of z_i²
    sq = _align(sq_m, n)
    sq_t = _align(sq_m.T, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = num / np.sqrt(sq * sq_t)
    sim[~np.isfinite(sim)] = 0.0
    support = np.maximum(n.data - 1, 0)
    sim *= support / (support + shrinkage)
    out = sp.csr_matrix((sim.astype(np.float32), n.indices, n.indptr), shape=n.shape)
    out.setdiag(0.0)
    out.eliminate_zeros()
    return out.toarray() if n.shape[0] <= DENSE_MAX else out


class KNNBaseline(Recommender):
    """Neighbourhood model for ratings: the baseline plus the similarity-weighted residuals of neighbours.

    Predicts r̂_ui = b_ui + Σ_{j∈N^k_i(u)} s_ij (r_uj − b_uj) / Σ s_ij over the k most similar items
    the user rated (positive similarities only), where b_ui = μ + b_u + b_i is the baseline
    estimate of ``BaselineOnly``; ``user_based=True`` swaps the roles of users and items. The
    similarity is the shrunk Pearson correlation of baseline residuals (Surprise's
    ``pearson_baseline``), computed on co-rated pairs only. Fits explicit ratings only.

    Parameters
    ----------
    k : int
        Maximum number of neighbours, the most similar among the entities the user (or, user
        based, the item) has ratings for, that vote on a prediction; at least 1.
    min_k : int
        Minimum number of neighbours with a positive similarity among those ``k``; with fewer,
        the prediction is the baseline alone. At least 1.
    shrinkage : float
        Shrinks each similarity by (n − 1) / (n − 1 + ``shrinkage``), n the number of co-rating
        users (or items), so similarities resting on few common ratings count less. At least 0.
    user_based : bool
        ``False``: item-based, neighbours are similar items the user rated. ``True``: user-based,
        neighbours are similar users who rated the item.
    reg_user : float
        Regularisation of the user biases of the baseline (as in ``BaselineOnly``); at least 0.
    reg_item : float
        Regularisation of the item biases of the baseline; at least 0.
    baseline_epochs : int
        Number of alternating sweeps that fit the baseline biases; at least 1.

    Attributes
    ----------
    mu_ : float
        Global mean of the train ratings.
    user_bias_ : numpy.ndarray
        Baseline bias per user.
    item_bias_ : numpy.ndarray
        Baseline bias per item.
    similarity_ : numpy.ndarray or scipy.sparse.csr_matrix
        Shrunk Pearson-baseline similarity between items (users when ``user_based``): dense up to
        ``DENSE_MAX`` of them, sparse beyond.

    References
    ----------
    .. [1] Y. Koren, "Factor in the Neighbors: Scalable and Accurate Collaborative Filtering",
       ACM Transactions on Knowledge Discovery from Data (TKDD), 2010.

    Examples
    --------
    >>> from fuserec.models import KNNBaseline
    >>> model = KNNBaseline(k=40, shrinkage=100.0, user_based=False)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "k": Range(ge=1), "min_k": Range(ge=1), "shrinkage": Range(ge=0), "reg_user": Range(ge=0),
        "reg_item": Range(ge=0), "baseline_epochs": Range(ge=1),
    }

    def __init__(self, k: int = 40, min_k: int = 1, shrinkage: float = 100.0, user_based: bool = False,
                 reg_user: float = 15.0, reg_item: float = 10.0, baseline_epochs: int = 10) -> None:
        self.k = k
        self.min_k = min_k
        self.shrinkage = shrinkage
        self.user_based = user_based
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.baseline_epochs = baseline_epochs

    def _fit(self, train: Dataset) -> None:
        if not train.has_ratings:
            raise UsageError(f"{train.name} has no ratings: KNNBaseline fits ratings")
        inter = train.interactions
        u, i = inter["user"].to_numpy(), inter["item"].to_numpy()
        r = inter["rating"].to_numpy(np.float64)
        self.mu_, self.user_bias_, self.item_bias_ = fit_biases(u, i, r, train.n_users, train.n_items,
                                                                self.reg_user, self.reg_item, self.baseline_epochs)
        resid = r - (self.mu_ + self.user_bias_[u] + self.item_bias_[i])
        z = sp.csr_matrix((resid, (u, i)), shape=(train.n_users, train.n_items))
        # "rows" are the entities whose neighbours vote: items (item-based) or users
        self.residuals_ = (z.T.tocsr() if self.user_based else z).astype(np.float64)
        self.similarity_ = pearson_baseline_similarity(self.residuals_, self.shrinkage)

    def _neighbour_term(self, owner: int, targets: np.ndarray) -> np.ndarray:
        """Σ s (r − b) / Σ s over the k nearest neighbours among ``owner``'s rated entities."""
        row = self.residuals_[owner]
        rated, resid = row.indices, row.data
        out = np.zeros(len(targets))
        if len(rated) == 0:
            return out
        if sp.issparse(self.similarity_):
            sims = self.similarity_[targets][:, rated].toarray().astype(np.float64)
        else:
            sims = self.similarity_[np.ix_(targets, rated)].astype(np.float64)
        if len(rated) > self.k:
            top = np.argpartition(-sims, self.k - 1, axis=1)[:, : self.k]
            sims = np.take_along_axis(sims, top, axis=1)
            res = resid[top]
        else:
            res = np.broadcast_to(resid, sims.shape)
        pos = sims > 0
        sims = np.where(pos, sims, 0.0)
        total = sims.sum(axis=1)
        enough = (pos.sum(axis=1) >= self.min_k) & (total > 0)
        out[enough] = (sims * res).sum(axis=1)[enough] / total[enough]
        return out

    def _score_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        base = self.mu_ + self.user_bias_[users] + self.item_bias_[items]
        owners, targets = (items, users) if self.user_based else (users, items)
        out = base.copy()
        order = np.argsort(owners, kind="stable")
        bounds = np.flatnonzero(np.r_[True, owners[order][1:] != owners[order][:-1], True])
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):  # one vectorised block per user (or item)
            sel = order[a:b]
            out[sel] += self._neighbour_term(int(owners[sel[0]]), targets[sel])
        return out

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        n_items = len(self.item_bias_)
        uu = np.repeat(users, n_items)
        ii = np.tile(np.arange(n_items), len(users))
        return self._score_pairs(uu, ii).reshape(len(users), n_items)
