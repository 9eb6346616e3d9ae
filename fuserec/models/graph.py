"""RP3beta (Paudel et al. 2017): item–item weights from a 3-step random walk, popularity-penalised."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from fuserec._core.cost import Cost, DataShape, item_pairs_cost
from fuserec.data.dataset import Dataset
from fuserec.models.base import Recommender
from fuserec.models.item_item import ItemItemWeights
from fuserec.models.params import OneOf, Range

BLOCK = 1024  # item rows of the walk computed at once


class RP3beta(ItemItemWeights, Recommender):
    """Item-item model from a 3-step random walk on the user-item graph, penalised by popularity.

    The weight of item j for item i is W_ij = Σ_u P(u|i)^α P(j|u)^α / pop(j)^β: the walk goes
    from item i to a user who interacted with it and on to another item of that user, with
    P(u|i) = 1 / (users of i) and P(j|u) = 1 / (items of u), and pop(j) the number of users of
    item j. Each row keeps its ``k`` largest weights, with a zero diagonal; a user's scores are
    their binary history times W. Ranking only.

    Parameters
    ----------
    alpha : float
        Exponent on the transition probabilities; at least 0. 1 is the plain random walk.
    beta : float
        Exponent of the popularity penalty pop(j)^β; at least 0. 0 gives no penalty (P3alpha),
        larger values favour less popular items.
    k : int
        Number of largest weights kept in each item's row; at least 1.

    Attributes
    ----------
    item_weights_ : scipy.sparse.csr_matrix
        The pruned item × item weights W (float32).

    References
    ----------
    .. [1] B. Paudel, F. Christoffel, C. Newell and A. Bernstein, "Updatable, Accurate, Diverse,
       and Scalable Recommendations for Interactive Applications", ACM Transactions on
       Interactive Intelligent Systems (TiiS), 2017.

    Examples
    --------
    >>> from fuserec.models import RP3beta
    >>> model = RP3beta(alpha=1.0, beta=0.5, k=100)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "alpha": Range(ge=0), "beta": Range(ge=0), "k": Range(ge=1),
    }

    task = "ranking"

    def __init__(self, alpha: float = 0.8, beta: float = 0.6, k: int = 200) -> None:
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def _cost(self, shape: DataShape) -> Cost:
        return item_pairs_cost(shape, self.k)

    def _fit(self, train: Dataset) -> None:
        x = sp.csr_matrix(self.seen_, dtype=np.float64)
        ui = sp.diags(1.0 / np.maximum(np.asarray(x.sum(axis=1)).ravel(), 1)) @ x  # P(j | u)
        iu = sp.diags(1.0 / np.maximum(np.asarray(x.sum(axis=0)).ravel(), 1)) @ x.T.tocsr()  # P(u | i)
        ui.data **= self.alpha
        iu.data **= self.alpha
        pop = np.power(np.maximum(np.asarray(x.sum(axis=0)).ravel(), 1), self.beta)
        n = x.shape[1]
        blocks = []
        for start in range(0, n, BLOCK):  # items × items, a block of rows at a time, sparse throughout
            rows = np.arange(start, min(start + BLOCK, n))
            w = (iu[rows] @ ui).tocsr()
            w.data /= pop[w.indices]
            w.setdiag(0.0, k=start)  # an item is not its own neighbour (row r is item start + r)
            w.eliminate_zeros()
            blocks.append(top_k_per_row(w, self.k).astype(np.float32))
        self.item_weights_ = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((n, n), dtype=np.float32)


def top_k_per_row(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """``m`` with only the ``k`` largest entries of each row kept (ties go to the lower column).

    Works on the stored entries alone, so its cost follows the non-zeros, not rows × columns.
    """
    m = sp.csr_matrix(m)
    m.sort_indices()
    counts = np.diff(m.indptr)
    if counts.max(initial=0) <= k:
        return m
    row = np.repeat(np.arange(m.shape[0]), counts)
    order = np.lexsort((m.indices, -m.data, row))  # by row, then value descending, then column
    rank = np.arange(len(order)) - m.indptr[row[order]]
    keep = np.sort(order[rank < k])
    kept = np.bincount(row[keep], minlength=m.shape[0])
    return sp.csr_matrix((m.data[keep], m.indices[keep], np.concatenate([[0], np.cumsum(kept)])), shape=m.shape)
