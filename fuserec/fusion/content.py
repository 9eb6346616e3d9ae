"""Content-only recommender: a user's semantic vector against item text vectors.

The user vector is the rating-centred (and, with timestamps, recency-weighted) sum of the text
vectors of the items they interacted with (``semantic.profiles.user_vectors``); an item's score
is the cosine to its text vector. It needs no interactions on the item side, so it ranks new
items, but raw text similarity is a weak recommender on its own (see the cold-item benchmark):
it is a baseline, a retriever and a feature for the fused models.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from fuserec._core.neighbours import nearest_items
from fuserec.data.dataset import Dataset
from fuserec.models.attribution import Attribution, profile_attribution
from fuserec.models.base import Recommender
from fuserec.models.capabilities import Attributes, EncoderText, FoldsIn
from fuserec.models.params import OneOf, Range
from fuserec.models.popularity import recent_counts
from fuserec.semantic.search import item_text_vectors


class SemanticProfile(FoldsIn, Attributes, EncoderText, Recommender):
    """Score = cos(user semantic vector, item text vector); ``encoder``: "minilm", "e5", "tfidf", ...

    A content-only ranker. A user's semantic vector is the unit-normalised sum of the text vectors of
    the items they interacted with, each weighted by its rating minus the user's mean rating when the
    data has ratings (``fuserec.semantic.profiles.user_vectors``); an item's score is the cosine of
    that vector to the item's own text vector. Nothing on the item side needs interactions, so items
    nobody has rated yet are ranked too: it is a baseline, a retriever and a feature for the fused
    models.

    Parameters
    ----------
    encoder : str
        Semantic encoder of the item texts ("minilm", "e5", "tfidf", ...; see ``fuserec.semantic``),
        read through the vector cache.
    half_life_days : float, optional
        Recency weighting of the user's items on data with timestamps: an item counts
        2^(−age / ``half_life_days``), its age counted back from the user's latest interaction.
        ``None`` (default): all of a user's items count the same.

    Attributes
    ----------
    item_vectors_ : ndarray of shape (n_items, dim)
        Unit text vector of every item of the catalogue.
    user_vectors_ : ndarray of shape (n_users, dim)
        Semantic vector of every user.

    Examples
    --------
    >>> model = SemanticProfile(encoder="tfidf", half_life_days=365)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "half_life_days": Range(gt=0),
    }

    task = "ranking"

    #: The fit weighs each item by the user's centred rating and its age; a history row carries neither.
    fold_in_reproduces_fit = False

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

    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        """The profile of each row: its items' text vectors summed by the row's positive weights."""
        weights = histories.maximum(0)
        profiles = np.asarray(weights @ self.item_vectors_, dtype=np.float64)
        profiles /= np.maximum(np.linalg.norm(profiles, axis=1, keepdims=True), 1e-12)
        return (profiles @ self.item_vectors_.T).astype(np.float32)

    def attribute(self, row: sp.csr_matrix, items: np.ndarray) -> Attribution:
        """The profile's cosine, split over the history's items."""
        return profile_attribution(self.item_vectors_, row, items)


NEAR = 50
"""Nearest items read for the text-trend neighbours before a full search of the warm items."""


def text_trend(vectors: np.ndarray, count: np.ndarray, recent: np.ndarray,
               k: int = 10, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Per item, from text alone: cosine to what is hot now (the recent-popularity-weighted mean
    text vector), and the mean log recent popularity of its ``k`` nearest warm text neighbours.
    Both exist for items nobody has rated yet: a new release that reads like the current hits.

    The neighbours come from each item's ``NEAR`` nearest items (computed once per set of
    vectors); an item with fewer than ``k`` warm ones among them is searched among all warm items."""
    weight = recent if recent.sum() > 0 else count
    trend = weight @ vectors
    trend /= max(float(np.linalg.norm(trend)), 1e-12)
    trend_sim = (vectors @ trend).astype(np.float32)
    warm = np.flatnonzero(count > 0)
    neighbour = np.zeros(len(vectors), dtype=np.float32)
    if len(warm) <= k:
        return trend_sim, neighbour
    logrecent = np.log1p(recent).astype(np.float64)
    near, _ = nearest_items(vectors, max(NEAR, k))
    is_warm = (count > 0)[near]
    enough = is_warm.sum(axis=1) >= k
    # the first k warm among each row's nearest (best first): a cumulative count picks them
    first = is_warm & (np.cumsum(is_warm, axis=1) <= k)
    neighbour[enough] = (np.where(first, logrecent[near], 0.0).sum(axis=1) / k)[enough]
    rest = np.flatnonzero(~enough)
    column = np.full(len(vectors), -1)  # an item's column among the warm items, -1 if cold
    column[warm] = np.arange(len(warm))
    for start in range(0, len(rest), block):
        rows = rest[start:start + block]
        sims = vectors[rows] @ vectors[warm].T
        own = column[rows]
        sims[np.flatnonzero(own >= 0), own[own >= 0]] = -np.inf  # an item is not its own neighbour
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        neighbour[rows] = logrecent[warm][top].mean(axis=1)
    return trend_sim, neighbour


class TextTrend(EncoderText, Recommender):
    """Text-trend popularity: what the text says will be hot, the same ranking for every user.

    An item's score is the mean log recent popularity, log(1 + recent interactions), of its ``k``
    nearest warm text neighbours (by cosine of the text vectors; an item is never its own neighbour).
    Popularity cannot rank an item nobody has rated; this can, so it brings new releases that read
    like the current hits into a re-ranker's candidate pool (and is a cold-start baseline).

    Parameters
    ----------
    encoder : str
        Semantic encoder of the item texts ("minilm", "e5", "tfidf", ...), read through the vector
        cache.
    k : int
        Nearest warm text neighbours (items with training interactions) averaged for each item. With
        no more than ``k`` warm items every score is zero.
    recent_share : float
        The latest share of train's interactions, by timestamp, that counts as recent; on data without
        timestamps all of train counts.

    Attributes
    ----------
    item_scores_ : ndarray of shape (n_items,)
        The score of every item, the same for every user.

    Examples
    --------
    >>> model = TextTrend(encoder="tfidf", k=20)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "k": Range(ge=1), "recent_share": Range(gt=0, le=1),
    }

    task = "ranking"

    def __init__(self, encoder: str = "minilm", k: int = 10, recent_share: float = 0.1) -> None:
        self.encoder = encoder
        self.k = k
        self.recent_share = recent_share

    def _fit(self, train: Dataset) -> None:
        vectors = item_text_vectors(train, self.encoder)
        count = train.item_counts().astype(np.float32)
        _, self.item_scores_ = text_trend(vectors, count, recent_counts(train, self.recent_share), self.k)

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.item_scores_, (len(users), len(self.item_scores_))).copy()
