"""Models that score a history through an item-item weight matrix: ``score = history · B``.

EASE, item kNN, RP3beta and text-EASE learn ``B`` differently and use it the same way; what
follows from that form (fold-in, similar items, an exact split of a score over the history) is
written once here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from fuserec._core.rows import take_rows
from fuserec.models.attribution import Attribution, weights_attribution
from fuserec.models.capabilities import Attributes, FoldsIn, SimilarItems, weight_similarity


class FactoredWeights:
    """Item-item weights kept as a product of two sparse matrices, ``B = left · right``.

    A sparse approximate inverse (SANSA) is two sparse factors whose product is far denser than
    either; a history is scored through both in turn, and rows of ``B`` are formed only when
    asked for (``weights[rows]``, as for a dense or sparse matrix).
    """

    def __init__(self, left: sp.csr_matrix, right: sp.csr_matrix) -> None:
        self.left = sp.csr_matrix(left)
        self.right = sp.csr_matrix(right)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.left.shape[0], self.right.shape[1])

    @property
    def nbytes(self) -> int:
        return sum(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes for m in (self.left, self.right))

    def __getitem__(self, rows: Any) -> sp.csr_matrix:
        return sp.csr_matrix(self.left[rows] @ self.right)

    def score(self, histories: sp.csr_matrix) -> np.ndarray:
        """``histories · B`` as a dense array."""
        return np.asarray(((histories @ self.left) @ self.right).toarray(), dtype=np.float32)


def score_histories(weights: Any, histories: sp.csr_matrix) -> np.ndarray:
    """``histories · B`` for dense, sparse or factored weights, as a dense array."""
    if isinstance(weights, FactoredWeights):
        return weights.score(histories)
    scores = histories @ weights
    return scores.toarray() if sp.issparse(scores) else np.asarray(scores)


class ItemItemWeights(FoldsIn, SimilarItems, Attributes):
    """Fold-in, similar items and attribution for a model whose learned ``item_weights_`` (dense,
    sparse or `FactoredWeights`, n_items × n_items) scores a history row ``r`` as ``r · B``."""

    item_weights_: Any
    seen_: sp.csr_matrix

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return self._score_histories(take_rows(self.seen_, users))

    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        return score_histories(self.item_weights_, histories)

    def similar_items(self, item: int) -> tuple[np.ndarray, str]:
        """Row ``item`` of the weights."""
        return weight_similarity(self.item_weights_, item)

    def attribute(self, row: sp.csr_matrix, items: np.ndarray) -> Attribution:
        """``score_i = Σ_h r_h · B[h, i]``, split by ``h``."""
        return weights_attribution(self.item_weights_, row, items)
