"""Content-only recommender: a user's semantic vector against item text vectors.

The user vector is the rating-centred (and, with timestamps, recency-weighted) sum of the text
vectors of the items they interacted with (``semantic.profiles.user_vectors``); an item's score
is the cosine to its text vector. It needs no interactions on the item side, so it ranks new
items, but raw text similarity is a weak recommender on its own (see the cold-item benchmark):
it is a baseline, a retriever and a feature for the fused models.
"""

from __future__ import annotations

import numpy as np

from fuserec.data.dataset import Dataset
from fuserec.models.base import Recommender


def item_text_vectors(train: Dataset, encoder: str = "minilm") -> np.ndarray:
    """Unit text vectors of every item of ``train``'s catalogue (cached; TF-IDF fit on the catalogue)."""
    from fuserec.semantic import SemanticIndex

    return np.asarray(SemanticIndex(train, encoder, show_progress=False).vectors, dtype=np.float32)


class SemanticProfile(Recommender):
    """Score = cos(user semantic vector, item text vector); ``encoder``: "minilm", "e5", "tfidf", ...

    ``half_life_days``: recency weighting of the user's items (``None``: all count the same).
    """

    task = "ranking"

    def __init__(self, encoder: str = "minilm", half_life_days: float | None = None) -> None:
        self.encoder = encoder
        self.half_life_days = half_life_days

    def _fit(self, train: Dataset) -> None:
        from fuserec.semantic.profiles import user_vectors

        self.item_vectors_ = item_text_vectors(train, self.encoder)
        self.user_vectors_ = user_vectors(train, self.item_vectors_, half_life_days=self.half_life_days)
        self.user_vectors_ = self.user_vectors_.astype(np.float32)

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return self.user_vectors_[users] @ self.item_vectors_.T
