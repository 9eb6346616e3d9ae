"""Text mapped into the collaborative space: a new item gets factors from its text alone.

A factor model (ALS, BPR-MF, ...) learns item factors from interactions; a ridge regression
learns, on the items that have interactions, to predict those factors (and the item bias) from
the item's text vector. Items without training interactions then get predicted factors, so a
movie nobody has rated yet is ranked by what its text says *in the model's own terms*, not by raw
text similarity (which measured far weaker here: see the cold-item benchmark).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import Ridge

from fuserec.data.dataset import Dataset
from fuserec.models.base import Recommender
from fuserec.models.params import OneOf, Range


class TextMappedFactors(Recommender):
    """A factor model whose cold items get factors regressed from their text.

    ``base``: an unfitted model exposing ``user_factors_`` and ``item_factors_`` after fit (ALS,
    BPR, BiasedMF); ``encoder``: the semantic encoder name for item texts (through the cache);
    ``alpha``: ridge strength. ``map_warm=True`` also replaces warm items' factors (to measure
    the map itself); by default warm items keep what they learned from interactions.
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "alpha": Range(gt=0),
    }

    task = "ranking"

    def __init__(self, base: Recommender | None = None, encoder: str = "minilm", alpha: float = 10.0,
                 map_warm: bool = False) -> None:
        self.base = base
        self.encoder = encoder
        self.alpha = alpha
        self.map_warm = map_warm

    def _base(self) -> Recommender:
        if self.base is not None:
            return clone(self.base)
        from fuserec.models import ALS

        return ALS(factors=64)

    def _fit(self, train: Dataset) -> None:
        from fuserec.semantic import SemanticIndex

        model = self._base().fit(train)
        for attr in ("user_factors_", "item_factors_"):
            if not hasattr(model, attr):
                raise TypeError(f"{type(model).__name__} has no {attr}: TextMappedFactors needs a factor model")
        vectors = SemanticIndex(train, self.encoder, show_progress=True).vectors
        q = np.asarray(model.item_factors_, dtype=np.float64)
        bias = np.asarray(getattr(model, "item_bias_", np.zeros(train.n_items)), dtype=np.float64)
        target = np.hstack([q, bias[:, None]])
        warm = train.item_counts() > 0
        self.ridge_ = Ridge(alpha=self.alpha).fit(vectors[warm], target[warm])
        predicted = self.ridge_.predict(vectors)
        replace = np.ones(train.n_items, dtype=bool) if self.map_warm else ~warm
        q[replace], bias[replace] = predicted[replace, :-1], predicted[replace, -1]
        self.user_factors_ = np.asarray(model.user_factors_, dtype=np.float64)
        self.item_factors_, self.item_bias_ = q, bias
        self.cold_items_ = int((~warm).sum())

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors_[users] @ self.item_factors_.T + self.item_bias_[None, :]
