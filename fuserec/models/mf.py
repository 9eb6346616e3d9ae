"""Matrix factorization trained by SGD: biased MF (r̂ = μ + b_u + b_i + p_u·q_i) and SVD++.

The founding document's model: a user vector and an item vector whose dot product, plus biases,
predicts the rating, learned by stochastic gradient descent. The per-rating loop is compiled
(numba, ``_kernels.py``); the same factors serve ratings and full ranking.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from fuserec._core.cost import Cost, DataShape, factor_bytes
from fuserec.data.dataset import Dataset
from fuserec.errors import UsageError
from fuserec.models._kernels import sgd_biased_mf_epoch, sgd_bpr_epoch, sgd_svdpp_epoch
from fuserec.models.base import Recommender
from fuserec.models.capabilities import FactorSimilarity
from fuserec.models.params import OneOf, Range
from fuserec.progress import progress


def _zero_untrained(model: Recommender, train: Dataset) -> None:
    """Users and items with no train interactions keep their random start: zero them, so they
    score by the biases alone (the global mean) instead of by noise."""
    model.user_factors_[train.user_counts() == 0] = 0.0
    model.item_factors_[train.item_counts() == 0] = 0.0


class BiasedMF(FactorSimilarity, Recommender):
    """Biased matrix factorization by SGD (Surprise's SVD algorithm; Koren 2009).

    Predicts r̂_ui = μ + b_u + b_i + p_u·q_i: a user vector and an item vector whose dot product,
    plus the global mean and the two biases, gives the rating, learned by stochastic gradient
    descent. ``loss="mse"`` fits ratings; ``loss="bpr"`` fits implicit feedback by Bayesian
    personalised ranking (each epoch samples as many (user, positive, negative) triples as there
    are interactions, users drawn uniformly), for top-K ranking; it has no global mean or user
    bias. Users and items without train interactions get zero factors, so they score by the
    biases alone.

    The compiled per-rating loop is the default even where there is a GPU: the GPU mini-batches
    spend their time launching small kernels (``benchmarks/gpu_check.py`` times both).

    Parameters
    ----------
    factors : int
        Length of the user and item vectors; at least 1.
    epochs : int
        Number of passes of SGD over the data; at least 1.
    lr : float
        Learning rate of the factors (and of the biases when ``lr_bias`` is ``None``); greater
        than 0.
    reg : float
        L2 regularisation of the factors (and of the biases when ``reg_bias`` is ``None``); at
        least 0.
    lr_bias : float or None
        Learning rate of the biases; ``None`` uses ``lr``. Greater than 0. With ``loss="bpr"``
        the item biases use ``lr``.
    reg_bias : float or None
        L2 regularisation of the biases; ``None`` uses ``reg``. At least 0.
    init_std : float
        Standard deviation of the normal distribution, centred on 0, that the factors start from;
        at least 0.
    lr_decay : float
        Factor multiplying the learning rates after every epoch; in (0, 1], 1 keeps them fixed.
    loss : {"mse", "bpr"}
        ``"mse"``: squared error on explicit ratings (the dataset must have ratings). ``"bpr"``:
        Bayesian personalised ranking on the binary interactions; the model is then ranking-only.
    device : str or None
        Where the MSE loss trains. ``None`` or ``"numba"``: the compiled per-rating loop on the
        CPU. Any other value (``"cuda"``, ``"cpu"``): torch on that device, mini-batches of
        ``batch_size`` ratings whose per-rating SGD steps are taken together (the same
        objective). BPR always runs the CPU loop.
    batch_size : int
        Ratings per mini-batch on the torch path; unused by the compiled loop. At least 1.
    random_state : int
        Seed of the initial factors, the order of the ratings and the BPR sampling; at least 0.
    verbose : bool
        Whether to show a progress bar over the epochs.

    Attributes
    ----------
    mu_ : float
        Global mean of the train ratings (0 with ``loss="bpr"``).
    user_bias_, item_bias_ : numpy.ndarray
        Bias per user and per item.
    user_factors_, item_factors_ : numpy.ndarray
        The user vectors p_u and the item vectors q_i, one row each.

    References
    ----------
    .. [1] Y. Koren, R. Bell and C. Volinsky, "Matrix Factorization Techniques for Recommender
       Systems", IEEE Computer, 2009.
    .. [2] S. Rendle, C. Freudenthaler, Z. Gantner and L. Schmidt-Thieme, "BPR: Bayesian
       Personalized Ranking from Implicit Feedback", UAI, 2009.

    Examples
    --------
    >>> from fuserec.models import BiasedMF
    >>> model = BiasedMF(factors=50, epochs=20)
    >>> ranker = BiasedMF(loss="bpr")
    >>> ranker.task
    'ranking'
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "factors": Range(ge=1), "epochs": Range(ge=1), "lr": Range(gt=0), "reg": Range(ge=0),
        "lr_bias": Range(gt=0), "reg_bias": Range(ge=0), "init_std": Range(ge=0), "lr_decay": Range(gt=0, le=1),
        "loss": OneOf("mse", "bpr"), "batch_size": Range(ge=1), "random_state": Range(ge=0),
    }

    def __init__(self, factors: int = 100, epochs: int = 40, lr: float = 0.007, reg: float = 0.08,
                 lr_bias: float | None = None, reg_bias: float | None = None, init_std: float = 0.1,
                 lr_decay: float = 1.0, loss: str = "mse", device: str | None = None, batch_size: int = 512,
                 random_state: int = 0, verbose: bool = True) -> None:
        self.device = device
        self.batch_size = batch_size
        self.factors = factors
        self.epochs = epochs
        self.lr = lr
        self.reg = reg
        self.lr_bias = lr_bias
        self.reg_bias = reg_bias
        self.init_std = init_std
        self.lr_decay = lr_decay
        self.loss = loss
        self.random_state = random_state
        self.verbose = verbose

    @property
    def task(self) -> str:  # type: ignore[override]
        return "ranking" if self.loss == "bpr" else "both"

    def _cost(self, shape: DataShape) -> Cost:
        """Per epoch, an update of a user's and an item's factors for every interaction."""
        return super()._cost(shape) + Cost(dense=self.epochs * 8.0 * self.factors * shape.events,
                                           resident=factor_bytes(shape, self.factors))

    def _fit(self, train: Dataset) -> None:
        if self.loss not in ("mse", "bpr"):
            raise UsageError(f"loss must be 'mse' or 'bpr', not {self.loss!r}")
        rng = np.random.default_rng(self.random_state)
        self.user_factors_ = rng.normal(0, self.init_std, (train.n_users, self.factors))
        self.item_factors_ = rng.normal(0, self.init_std, (train.n_items, self.factors))
        self.user_bias_ = np.zeros(train.n_users)
        self.item_bias_ = np.zeros(train.n_items)
        lr = self.lr
        lr_b = self.lr if self.lr_bias is None else self.lr_bias
        reg_b = self.reg if self.reg_bias is None else self.reg_bias
        if self.loss == "bpr":
            self.mu_ = 0.0
            x = self.seen_
            x.sort_indices()
            for epoch in progress(range(self.epochs), f"{type(self).__name__} (bpr)", enabled=self.verbose):
                sgd_bpr_epoch(x.indptr, x.indices, train.n_items, x.nnz, self.random_state * 1000 + epoch,
                              self.item_bias_, self.user_factors_, self.item_factors_, lr, self.reg, reg_b)
                lr *= self.lr_decay
            _zero_untrained(self, train)
            return
        if not train.has_ratings:
            raise UsageError(f"{train.name} has no ratings: use loss='bpr' for implicit feedback")
        inter = train.interactions
        users = inter["user"].to_numpy(np.int64)
        items = inter["item"].to_numpy(np.int64)
        ratings = inter["rating"].to_numpy(np.float64)
        self.mu_ = float(ratings.mean())
        if self.device not in (None, "numba"):
            self._fit_torch(users, items, ratings, self.device, lr, lr_b, reg_b)
            _zero_untrained(self, train)
            return
        for _ in progress(range(self.epochs), type(self).__name__, enabled=self.verbose):
            order = rng.permutation(len(ratings))
            sgd_biased_mf_epoch(users, items, ratings, order, self.mu_, self.user_bias_, self.item_bias_,
                                self.user_factors_, self.item_factors_, lr_b, lr, reg_b, self.reg)
            lr *= self.lr_decay
            lr_b *= self.lr_decay
        _zero_untrained(self, train)

    def _fit_torch(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, device: str, lr: float,
                   lr_b: float, reg_b: float) -> None:
        """The same objective on torch: each mini-batch takes its ratings' SGD steps at once."""
        import torch

        torch.manual_seed(self.random_state)
        t = {name: torch.tensor(getattr(self, name), device=device, dtype=torch.float32, requires_grad=True)
             for name in ("user_factors_", "item_factors_", "user_bias_", "item_bias_")}
        u = torch.as_tensor(users, device=device)
        i = torch.as_tensor(items, device=device)
        r = torch.as_tensor(ratings, device=device, dtype=torch.float32)
        opt = torch.optim.SGD([{"params": [t["user_factors_"], t["item_factors_"]], "lr": lr},
                               {"params": [t["user_bias_"], t["item_bias_"]], "lr": lr_b}])
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, self.lr_decay)
        gen = torch.Generator(device=device).manual_seed(self.random_state)
        for _ in progress(range(self.epochs), f"{type(self).__name__} ({device})", enabled=self.verbose):
            order = torch.randperm(len(r), device=device, generator=gen)
            for start in range(0, len(r), self.batch_size):
                b = order[start:start + self.batch_size]
                ub, ib = u[b], i[b]
                pu, qi = t["user_factors_"][ub], t["item_factors_"][ib]
                bu, bi = t["user_bias_"][ub], t["item_bias_"][ib]
                err = r[b] - (self.mu_ + bu + bi + (pu * qi).sum(1))
                # per-rating SGD's objective: ½err² + ½reg(|p_u|² + |q_i|²) + ½reg_b(b_u² + b_i²)
                loss = 0.5 * (err.square().sum() + self.reg * (pu.square().sum() + qi.square().sum())
                              + reg_b * (bu.square().sum() + bi.square().sum()))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            sched.step()
        for name, tensor in t.items():
            setattr(self, name, tensor.detach().cpu().numpy().astype(np.float64))

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return (self.mu_ + self.user_bias_[users, None] + self.item_bias_[None, :]
                + self.user_factors_[users] @ self.item_factors_.T)

    def _score_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        dots = np.einsum("ij,ij->i", self.user_factors_[users], self.item_factors_[items])
        return self.mu_ + self.user_bias_[users] + self.item_bias_[items] + dots


class SVDpp(FactorSimilarity, Recommender):
    """SVD++ (Koren 2008): biased MF whose user vector adds an implicit term from the items the user rated.

    Predicts r̂_ui = μ + b_u + b_i + (p_u + |N(u)|^-1/2 Σ_{j∈N(u)} y_j)·q_i, with N(u) the items the
    user rated, so the fact of rating carries signal as well as the rating. Trained by SGD over
    the users in a random order, each user's ratings in a random order; fits explicit ratings
    only. Users and items without train interactions get zero factors p_u and q_i.

    Parameters
    ----------
    factors : int
        Length of the vectors p_u, q_i and y_j; at least 1.
    epochs : int
        Number of passes of SGD over the data; at least 1.
    lr : float
        Learning rate of p_u and q_i (and of the biases and y_j when ``lr_bias`` or ``lr_y`` is
        ``None``); greater than 0.
    reg : float
        L2 regularisation of p_u and q_i (and of the biases and y_j when ``reg_bias`` or
        ``reg_y`` is ``None``); at least 0.
    lr_bias : float or None
        Learning rate of the biases; ``None`` uses ``lr``. Greater than 0.
    reg_bias : float or None
        L2 regularisation of the biases; ``None`` uses ``reg``. At least 0.
    lr_y : float or None
        Learning rate of the implicit item factors y_j; ``None`` uses ``lr``. Greater than 0.
    reg_y : float or None
        L2 regularisation of the implicit item factors y_j; ``None`` uses ``reg``. At least 0.
    init_std : float
        Standard deviation of the normal distribution, centred on 0, that all factors start from;
        at least 0.
    lr_decay : float
        Factor multiplying the learning rates after every epoch; in (0, 1], 1 keeps them fixed.
    random_state : int
        Seed of the initial factors and of the orders of users and ratings; at least 0.
    verbose : bool
        Whether to show a progress bar over the epochs.

    Attributes
    ----------
    mu_ : float
        Global mean of the train ratings.
    user_bias_, item_bias_ : numpy.ndarray
        Bias per user and per item.
    user_factors_, item_factors_ : numpy.ndarray
        The explicit user vectors p_u and the item vectors q_i.
    implicit_factors_ : numpy.ndarray
        The implicit item factors y_j.
    user_implicit_ : numpy.ndarray
        Each user's implicit term |N(u)|^-1/2 Σ_{j∈N(u)} y_j, fixed after training.

    References
    ----------
    .. [1] Y. Koren, "Factorization Meets the Neighborhood: a Multifaceted Collaborative
       Filtering Model", KDD, 2008.

    Examples
    --------
    >>> from fuserec.models import SVDpp
    >>> model = SVDpp(factors=20, epochs=20)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "factors": Range(ge=1), "epochs": Range(ge=1), "lr": Range(gt=0), "reg": Range(ge=0),
        "lr_bias": Range(gt=0), "reg_bias": Range(ge=0), "lr_y": Range(gt=0), "reg_y": Range(ge=0),
        "init_std": Range(ge=0), "lr_decay": Range(gt=0, le=1), "random_state": Range(ge=0),
    }

    def __init__(self, factors: int = 100, epochs: int = 40, lr: float = 0.007, reg: float = 0.08,
                 lr_bias: float | None = None, reg_bias: float | None = None, lr_y: float | None = None,
                 reg_y: float | None = None, init_std: float = 0.1, lr_decay: float = 1.0, random_state: int = 0,
                 verbose: bool = True) -> None:
        self.factors = factors
        self.epochs = epochs
        self.lr = lr
        self.reg = reg
        self.lr_bias = lr_bias
        self.reg_bias = reg_bias
        self.lr_y = lr_y
        self.reg_y = reg_y
        self.init_std = init_std
        self.lr_decay = lr_decay
        self.random_state = random_state
        self.verbose = verbose

    def _cost(self, shape: DataShape) -> Cost:
        """Per epoch and interaction, an update of the user's factors, the item's and those of
        every item in the user's history (the implicit term)."""
        work = self.epochs * 8.0 * self.factors * (shape.events + shape.co_occurrences)
        return super()._cost(shape) + Cost(dense=work, resident=factor_bytes(shape, self.factors))

    def _fit(self, train: Dataset) -> None:
        if not train.has_ratings:
            raise UsageError(f"{train.name} has no ratings: SVD++ fits ratings")
        rng = np.random.default_rng(self.random_state)
        x = train.matrix("rating")
        x.sort_indices()
        indptr = x.indptr.astype(np.int64)
        items = x.indices.astype(np.int64)
        ratings = x.data.astype(np.float64)
        self.mu_ = float(ratings.mean())
        k = self.factors
        self.user_factors_ = rng.normal(0, self.init_std, (train.n_users, k))
        self.item_factors_ = rng.normal(0, self.init_std, (train.n_items, k))
        self.implicit_factors_ = rng.normal(0, self.init_std, (train.n_items, k))
        self.user_bias_ = np.zeros(train.n_users)
        self.item_bias_ = np.zeros(train.n_items)
        lr, lr_b = self.lr, self.lr if self.lr_bias is None else self.lr_bias
        lr_y = self.lr if self.lr_y is None else self.lr_y
        reg_b = self.reg if self.reg_bias is None else self.reg_bias
        reg_y = self.reg if self.reg_y is None else self.reg_y
        counts = np.diff(indptr)
        for _ in progress(range(self.epochs), type(self).__name__, enabled=self.verbose):
            # a random order of users, and of each user's ratings (a permutation within each row)
            keys = rng.random(len(items)) + np.repeat(np.arange(len(counts)), counts)
            perm = (np.argsort(keys, kind="stable") - np.repeat(indptr[:-1], counts)).astype(np.int64)
            sgd_svdpp_epoch(indptr, items, ratings, rng.permutation(len(counts)).astype(np.int64), perm, self.mu_,
                            self.user_bias_, self.item_bias_, self.user_factors_, self.item_factors_,
                            self.implicit_factors_, lr_b, lr, lr_y, reg_b, self.reg, reg_y)
            lr *= self.lr_decay
            lr_b *= self.lr_decay
            lr_y *= self.lr_decay
        _zero_untrained(self, train)
        # the implicit part of each user's vector, fixed after training
        norm = 1.0 / np.sqrt(np.maximum(counts, 1))
        self.user_implicit_ = (x.astype(bool).astype(np.float64) @ self.implicit_factors_) * norm[:, None]

    def _user_vectors(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors_[users] + self.user_implicit_[users]

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return (self.mu_ + self.user_bias_[users, None] + self.item_bias_[None, :]
                + self._user_vectors(users) @ self.item_factors_.T)

    def _score_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        dots = np.einsum("ij,ij->i", self._user_vectors(users), self.item_factors_[items])
        return self.mu_ + self.user_bias_[users] + self.item_bias_[items] + dots
