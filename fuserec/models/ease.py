"""EASE (Steck 2019): a closed-form item–item model, B = I − P / diag(P) with P = (XᵀX + λI)⁻¹.

``TextEASE``, the same with the items' text similarity added to XᵀX, is in ``fuserec.fusion.text_ease``."""

from __future__ import annotations

import logging
from typing import ClassVar

import numpy as np

from fuserec._core import memory
from fuserec._core.cost import Cost, DataShape, history_bytes
from fuserec.data.dataset import Dataset
from fuserec.device import default_device
from fuserec.models.base import Recommender
from fuserec.models.item_item import ItemItemWeights
from fuserec.models.params import OneOf, Range

log = logging.getLogger("fuserec.models")


def gram(seen, dtype: str = "float64") -> np.ndarray:
    """XᵀX of a binary user × item matrix, dense (float64 unless ``dtype`` says otherwise; the
    counts are whole numbers, exact in either)."""
    x = seen.astype(dtype)
    return (x.T @ x).toarray()


def spd_inverse(a: np.ndarray, block: int = 2048) -> np.ndarray:
    """Inverse of a symmetric positive definite float64 or float32 matrix, computed in ``a``'s own
    memory (LAPACK ``potrf`` + ``potri``; the triangle it leaves is mirrored block by block). Falls
    back to a general inverse when ``a`` is not positive definite."""
    from scipy.linalg import lapack

    if a.dtype not in (np.float64, np.float32):
        a = a.astype(np.float64)
    if not a.flags.f_contiguous:  # a symmetric C-ordered array is its own transpose in Fortran order
        a = a.T if a.flags.c_contiguous else np.asfortranarray(a)
    potrf, potri = (lapack.spotrf, lapack.spotri) if a.dtype == np.float32 else (lapack.dpotrf, lapack.dpotri)
    c, info = potrf(a, lower=True, overwrite_a=True, clean=False)
    if info != 0:
        return np.linalg.inv(a)
    p, info = potri(c, lower=True, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"potri failed ({info})")
    n = p.shape[0]
    for start in range(0, n, block):  # the lower triangle is the answer: copy it to the upper
        stop = min(start + block, n)
        p[:start, start:stop] = p[start:stop, :start].T
        tile = p[start:stop, start:stop]
        upper = np.triu_indices(stop - start, 1)
        tile[upper] = tile.T[upper]
    return p


class EASE(ItemItemWeights, Recommender):
    """Embarrassingly shallow autoencoder for implicit feedback (top-K ranking).

    A closed-form item-item model: the weights B = I − P / diag(P), with P = (XᵀX + λI)⁻¹ and a
    zero diagonal, are the ridge regression of each item's column of the binary user × item
    matrix X on the other items' columns. A user's scores are their history times B.

    The item×item inverse runs in torch on the GPU when there is one (``device``), else LAPACK's
    Cholesky routines in place, over the items that have interactions (the others' weights are
    zero). Memory is n_items² floats and time n_items³: ``dtype="float32"`` halves the memory and
    about halves the time of the inverse, at single precision. Past ``max_dense_items`` items, or
    when the dense form's estimated peak exceeds the memory budget (``fuserec._core.memory``),
    ``form="auto"`` fits the sparse approximate inverse instead (SANSA,
    ``fuserec.models.sparse_ease``) and logs why; its memory and time follow the non-zeros of XᵀX.

    Parameters
    ----------
    reg : float
        The ridge strength λ added to the diagonal of XᵀX; greater than 0. Larger values shrink
        the item-item weights more.
    device : str or None
        Where the inverse runs: a value starting with ``"cuda"`` inverts with torch on that GPU,
        anything else on the CPU with LAPACK. ``None`` uses ``fuserec.device.default_device()``
        (``$FUSEREC_DEVICE``, else ``"cuda"`` when torch sees a GPU, else ``"cpu"``).
    dtype : {"float64", "float32"}
        Precision of XᵀX and of its inverse. The weights are kept as float32 either way.
    form : {"auto", "dense", "sparse"}
        ``"dense"``: the exact inverse, or a ``MemoryBudgetError`` before any allocation when its
        estimated peak exceeds the budget. ``"sparse"``: the sparse approximation. ``"auto"``:
        dense up to ``max_dense_items`` items when it fits the budget, sparse otherwise.
    max_dense_items : int
        The largest number of interacted-with items ``form="auto"`` inverts densely.
    nnz_per_item : int
        Non-zeros kept per item in each of the sparse form's two factors.

    Attributes
    ----------
    item_weights_ : numpy.ndarray or FactoredWeights
        The item × item weights B (float32): dense, zero for items without interactions, or the
        sparse form's two factors.
    form_ : str
        The form the fit used, ``"dense"`` or ``"sparse"``.

    References
    ----------
    .. [1] H. Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", The Web Conference
       (WWW), 2019.

    Examples
    --------
    >>> from fuserec.models import EASE
    >>> model = EASE(reg=500.0, device="cpu", dtype="float32")
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "reg": Range(gt=0), "dtype": OneOf("float64", "float32"), "form": OneOf("auto", "dense", "sparse"),
        "max_dense_items": Range(ge=1), "nnz_per_item": Range(ge=2),
    }

    task = "ranking"
    #: Dense arrays of n_items² alive at the peak of a dense fit: XᵀX, inverted in place, and the
    #: float32 weights (a copy when the inverse is float64, the scatter into all items otherwise)
    dense_copies = 2

    def __init__(self, reg: float = 300.0, device: str | None = None, dtype: str = "float64", form: str = "auto",
                 max_dense_items: int = 15_000, nnz_per_item: int = 50) -> None:
        self.reg = reg
        self.device = device
        self.dtype = dtype
        self.form = form
        self.max_dense_items = max_dense_items
        self.nnz_per_item = nnz_per_item

    def required_modules(self) -> list[str]:
        """As for any model, plus SANSA when the sparse form is asked for (``form="auto"`` checks
        at fit time, when it knows the catalogue)."""
        return super().required_modules() + (["sansa", "sksparse"] if self.form == "sparse" else [])

    def dense_bytes(self, n_items: int) -> int:
        """Estimated peak bytes of the dense fit over ``n_items`` items."""
        return self.dense_copies * n_items * n_items * np.dtype(self.dtype).itemsize

    def _choose_form(self, n_warm: int) -> str:
        """``"dense"`` or ``"sparse"`` for ``n_warm`` interacted-with items, checked against the
        memory budget before anything is allocated."""
        form, why = self._form(n_warm)
        if why:
            log.warning("%s: %s items, %s: fitting the sparse approximation (nnz_per_item=%d)", type(self).__name__,
                        f"{n_warm:,}", why, self.nnz_per_item)
        return form

    def _form(self, n_warm: int) -> tuple[str, str]:
        """The form for ``n_warm`` items, and why it is sparse when ``form="auto"`` chose that."""
        name, estimate = type(self).__name__, self.dense_bytes(n_warm)
        if self.form == "sparse":
            return "sparse", ""
        if self.form == "dense":
            memory.require(estimate, f"{name} dense weights for {n_warm:,} items",
                           "use form='sparse' (or 'auto') or raise the limit")
            return "dense", ""
        if n_warm <= self.max_dense_items and memory.fits(estimate):
            return "dense", ""
        return "sparse", (f"over max_dense_items={self.max_dense_items:,}" if n_warm > self.max_dense_items else
                          f"its dense form needs about {memory.format_bytes(estimate)}, over the "
                          f"{memory.format_bytes(memory.memory_budget())} budget ({memory.budget_source()})")

    def _cost(self, shape: DataShape) -> Cost:
        """Dense: XᵀX and one inverse of it. Sparse: XᵀX (pruned past the budget) and an
        incomplete factorisation whose work follows the kept entries per item."""
        n = shape.items
        form, why = self._form(n)
        if form == "dense":
            return Cost(dense=float(n) ** 3, sparse=shape.co_occurrences, resident=history_bytes(shape) + 4 * n * n,
                        transient=self.dense_bytes(n), notes=(f"{type(self).__name__}: dense, {n:,} items",))
        from fuserec.models.sparse_ease import sparse_cost

        return sparse_cost(shape, self.nnz_per_item, f"{type(self).__name__}: sparse" + (f" ({why})" if why else ""))

    def _fit(self, train: Dataset) -> None:
        # an item nobody interacted with has a zero row and column in XᵀX, so its block of the
        # inverse is 1/reg and its weights are exactly zero: invert over the warm items only
        warm = np.flatnonzero(np.diff(self.seen_.tocsc().indptr) > 0)
        self.form_ = self._choose_form(len(warm))
        if self.form_ == "sparse":
            from fuserec.models.sparse_ease import sansa_weights

            self.item_weights_ = sansa_weights(self.seen_, self.reg, self.nnz_per_item)
            return
        if len(warm) == self.seen_.shape[1]:
            self.item_weights_ = self._weights(gram(self.seen_, self.dtype), self.reg)
            return
        weights = np.zeros((self.seen_.shape[1],) * 2, dtype=np.float32)
        weights[np.ix_(warm, warm)] = self._weights(gram(self.seen_[:, warm], self.dtype), self.reg)
        self.item_weights_ = weights

    def _weights(self, gram: np.ndarray, reg: float) -> np.ndarray:
        """B = I − P / diag(P), P = (gram + reg·I)⁻¹, with a zero diagonal. ``gram`` is
        overwritten (at n_items² floats, a copy would double the memory): on the CPU it is
        inverted in place through its Cholesky factor, half the work of a general inverse."""
        gram[np.diag_indices_from(gram)] += reg
        device = self.device or default_device()
        if device.startswith("cuda"):
            import torch

            p = torch.linalg.inv(torch.as_tensor(gram, device=device)).cpu().numpy()
        else:
            p = spd_inverse(gram)
        if not p.flags.c_contiguous:  # P is symmetric, so its transpose is the same matrix in C order:
            p = p.T                   # rows contiguous, as a sparse history @ B reads them
        p /= -np.diag(p).copy()[None, :]
        np.fill_diagonal(p, 0.0)
        return p.astype(np.float32, copy=False)

