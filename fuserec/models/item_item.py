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


class ItemItemWeights(FoldsIn, SimilarItems, Attributes):
    """Fold-in, similar items and attribution for a model whose learned ``item_weights_`` (dense
    or sparse, n_items × n_items) scores a history row ``r`` as ``r · B``."""

    item_weights_: Any
    seen_: sp.csr_matrix

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return self._score_histories(take_rows(self.seen_, users))

    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        scores = histories @ self.item_weights_
        return scores.toarray() if sp.issparse(scores) else np.asarray(scores)

    def similar_items(self, item: int) -> tuple[np.ndarray, str]:
        """Row ``item`` of the weights."""
        return weight_similarity(self.item_weights_, item)

    def attribute(self, row: sp.csr_matrix, items: np.ndarray) -> Attribution:
        """``score_i = Σ_h r_h · B[h, i]``, split by ``h``."""
        return weights_attribution(self.item_weights_, row, items)
