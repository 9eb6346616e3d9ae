"""EASE's weights as a sparse approximate inverse (SANSA), for catalogues where the dense
n_items² inverse would not fit in memory or time.

SANSA (Spišák et al. 2023) factors XᵀX + λI as a sparse LDLᵀ, inverts the unit triangle
approximately, and keeps ``B ≈ Wᵀ · W_r`` as two sparse factors of chosen density. Memory and
time follow the non-zeros of XᵀX, not n_items².
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

from fuserec._core import memory
from fuserec.models.item_item import FactoredWeights

log = logging.getLogger("fuserec.models")
EXACT_FACTOR_COPIES = 1.5  # n² doubles bound the exact factor's fill; with this margin for the work
EXACT_FACTOR_ITEMS = 10_000
"""Most items whose Gram matrix is factored exactly: the exact factor's fill-in, and its time, grow
towards items³ on a log with popular items that co-occur with everything; past this the
incomplete factorisation (ICF) keeps both at the target density."""


def _sansa() -> Any:
    """The ``sansa`` module, imported without the root-logger set-up it does on import."""
    from fuserec._core.extras import require

    require("sansa", "sksparse", what="EASE's sparse form (a catalogue past the dense limit)")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import sansa

    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("sansa").setLevel(logging.ERROR)  # its density advice is ours to take
    return sansa


def sansa_weights(matrix: sp.spmatrix, reg: float, nnz_per_item: int, gramian: bool = True) -> FactoredWeights:
    """Approximate EASE weights ``B`` as two sparse factors.

    Parameters
    ----------
    matrix : scipy.sparse matrix
        The binary user × item matrix X (``gramian=True``), or an item × item Gram matrix that
        already holds XᵀX and any side information (``gramian=False``).
    reg : float
        The ridge λ added to the diagonal.
    nnz_per_item : int
        Non-zeros kept per item in each factor (its density is this over n_items): more is closer
        to dense EASE and costs proportionally more memory.
    gramian : bool
        Whether ``matrix`` is X (the Gram matrix is formed inside) or the Gram matrix itself.

    Returns
    -------
    FactoredWeights
        ``left · right`` ≈ −P / diag(P) with P = (G + λI)⁻¹; the diagonal is not zeroed (it only
        changes the scores of items in the history, which ranking excludes).
    """
    sansa = _sansa()
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    n = matrix.shape[1]
    # items with no entry have an empty row in the Gram matrix, which SANSA's scaling mishandles;
    # their weights are zero, so the fit runs on the others and is placed back among all items
    counts = np.diff(matrix.tocsc().indptr) if gramian else np.diff(matrix.indptr)
    live = np.flatnonzero(counts > 0)
    part = matrix[:, live] if gramian else matrix[live][:, live]
    # the exact sparse Cholesky factor, pruned, is the closer approximation, but its fill-in can
    # grow towards n² doubles and its time towards n³; past EXACT_FACTOR_ITEMS or the memory
    # budget for that, the incomplete factorisation (ICF) keeps both at the target density
    exact = len(live) <= EXACT_FACTOR_ITEMS and memory.fits(int(EXACT_FACTOR_COPIES * 8 * len(live) ** 2))
    if not gramian:
        # symmetric, so CSC holds the same matrix; SANSA transposes a CSR one before its int64-only
        # factorisation kernel, and scipy's transpose narrows the indices back to int32
        part = sp.csc_matrix(part)
    factorizer = sansa.CHOLMODGramianFactorizerConfig() if exact else sansa.ICFGramianFactorizerConfig()
    config = sansa.SANSAConfig(
        l2=float(reg), weight_matrix_density=min(1.0, max(nnz_per_item, 2) / max(len(live), 1)),
        gramian_factorizer_config=factorizer,
        lower_triangle_inverter_config=sansa.UMRUnitLowerTriangleInverterConfig(scans=1, finetune_steps=5))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*converting matrix of class")  # CHOLMOD's own CSC copy
        left, right = sansa.SANSA(config).fit(part, compute_gramian=gramian).weights
    return FactoredWeights(_placed(left, live, n), _placed(right, live, n))


def _placed(block: sp.spmatrix, items: np.ndarray, n: int) -> sp.csr_matrix:
    """``block`` (over ``items``) as an n × n matrix with zeros elsewhere."""
    coo = sp.coo_matrix(block)
    return sp.csr_matrix((coo.data.astype(np.float32), (items[coo.row], items[coo.col])), shape=(n, n))
