"""Text-regularised matrix factorisation: item factors learned from interactions *and* pulled toward
a learned map of the item's text, trained together (CTR-style, Wang & Blei 2011, with a linear map
of language-model vectors in place of LDA topics).

Implicit-feedback ALS (Hu, Koren, Volinsky 2008) with one change on the item side: the prior mean
of item j's factors is W·x_j (x_j its text vector), not zero. Each sweep solves the users, then the
items toward their prior, then refits W by ridge regression of the items' factors on their text.
An item with many interactions follows them; an item with few leans on what its text says in the
model's own terms; an item with none gets W·x_j. Unlike `TextMappedFactors`, which maps text onto
factors learned without it, the factor space here is shaped to be predictable from text.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import Ridge
from threadpoolctl import threadpool_limits

from fuserec.data.dataset import Dataset
from fuserec.errors import UsageError
from fuserec.models.base import Recommender
from fuserec.models.capabilities import EncoderText, FactorSimilarity
from fuserec.models.params import OneOf, Range
from fuserec.progress import progress


def _solve_rows(seen: sp.csr_matrix, other: np.ndarray, alpha: float, reg: float,
                prior: np.ndarray | None = None, pull: float = 0.0) -> np.ndarray:
    """One ALS half-step: for each row r of ``seen``, the factors minimising
    Σ_c c_rc (p_rc − f·y_c)² + reg·‖f‖² + pull·‖f − prior_r‖², with c = 1 + alpha on observed cells,
    1 elsewhere. Rows with no observed cell and no prior stay zero."""
    k = other.shape[1]
    base = other.T @ other + (reg + pull) * np.eye(k)
    out = np.zeros((seen.shape[0], k))
    for r in range(seen.shape[0]):
        idx = seen.indices[seen.indptr[r]:seen.indptr[r + 1]]
        if len(idx) == 0 and prior is None:
            continue
        y = other[idx]
        b = (1.0 + alpha) * y.sum(axis=0)
        if prior is not None:
            b += pull * prior[r]
        out[r] = np.linalg.solve(base + alpha * (y.T @ y), b)
    return out


class TextRegularizedALS(FactorSimilarity, EncoderText, Recommender):
    """Implicit ALS whose item factors are pulled toward a ridge map of their text vectors.

    Implicit-feedback ALS [2]_ in which the prior mean of item j's factors is W·x_j (x_j its text
    vector), not zero: collaborative topic regression [1]_ with a linear map of language-model
    vectors in place of LDA topics. Each sweep solves the users, then the items toward their prior,
    then refits W by ridge regression of the warm items' factors on their text. An item with many
    interactions follows them, an item with few leans on what its text says in the model's own
    terms, and an item with none gets W·x_j. Unlike `TextMappedFactors`, which maps text onto
    factors learned without it, the factor space here is shaped to be predictable from text.

    The product u·v is unchanged when users' factors grow and items' shrink, and a strong pull makes
    the model do just that (items' factors and W·x shrink together), so the pull's real strength
    grows far slower than ``text_weight``: the relative distance of warm items' factors from W·x
    falls only slowly as the weight grows by orders of magnitude.

    Parameters
    ----------
    encoder : str
        Semantic encoder of the item texts ("minilm", "e5", "tfidf", ...), read through the vector
        cache.
    factors : int
        Latent dimensions of the user and item factors.
    regularization : float
        Ridge on the user and the item factors in each half-step, as in `ALS`.
    alpha : float
        Confidence of an observed cell, 1 + ``alpha``; every other cell has confidence 1.
    text_weight : float
        Strength of the pull of item j's factors toward W·x_j, on the same scale as the confidence.
        0: no pull (W is still fit, so cold items still get W·x_j).
    map_alpha : float
        Ridge strength of the text map W.
    iterations : int
        ALS sweeps (users, items, then W).
    random_state : int
        Seed of the random initial item factors.
    verbose : bool
        Show a progress bar over the sweeps.

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users, factors)
        User factors.
    item_factors_ : ndarray of shape (n_items, factors)
        Item factors; a cold item's are W·x_j.
    map_ : sklearn.linear_model.Ridge
        The text map W, as fit in the last sweep.
    cold_items_ : int
        Items with no training interactions.

    References
    ----------
    .. [1] Wang, Blei, "Collaborative Topic Modeling for Recommending Scientific Articles", KDD, 2011.
    .. [2] Hu, Koren, Volinsky, "Collaborative Filtering for Implicit Feedback Datasets", ICDM, 2008.

    Examples
    --------
    >>> model = TextRegularizedALS(encoder="tfidf", factors=32, text_weight=100.0)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "factors": Range(ge=1), "regularization": Range(ge=0), "alpha": Range(gt=0), "text_weight": Range(ge=0),
        "map_alpha": Range(gt=0), "iterations": Range(ge=1), "random_state": Range(ge=0),
    }

    task = "ranking"

    def __init__(self, encoder: str = "minilm", factors: int = 64, regularization: float = 0.05,
                 alpha: float = 2.0, text_weight: float = 10.0, map_alpha: float = 10.0, iterations: int = 15,
                 random_state: int = 0, verbose: bool = False) -> None:
        self.encoder = encoder
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.text_weight = text_weight
        self.map_alpha = map_alpha
        self.iterations = iterations
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, train: Dataset) -> None:
        from fuserec.semantic import SemanticIndex

        for name in ("factors", "iterations"):
            if int(getattr(self, name)) < 1:
                raise UsageError(f"TextRegularizedALS: {name} must be at least 1, got {getattr(self, name)!r}")
        for name in ("regularization", "alpha", "text_weight", "map_alpha"):
            if not float(getattr(self, name)) >= 0:
                raise UsageError(f"TextRegularizedALS: {name} must be ≥ 0, got {getattr(self, name)!r}")
        text = SemanticIndex(train, self.encoder, show_progress=False).vectors.astype(np.float64)
        users = sp.csr_matrix(self.seen_, dtype=np.float64)
        items = users.T.tocsr()
        warm = np.diff(items.indptr) > 0
        if not warm.any():
            raise UsageError(f"TextRegularizedALS: the training set {train.name!r} has no interactions")
        rng = np.random.default_rng(self.random_state)
        item_f = rng.normal(0.0, 0.01, (train.n_items, self.factors))
        prior = np.zeros_like(item_f)
        self.map_ = Ridge(alpha=self.map_alpha)
        text_warm = text[warm]  # the map learns from items with interactions only
        with threadpool_limits(1, "blas"):  # k × k solves one at a time: threads only add overhead
            for _ in progress(range(self.iterations), "text-regularised ALS", enabled=self.verbose):
                user_f = _solve_rows(users, item_f, self.alpha, self.regularization)
                item_f = _solve_rows(items, user_f, self.alpha, self.regularization, prior, self.text_weight)
                prior = self.map_.fit(text_warm, item_f[warm]).predict(text)
        item_f[~warm] = prior[~warm]  # no interaction: what the text says, in the model's terms
        self.user_factors_, self.item_factors_ = user_f.astype(np.float32), item_f.astype(np.float32)
        self.cold_items_ = int((~warm).sum())

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors_[users] @ self.item_factors_.T
