"""TextEASE: EASE whose Gram matrix also counts how alike the items read (collective EASE with the
language model's reading of the item text as the side information)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from fuserec._core.cost import Cost, DataShape
from fuserec._core.neighbours import nearest_items
from fuserec._core.ranking import ndcg_of_scores
from fuserec._core.sampling import sample_users
from fuserec.data.dataset import Dataset
from fuserec.data.split import validation_split
from fuserec.errors import UsageError
from fuserec.models.base import VALIDATION_USERS
from fuserec.models.capabilities import EncoderText, Tunes
from fuserec.models.ease import EASE, gram
from fuserec.models.params import OneOf, Range
from fuserec.progress import progress
from fuserec.semantic.search import item_text_vectors

TEXT_DIMENSIONS = 384
"""Dimensions the cost estimate assumes for an item's text vector (MiniLM's)."""


class TextEASE(EncoderText, Tunes, EASE):
    """EASE with the items' text similarity added to its Gram matrix (collective EASE on text).

    The Gram matrix is G = XᵀX + α·m·S with S = cos(vᵢ, vⱼ)^power between the items'
    language-model text vectors and m the mean number of interactions per item (so ``alpha`` means
    the same on any dataset). Side information added to EASE's Gram matrix [2]_ is collective
    EASE [1]_; here the side information is the encoder's reading of the item text. Two items that
    read alike count as if α·m users had taken both; the odd power keeps the close pairs
    (sentence-encoder cosines sit on a high floor) and, as an elementwise power of a Gram matrix,
    keeps S positive semi-definite.

    Any of ``reg``, ``alpha``, ``power`` left as None is chosen jointly from ``regs``, ``alphas``,
    ``powers`` by mean NDCG@10 over validation splits carved from train. The text adds to the
    diagonal too, so the best ridge moves with α and the two are searched together. 0 is among the
    default α's, so where the text does not help the model falls back to plain EASE
    (``benchmarks/fusion.py`` measures it beside EASE and beside the same search on TF-IDF vectors).
    The search costs one matrix inverse per setting and split; on a catalogue over ``search_items``
    it runs on that many of the most interacted-with items, and the chosen setting is then fit once
    on the whole catalogue (``fixed()`` returns an unfitted copy with that setting).

    Parameters
    ----------
    encoder : str
        Semantic encoder of the item texts ("minilm", "e5", "tfidf", ...), read through the vector
        cache; the text vectors are computed only when some α to fit or try is above 0.
    reg : float, optional
        EASE's ridge λ, added to the diagonal of G. ``None`` (default): searched over ``regs``.
    alpha : float, optional
        Weight α of the text similarity; 0 is plain EASE. ``None`` (default): searched over ``alphas``.
    power : int, optional
        Odd elementwise power of the cosines (an even one raises ``ValueError`` at fit). ``None``
        (default): searched over ``powers``.
    regs : tuple of float
        Candidate ridges, searched when ``reg`` is None.
    alphas : tuple of float
        Candidate text weights, searched when ``alpha`` is None. With α = 0 the power does not matter,
        so that candidate is tried once per ridge.
    powers : tuple of int
        Candidate odd powers, searched when ``power`` is None.
    n_val : int
        Random validation splits the search averages over (seeds ``random_state``,
        ``random_state`` + 1, ...); a temporal search has one split.
    val_size : float
        Share of train held out in each validation split.
    temporal : bool or {"per-user"}
        ``False``: random validation splits; ``True``: the latest ``val_size`` of train's
        interactions; ``"per-user"``: each user's latest ``val_size``.
    search_items : int
        Catalogue size above which the search runs on only the ``search_items`` most
        interacted-with items (histories and validation items cut to them).
    device : str, optional
        Where the item×item inverse runs: a ``"cuda"`` device inverts in torch on the GPU, any other
        on the CPU through LAPACK's Cholesky routines. ``None`` (default):
        ``fuserec.device.default_device()``.
    dtype : {"float64", "float32"}
        Precision of the Gram matrix and its inverse; ``"float32"`` halves the memory.
    form, max_dense_items, nnz_per_item : str, int, int
        As for `EASE`: the sparse form (SANSA) is fit on XᵀX plus, for each item, the similarity
        to its ``text_neighbours`` nearest items by text (symmetrised) instead of to every item.
    text_neighbours : int
        Text neighbours per item kept in the sparse form's Gram matrix.
    random_state : int
        Seed of the first random validation split.

    Attributes
    ----------
    reg_ : float
        The ridge fit on the whole catalogue (given or chosen).
    alpha_ : float
        The text weight fit on the whole catalogue (given or chosen).
    power_ : int
        The power fit on the whole catalogue (given or chosen).
    validation_ : list of dict
        Every setting searched, with its mean validation NDCG@10 (keys ``reg``, ``power``,
        ``alpha``, ``score``); empty when there is nothing to search.
    item_weights_ : ndarray of shape (n_items, n_items) or FactoredWeights
        The item-item weights B, with a zero diagonal when dense.
    form_ : str
        The form the fit used, ``"dense"`` or ``"sparse"``.

    References
    ----------
    .. [1] Jeunen, Van Balen, Goethals, "Closed-Form Models for Collaborative Filtering with
       Side-Information", RecSys, 2020.
    .. [2] Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW, 2019.

    Examples
    --------
    >>> model = TextEASE(encoder="tfidf")
    >>> fixed = TextEASE(encoder="tfidf", reg=500.0, alpha=1.0, power=3)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "reg": Range(gt=0), "alpha": Range(ge=0), "power": Range(ge=1), "n_val": Range(ge=1),
        "val_size": Range(gt=0, lt=1), "temporal": OneOf(False, True, "per-user"), "random_state": Range(ge=0),
        "search_items": Range(ge=10), "dtype": OneOf("float64", "float32"), "form": OneOf("auto", "dense", "sparse"),
        "max_dense_items": Range(ge=1), "nnz_per_item": Range(ge=2), "text_neighbours": Range(ge=1),
    }
    dense_copies = 3  # XᵀX, the text similarity added to it, the weights

    def __init__(self, encoder: str = "minilm", reg: float | None = None, alpha: float | None = None,
                 power: int | None = None, regs: tuple[float, ...] = (300.0, 500.0, 800.0),
                 alphas: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 4.0), powers: tuple[int, ...] = (3, 5),
                 n_val: int = 3, val_size: float = 0.1, temporal: bool | str = False, search_items: int = 3000,
                 device: str | None = None, dtype: str = "float64", form: str = "auto",
                 max_dense_items: int = 15_000, nnz_per_item: int = 50, text_neighbours: int = 50,
                 random_state: int = 0) -> None:
        super().__init__(reg, device, dtype, form, max_dense_items, nnz_per_item)  # type: ignore[arg-type]
        self.text_neighbours = text_neighbours
        self.search_items = search_items
        self.encoder = encoder
        self.alpha = alpha
        self.power = power
        self.regs = regs
        self.alphas = alphas
        self.powers = powers
        self.n_val = n_val
        self.val_size = val_size
        self.temporal = temporal
        self.random_state = random_state

    def _grid(self) -> list[tuple[float, int, float]]:
        regs = self.regs if self.reg is None else (self.reg,)
        powers = self.powers if self.power is None else (self.power,)
        alphas = self.alphas if self.alpha is None else (self.alpha,)
        for p in powers:
            if p % 2 != 1:
                raise UsageError(f"TextEASE power must be odd (an even power of cosines can break positive "
                                 f"semi-definiteness), not {p}")
        # α = 0 is plain EASE whatever the power: kept once per ridge
        return [(float(r), int(p), float(a)) for r in regs for p in powers for a in alphas
                if a > 0 or p == powers[0]]

    def _cost(self, shape: DataShape) -> Cost:
        """EASE's fit, plus the search (one inverse over at most ``search_items`` items per
        setting and validation split, and its users' scores) and each item's text neighbours."""
        cost = super()._cost(shape)
        grid = self._grid()
        if len(grid) > 1:
            s, users = min(shape.items, self.search_items), min(shape.users, VALIDATION_USERS)
            splits = 1 if self.temporal else self.n_val
            cost = cost + Cost(dense=splits * len(grid) * (float(s) ** 3 + 2.0 * users * s * s))
        if any(a > 0 for _, _, a in grid) and self._form(shape.items)[0] == "sparse":
            cost = cost + Cost(dense=2.0 * TEXT_DIMENSIONS * float(shape.items) ** 2)
        return cost

    def _fit(self, train: Dataset) -> None:
        grid = self._grid()
        v = item_text_vectors(train, self.encoder).astype(np.float64) if any(a > 0 for _, _, a in grid) else None
        if len(grid) > 1:
            self.validation_ = self._search(train, grid, v)
            best = max(self.validation_, key=lambda t: t["score"])
            self.reg_, self.power_, self.alpha_ = best["reg"], best["power"], best["alpha"]
        else:
            (self.reg_, self.power_, self.alpha_), = grid
            self.validation_ = []
        self.form_ = self._choose_form(self.seen_.shape[1])
        if self.form_ == "sparse":
            self.item_weights_ = self._sparse_weights(v)
            return
        g = gram(self.seen_, self.dtype)
        if self.alpha_ > 0:
            g = self._add_text(g, self.seen_, v, self.power_, self.alpha_)  # type: ignore[arg-type]
        self.item_weights_ = self._weights(g, self.reg_)

    def _sparse_weights(self, vectors: np.ndarray | None) -> Any:
        """SANSA on XᵀX plus α·m·cos^power to each item's nearest items by text."""
        from fuserec.models import sparse_ease

        whole = self.seen_.shape[1] <= sparse_ease.EXACT_FACTOR_ITEMS or not sparse_ease.PRUNE_INCOMPLETE
        g, pruned = sparse_ease.item_gram(self.seen_, self.nnz_per_item, whole=whole)
        if self.alpha_ > 0 and vectors is not None:
            near = text_neighbours(vectors.astype(np.float32), self.text_neighbours, self.power_)
            g = g + near.maximum(near.T) * (self.alpha_ * self.seen_.nnz / max(self.seen_.shape[1], 1))
        return sparse_ease.sansa_weights(g, self.reg_, self.nnz_per_item, gramian=False, pruned=pruned)

    @staticmethod
    def _add_text(base: np.ndarray, seen, vectors: np.ndarray, power: int, alpha: float) -> np.ndarray:
        """XᵀX + α·m·cos^power, written into ``base`` (one extra items × items array at a time)."""
        v = vectors.astype(base.dtype, copy=False)
        similarity = v @ v.T
        similarity **= power
        similarity *= alpha * seen.nnz / max(seen.shape[1], 1)
        base += similarity
        return base

    def _search(self, train: Dataset, grid: list[tuple[float, int, float]], vectors: np.ndarray | None) -> list[dict]:
        """Mean validation NDCG@10 of every (reg, power, alpha), one inverse per setting and split.

        On a catalogue over ``search_items`` the search runs on that many of the most
        interacted-with items (histories and validation items cut to them), so each inverse is
        of that size; the chosen setting is then fit once on the whole catalogue. Past
        ``VALIDATION_USERS`` validation users, a seeded sample of that many is scored.
        """
        sample = np.arange(train.n_items)
        if train.n_items > self.search_items:
            sample = np.sort(np.argsort(-train.item_counts(), kind="stable")[:self.search_items])
        v = vectors[sample] if vectors is not None else None
        n_val = 1 if self.temporal else self.n_val  # time has one latest window
        splits = [validation_split(train, self.val_size, self.random_state + f, self.temporal) for f in range(n_val)]
        scores = np.zeros(len(grid))
        for inner in progress(splits, "TextEASE: validation splits", len(splits)):
            seen = inner.train.matrix("binary")[:, sample]
            truth = inner.test.matrix("binary")[:, sample]
            users = sample_users(np.flatnonzero(np.diff(truth.indptr) > 0), VALIDATION_USERS, self.random_state)
            history, relevant = seen[users], truth[users]
            base = gram(seen, self.dtype)
            for j, (reg, power, alpha) in enumerate(progress(grid, "TextEASE: settings", len(grid))):
                g = base.copy() if alpha == 0 else self._add_text(base.copy(), seen, v, power, alpha)  # type: ignore[arg-type]
                w = self._weights(g, reg)
                scores[j] += ndcg_of_scores(np.asarray(history @ w), history, relevant).mean() / n_val
        return [{"reg": r, "power": p, "alpha": a, "score": float(sc)}
                for (r, p, a), sc in zip(grid, scores, strict=True)]

    def fixed(self) -> TextEASE:
        """An unfitted copy with the settings this fit chose (no search when it is fit again)."""
        self._check_fitted()
        from sklearn.base import clone

        return clone(self).set_params(reg=self.reg_, power=self.power_, alpha=self.alpha_)


def text_neighbours(vectors: np.ndarray, k: int, power: int) -> sp.csr_matrix:
    """Each item's ``k`` most similar other items by cosine of ``vectors`` (L2-normalised), as a
    sparse item × item matrix of ``cos^power`` (negative cosines count as zero); the neighbours are
    computed once per set of vectors (``fuserec._core.neighbours``)."""
    n = len(vectors)
    indices, sims = nearest_items(vectors, k)
    k = indices.shape[1]
    values = np.maximum(sims, 0.0) ** power
    return sp.csr_matrix((values.ravel(), indices.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))
