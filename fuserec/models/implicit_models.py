"""ALS, BPR and item kNN (cosine, BM25) from the ``implicit`` library, on our interface.

We wrap rather than rewrite: implicit's kernels are the field's reference. Its BLAS must run on
one thread or it slows down and warns, so every call into it holds ``threadpool_limits(1)``.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from fuserec._core.cost import Cost, DataShape, factor_bytes, history_bytes, item_pairs_cost
from fuserec._core.rows import take_rows
from fuserec.data.dataset import Dataset
from fuserec.errors import UsageError
from fuserec.models.attribution import Attribution, factor_solve_attribution
from fuserec.models.base import Recommender
from fuserec.models.capabilities import Attributes, FactorSimilarity, FoldsIn
from fuserec.models.item_item import ItemItemWeights
from fuserec.models.params import OneOf, Range


@contextmanager
def _quiet_single_thread():
    """One BLAS thread (implicit's advice) and none of its conversion warnings."""
    with threadpool_limits(1, "blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _gpu(use_gpu: bool | None) -> bool:
    import implicit.gpu

    return implicit.gpu.HAS_CUDA if use_gpu is None else use_gpu


def solve_user_factors(item_factors: np.ndarray, histories: sp.csr_matrix, regularization: float,
                       alpha: float) -> np.ndarray:
    """Each history row's user factors with the items' factors held, as one ALS half-step solves
    them: (YᵀY + α·Y_uᵀY_u + λI) x = (1 + α)·Σ_{i∈u} y_i. An empty row gets zeros."""
    y = item_factors
    gram = y.T @ y + regularization * np.eye(y.shape[1])
    users = np.zeros((histories.shape[0], y.shape[1]))
    for row in range(histories.shape[0]):
        items = histories.indices[histories.indptr[row]:histories.indptr[row + 1]]
        if len(items):
            yu = y[items]
            users[row] = np.linalg.solve(gram + alpha * yu.T @ yu, (1 + alpha) * yu.sum(axis=0))
    return users


CG_STEPS = 3
"""implicit's conjugate-gradient steps per ALS solve (its default)."""


class _FactorWrapper(FactorSimilarity, Recommender):
    task = "ranking"

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors_[users] @ self.item_factors_.T

    def recommend_indices(self, users: np.ndarray, k: int = 10, exclude_seen: bool = True,
                          exclude: sp.csr_matrix | None = None,
                          candidates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` per user, best first; from ``FAISS_TOPK_ITEMS`` items (with faiss installed)
        through faiss's exact inner-product search (`fuserec._core.factor_topk`), which ranks the
        same products without writing every user × item score."""
        from fuserec._core.extras import installed
        from fuserec._core.factor_topk import FAISS_TOPK_ITEMS, factor_topk

        generic = super().recommend_indices
        self._check_fitted()
        if exclude is not None or candidates is not None or len(self.item_factors_) < FAISS_TOPK_ITEMS \
                or not installed("faiss"):
            return generic(users, k, exclude_seen, exclude, candidates)
        users = np.asarray(users, dtype=np.int64)
        seen = take_rows(self.seen_, users) if exclude_seen else sp.csr_matrix((len(users), len(self.item_factors_)))
        return factor_topk(self.user_factors_[users], self.item_factors_, seen, k,
                           lambda rows: generic(users[rows], k, exclude_seen))

    def _fit_implicit(self, cls, **params) -> None:
        """Fit implicit's ``cls`` (on the GPU when implicit was built with CUDA) and keep its factors."""
        with _quiet_single_thread():
            model = cls(random_state=self.random_state, use_gpu=_gpu(self.use_gpu), **params)
            model.fit(sp.csr_matrix(self.seen_, dtype=np.float32), show_progress=self.verbose)
        if hasattr(model, "to_cpu"):
            model = model.to_cpu()
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)


class ALS(FoldsIn, Attributes, _FactorWrapper):
    """Implicit-feedback ALS (Hu, Koren, Volinsky 2008), confidence 1 + α·x (implicit's ALS).

    Weighted matrix factorization of the binary user × item matrix x: every user-item pair is a
    target (1 where the user interacted, 0 elsewhere) weighted by the confidence 1 + α·x, and the
    user and item factors are solved in turn by alternating least squares. Wraps the ``implicit``
    library's ``AlternatingLeastSquares``, on the GPU when implicit has CUDA support. A user's
    score for an item is the dot product of their factors; ranking only.

    Parameters
    ----------
    factors : int
        Number of latent factors per user and item; at least 1.
    regularization : float
        L2 regularisation of the factors; at least 0.
    alpha : float
        Confidence weight α of an observed interaction (confidence 1 + α); greater than 0.
    iterations : int
        Number of ALS sweeps (users, then items); at least 1.
    random_state : int
        Seed of the initial factors; at least 0.
    use_gpu : bool or None
        Whether implicit fits on the GPU; ``None`` uses it when implicit has CUDA support.
    verbose : bool
        Whether implicit shows its progress bar.

    Attributes
    ----------
    user_factors_, item_factors_ : numpy.ndarray
        The learned user and item factors (float32), one row each.

    References
    ----------
    .. [1] Y. Hu, Y. Koren and C. Volinsky, "Collaborative Filtering for Implicit Feedback
       Datasets", ICDM, 2008.

    Examples
    --------
    >>> from fuserec.models import ALS
    >>> model = ALS(factors=128, iterations=20, use_gpu=False)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "factors": Range(ge=1), "regularization": Range(ge=0), "alpha": Range(gt=0), "iterations": Range(ge=1),
        "random_state": Range(ge=0),
    }

    def __init__(self, factors: int = 64, regularization: float = 0.05, alpha: float = 2.0, iterations: int = 15,
                 random_state: int = 0, use_gpu: bool | None = None, verbose: bool = False) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state
        self.use_gpu = use_gpu
        self.verbose = verbose

    def _cost(self, shape: DataShape) -> Cost:
        """Per iteration and side, three conjugate-gradient steps over every interaction and
        every row's k × k system."""
        work = self.iterations * 2 * CG_STEPS * (4 * self.factors * shape.events
                                                 + 2 * self.factors ** 2 * (shape.users + shape.items))
        return Cost(dense=work, resident=history_bytes(shape) + factor_bytes(shape, self.factors),
                    transient=2 * history_bytes(shape))

    def _fit(self, train: Dataset) -> None:
        from implicit.als import AlternatingLeastSquares

        self._fit_implicit(AlternatingLeastSquares, factors=self.factors, regularization=self.regularization,
                           alpha=self.alpha, iterations=self.iterations)

    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        y = self.item_factors_.astype(np.float64)
        return (solve_user_factors(y, histories, self.regularization, self.alpha) @ y.T).astype(np.float32)

    def attribute(self, row: sp.csr_matrix, items: np.ndarray) -> Attribution:
        """The fold-in's solve, split over the history's items."""
        return factor_solve_attribution(self.item_factors_, self.regularization, self.alpha, row, items)


class BPR(_FactorWrapper):
    """Bayesian personalised ranking (Rendle et al. 2009), implicit's multithreaded SGD.

    Learns user and item factors from implicit feedback so that, for each user, the items they
    interacted with score above sampled items they did not: SGD on the log-sigmoid of the score
    difference of (user, positive, negative) triples. Wraps the ``implicit`` library's
    ``BayesianPersonalizedRanking``, on the GPU when implicit has CUDA support. A user's score
    for an item is the dot product of their factors; ranking only.

    Parameters
    ----------
    factors : int
        Number of latent factors per user and item; at least 1.
    learning_rate : float
        SGD learning rate; greater than 0.
    regularization : float
        L2 regularisation of the factors; at least 0.
    iterations : int
        Number of SGD epochs over the interactions; at least 1.
    random_state : int
        Seed of the initial factors and of the sampling; at least 0.
    use_gpu : bool or None
        Whether implicit fits on the GPU; ``None`` uses it when implicit has CUDA support.
    verbose : bool
        Whether implicit shows its progress bar.
    num_threads : int
        CPU threads of the SGD; ``0`` uses every core. Threads update the factors without locks
        (Hogwild), so only ``1`` makes two fits under one seed identical (`deterministic`).

    Attributes
    ----------
    user_factors_, item_factors_ : numpy.ndarray
        The learned user and item factors (float32), one row each.

    References
    ----------
    .. [1] S. Rendle, C. Freudenthaler, Z. Gantner and L. Schmidt-Thieme, "BPR: Bayesian
       Personalized Ranking from Implicit Feedback", UAI, 2009.

    Examples
    --------
    >>> from fuserec.models import BPR
    >>> model = BPR(factors=128, iterations=200, use_gpu=False)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "factors": Range(ge=1), "learning_rate": Range(gt=0), "regularization": Range(ge=0),
        "iterations": Range(ge=1), "random_state": Range(ge=0), "num_threads": Range(ge=0),
    }

    def __init__(self, factors: int = 64, learning_rate: float = 0.05, regularization: float = 0.01,
                 iterations: int = 100, random_state: int = 0, use_gpu: bool | None = None,
                 verbose: bool = False, num_threads: int = 0) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.random_state = random_state
        self.use_gpu = use_gpu
        self.verbose = verbose
        self.num_threads = num_threads

    @property
    def deterministic(self) -> bool:
        """One thread only: several threads race on the factors."""
        return self.num_threads == 1

    def _cost(self, shape: DataShape) -> Cost:
        """Per iteration, one sampled update of a user and two items for every interaction."""
        return Cost(dense=self.iterations * 12 * self.factors * shape.events,
                    resident=history_bytes(shape) + factor_bytes(shape, self.factors),
                    transient=2 * history_bytes(shape))

    def _fit(self, train: Dataset) -> None:
        from implicit.bpr import BayesianPersonalizedRanking

        self._fit_implicit(BayesianPersonalizedRanking, factors=self.factors, learning_rate=self.learning_rate,
                           regularization=self.regularization, iterations=self.iterations,
                           num_threads=self.num_threads)


class ItemKNN(ItemItemWeights, Recommender):
    """Item kNN: score = Σ over the user's items of similarity; ``similarity`` 'cosine' or 'bm25'.

    An item-item similarity matrix is computed on the binary user × item matrix with the
    ``implicit`` library (``CosineRecommender`` or ``BM25Recommender``), keeping each item's
    ``k`` most similar items; a user's score for an item is the sum of its similarities to the
    items the user interacted with. Ranking only.

    Parameters
    ----------
    k : int
        Number of most similar items kept per item (implicit's ``K``); at least 1.
    similarity : {"cosine", "bm25"}
        ``"cosine"``: cosine similarity of the items' user columns. ``"bm25"``: dot products
        after BM25 weighting of each item's users, which down-weights heavy users (their IDF)
        and normalises by the item's number of users.
    k1 : float
        BM25's saturation parameter ``K1``; on this binary matrix it sets how strongly the
        length normalisation acts. At least 0. Used only with ``"bm25"``.
    b : float
        BM25's length normalisation ``B`` by the item's number of users, in [0, 1]: 0 none,
        1 full. Used only with ``"bm25"``.

    Attributes
    ----------
    item_weights_ : scipy.sparse.csr_matrix
        The item × item similarities kept (float32).

    Examples
    --------
    >>> from fuserec.models import ItemKNN
    >>> model = ItemKNN(k=50, similarity="bm25")
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "k": Range(ge=1), "similarity": OneOf("cosine", "bm25"), "k1": Range(ge=0), "b": Range(ge=0, le=1),
    }

    task = "ranking"

    def __init__(self, k: int = 100, similarity: str = "cosine", k1: float = 1.2, b: float = 0.75) -> None:
        self.k = k
        self.similarity = similarity
        self.k1 = k1
        self.b = b

    def _cost(self, shape: DataShape) -> Cost:
        return item_pairs_cost(shape, self.k)

    def _fit(self, train: Dataset) -> None:
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

        if self.similarity == "cosine":
            model = CosineRecommender(K=self.k)
        elif self.similarity == "bm25":
            model = BM25Recommender(K=self.k, K1=self.k1, B=self.b)
        else:
            raise UsageError(f"similarity must be 'cosine' or 'bm25', not {self.similarity!r}")
        with _quiet_single_thread():
            model.fit(sp.csr_matrix(self.seen_, dtype=np.float32), show_progress=False)
        self.item_weights_ = sp.csr_matrix(model.similarity, dtype=np.float32)

