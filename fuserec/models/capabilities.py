"""What a model can do beyond scoring: one protocol per capability, declared by the model itself.

A model declares a capability by listing its protocol among its bases
(``class ALS(FoldsIn, Attributes, _FactorWrapper)``) and implements the protocol's methods. Each
protocol is an abstract base class with no state and no ``__init__`` (so it never stands between
a model's ``__init__`` and its parent's); its methods are abstract, so a model that declares a
capability and leaves out one of its methods cannot be built, and the error names the method.
Everything outside the model packages (explanations, artifacts, the re-ranker, the service) asks
``model.supports(FoldsIn)``, never the concrete class or a learned attribute. A model whose
ability depends on its settings (a wrapper that folds in only with an ALS base) declares the
protocol and says no for the settings it cannot serve, by overriding ``Recommender.unsupported``.

``tests/models/contract.py`` checks every registered model against the behaviour each protocol
promises.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from fuserec.models.attribution import Attribution
    from fuserec.models.base import Recommender


class FoldsIn(ABC):
    """Scores a user from a history row without refitting (``Recommender.score_histories``)."""

    #: Whether folding in a training user's own binary row gives back how the fitted model ranks
    #: them. A model whose fit weighs a history by what a row cannot carry (ratings, the time of
    #: each interaction) says no.
    fold_in_reproduces_fit: ClassVar[bool] = True

    @abstractmethod
    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        """Scores of every item for each binary-or-weighted history row, shape (n_rows, n_items):
        for a training user's own row, the scores `recommend` ranks that user by."""


class SimilarItems(ABC):
    """Knows which of its items are alike from its own representation of them."""

    #: Whether ``similar_items(i)[j] == similar_items(j)[i]`` (a cosine is; learned weights are not).
    symmetric_similarity: ClassVar[bool] = False

    @abstractmethod
    def similar_items(self, item: int) -> tuple[np.ndarray, str]:
        """The similarity of every item to item index ``item`` (shape (n_items,)), and the name of
        the representation it comes from (``"collaborative factors"``, ``"item-item weights"``)."""


class Attributes(ABC):
    """Splits a history's scores over the history's items, from the model's own computation."""

    #: Whether the contributions of ``attribute`` sum exactly to the fold-in score.
    exact_attribution: ClassVar[bool] = True

    @abstractmethod
    def attribute(self, row: sp.csr_matrix, items: np.ndarray) -> Attribution:
        """Each of ``row``'s items' share of each of ``items``' scores (`fuserec.models.attribution`)."""


class ReadsText(ABC):
    """Reads item (or user) text through an encoder of `fuserec.semantic`."""

    @abstractmethod
    def text_encoders(self) -> list[str]:
        """The names of the encoders this model reads text through (``"tfidf"``, ``"minilm"``, ...)."""


class Tunes(ABC):
    """Chooses some of its own settings on validation carved from the training data."""

    @abstractmethod
    def fixed(self) -> Recommender:
        """An unfitted copy with the settings this fit chose, so a refit makes no search."""


class ExplainsItems(ABC):
    """Says, beyond history contributions, what in the model placed each item (retrievers, features)."""

    @abstractmethod
    def explain_items(self, items: np.ndarray, user: int | None = None, history: sp.csr_matrix | None = None,
                      top: int = 3) -> list[dict[str, Any]]:
        """Per item index, a mapping of what placed it, for a training user index or a history row."""


class ReadsOrder(ABC):
    """Reads a history as a sequence: the order of the items, not only which they are."""

    @abstractmethod
    def score_sequences(self, sequences: list[Any]) -> np.ndarray:
        """Scores of every item after each history of item indices, oldest first, shape
        (len(sequences), n_items), without refitting: for a training user's own sequence
        (`user_sequence`), the scores `recommend` ranks that user by."""

    @abstractmethod
    def user_sequence(self, user: int) -> np.ndarray:
        """The items, oldest first, that the model reads training user index ``user`` by."""


CAPABILITIES: tuple[type, ...] = (FoldsIn, SimilarItems, Attributes, ReadsText, Tunes, ExplainsItems, ReadsOrder)
"""Every capability protocol, in the order `Recommender.capabilities` lists them."""


def required_methods(capability: type) -> list[str]:
    """The methods a model must implement to declare ``capability``."""
    return sorted(name for name, value in vars(capability).items() if getattr(value, "__isabstractmethod__", False))


def factor_similarity(factors: np.ndarray, item: int) -> tuple[np.ndarray, str]:
    """Cosine of every item's factor row to ``item``'s: what factor models call similar."""
    q = np.asarray(factors, dtype=np.float64)
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    return q @ q[item], "collaborative factors"


def weight_similarity(weights: Any, item: int) -> tuple[np.ndarray, str]:
    """Row ``item`` of an item-item weight matrix (dense or sparse): what item-item models call similar."""
    row = weights[item]
    dense = row.toarray() if sp.issparse(row) else np.asarray(row)
    return np.asarray(dense, dtype=np.float64).ravel(), "item-item weights"


class FactorSimilarity(SimilarItems):
    """`SimilarItems` for a model with one factor row per item in ``item_factors_``."""

    item_factors_: np.ndarray
    symmetric_similarity = True

    def similar_items(self, item: int) -> tuple[np.ndarray, str]:
        """Cosine of every item's factors to ``item``'s."""
        return factor_similarity(self.item_factors_, item)


class EncoderText(ReadsText):
    """`ReadsText` for a model whose ``encoder`` parameter names the one encoder it reads text
    through (``None``: it reads none)."""

    encoder: Any

    def text_encoders(self) -> list[str]:
        """``[encoder]``, or nothing when the encoder is ``None``."""
        return [] if self.encoder is None else [self.encoder]
