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
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.linear_model import Ridge

from fuserec.data.dataset import Dataset
from fuserec.errors import FoldInError, UsageError
from fuserec.models.attribution import Attribution, factor_solve_attribution
from fuserec.models.base import Recommender
from fuserec.models.capabilities import Attributes, EncoderText, FactorSimilarity, FoldsIn
from fuserec.models.params import OneOf, Range


class TextMappedFactors(FoldsIn, Attributes, FactorSimilarity, EncoderText, Recommender):
    """A factor model whose cold items get factors regressed from their text.

    The base factor model learns user and item factors from the interactions; a ridge regression
    then learns, on the items that have training interactions, to predict each item's factors (and
    its bias, where the base model has one) from its text vector [1]_. Items without training
    interactions get the predicted factors, so a new item is ranked by what its text says in the
    model's own terms, not by raw text similarity. An item's score is u·v plus its bias.

    Parameters
    ----------
    base : Recommender, optional
        Unfitted factor model that exposes ``user_factors_`` and ``item_factors_`` after fit (ALS,
        BPR, BiasedMF, ...) and, if it has item biases, ``item_bias_``; it is cloned, not fit in
        place. ``None`` (default): ``ALS(factors=64)``.
    encoder : str
        Semantic encoder of the item texts ("minilm", "e5", "tfidf", ...), read through the vector
        cache.
    alpha : float
        Ridge strength of the map from text to factors.
    map_warm : bool
        Also replace the warm items' factors and biases by the mapped ones (to measure the map
        itself). ``False`` (default): warm items keep what they learned from interactions.

    Attributes
    ----------
    ridge_ : sklearn.linear_model.Ridge
        The map from an item's text vector to its factors and bias (the bias is its last output).
    user_factors_ : ndarray of shape (n_users, factors)
        The base model's user factors.
    item_factors_ : ndarray of shape (n_items, factors)
        Item factors, mapped from text for the cold items (for all items with ``map_warm``).
    item_bias_ : ndarray of shape (n_items,)
        Item biases (zero where the base has none), mapped from text like the factors.
    cold_items_ : int
        Items with no training interactions.

    References
    ----------
    .. [1] Gantner et al., "Learning Attribute-to-Feature Mappings for Cold-Start
       Recommendations", ICDM, 2010.

    Examples
    --------
    >>> from fuserec.models import ALS
    >>> model = TextMappedFactors(base=ALS(factors=32), encoder="tfidf")
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
                raise UsageError(f"{type(model).__name__} has no {attr}: TextMappedFactors needs a factor model")
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

    def unsupported(self) -> set[type]:
        """Fold-in and attribution need an ALS base: a user's factors are then solved from their
        history as ALS does."""
        from fuserec.models.implicit_models import ALS

        return set() if isinstance(self._base(), ALS) else {FoldsIn, Attributes}

    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        from fuserec.models.implicit_models import solve_user_factors

        if not self.can_fold_in:
            raise FoldInError(f"TextMappedFactors folds in with an ALS base, not {type(self._base()).__name__}")
        base = self._base()
        users = solve_user_factors(self.item_factors_, histories, base.regularization, base.alpha)
        return users @ self.item_factors_.T + self.item_bias_[None, :]

    def attribute(self, row: sp.csr_matrix, items: np.ndarray) -> Attribution:
        """The ALS fold-in's solve over the mapped factors, split over the history's items."""
        base = self._base()
        return factor_solve_attribution(self.item_factors_, base.regularization, base.alpha, row, items)
