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
from fuserec._core.cost import CSR_ENTRY_BYTES, Cost, DataShape, history_bytes
from fuserec.models.item_item import FactoredWeights
from fuserec.progress import progress

log = logging.getLogger("fuserec.models")
EXACT_FACTOR_COPIES = 1.5  # n² doubles bound the exact factor's fill; with this margin for the work
EXACT_FACTOR_ITEMS = 10_000
"""Most items whose Gram matrix is factored exactly: the exact factor's fill-in, and its time, grow
towards items³ on a log with popular items that co-occur with everything; past this the
incomplete factorisation (ICF) keeps both at the target density."""
FINETUNE_STEPS = {"exact": 5, "incomplete": 1}
"""Refinement steps of SANSA's approximate inverse of the unit triangle, each a sparse product,
after the exact factor and after the incomplete one: past ``EXACT_FACTOR_ITEMS`` the factor is
itself approximate, and more steps cost time without changing the lists (``benchmarks/scale.py``,
``sparse-ease``)."""
PRUNE_INCOMPLETE = True
"""Whether the incomplete factorisation starts from the pruned Gram matrix even where the whole
one fits (the benchmark turns it off to compare)."""
GRAM_ENTRY_BYTES = 256
"""Bytes per Gram entry at the fit's peak: the matrix as built and symmetrised, its permuted
copies, SANSA's int64 indices and the incomplete factor's work arrays. Peak RSS over the kept
entries, measured on generated logs, grows with the catalogue (the ordering and the permuted
copies); this is set above what a million-item fit had reached when the kernel stopped it, so
that such a fit now stops first, with a message."""
BLOCK_ENTRIES = 50_000_000
"""Gram entries one block of items may produce before it is pruned."""
KEEP_FACTOR = 4
"""A pruned Gram matrix keeps this many times ``nnz_per_item`` co-counts per item."""


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


def sansa_weights(matrix: sp.spmatrix, reg: float, nnz_per_item: int, gramian: bool = True,
                  pruned: bool = False) -> FactoredWeights:
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
    pruned : bool
        Whether the Gram matrix given was pruned (`item_gram`): then only the incomplete
        factorisation is used.

    Returns
    -------
    FactoredWeights
        ``left · right`` ≈ −P / diag(P) with P = (G + λI)⁻¹; the diagonal is not zeroed (it only
        changes the scores of items in the history, which ranking excludes).
    """
    sansa = _sansa()
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    # items with no entry have an empty row in the Gram matrix, which SANSA's scaling mishandles;
    # their weights are zero, so the fit runs on the others and is placed back among all items
    counts = np.diff(matrix.tocsc().indptr) if gramian else np.diff(matrix.indptr)
    live = np.flatnonzero(counts > 0)
    # the exact sparse Cholesky factor, pruned, is the closer approximation, but its fill-in can
    # grow towards n² doubles and its time towards n³; past EXACT_FACTOR_ITEMS or the memory
    # budget for that, the incomplete factorisation (ICF) keeps both at the target density, and
    # starts from each item's largest co-counts
    exact = len(live) <= EXACT_FACTOR_ITEMS and memory.fits(int(EXACT_FACTOR_COPIES * 8 * len(live) ** 2))
    if gramian and ((PRUNE_INCOMPLETE and not exact) or not memory.fits(gram_bytes(matrix))):
        (matrix, pruned), gramian = item_gram(matrix, nnz_per_item, whole=exact or not PRUNE_INCOMPLETE), False
    # a pruned Gram matrix need not be positive definite: only the incomplete factorisation restarts
    # with more regularisation when a pivot fails
    exact = exact and not pruned
    n = matrix.shape[1]
    part = matrix if len(live) == n else matrix[:, live] if gramian else matrix[live][:, live]
    del matrix  # where a copy was taken: the fit's peak is the Gram matrix's copies
    if not gramian:
        # symmetric, so its CSC form is the same matrix: the transpose, without a copy. SANSA
        # transposes a CSR one before its int64-only factorisation kernel, and scipy's transpose
        # narrows the indices back to int32
        part = part.T
    factorizer = sansa.CHOLMODGramianFactorizerConfig() if exact else sansa.ICFGramianFactorizerConfig()
    config = sansa.SANSAConfig(
        l2=float(reg), weight_matrix_density=min(1.0, max(nnz_per_item, 2) / max(len(live), 1)),
        gramian_factorizer_config=factorizer,
        lower_triangle_inverter_config=sansa.UMRUnitLowerTriangleInverterConfig(
            scans=1, finetune_steps=FINETUNE_STEPS["exact" if exact else "incomplete"]))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*converting matrix of class")  # CHOLMOD's own CSC copy
        left, right = sansa.SANSA(config).fit(part, compute_gramian=gramian).weights
    return FactoredWeights(_placed(left, live, n), _placed(right, live, n))


def _placed(block: sp.spmatrix, items: np.ndarray, n: int) -> sp.csr_matrix:
    """``block`` (over ``items``) as an n × n matrix with zeros elsewhere."""
    coo = sp.coo_matrix(block)
    return sp.csr_matrix((coo.data.astype(np.float32), (items[coo.row], items[coo.col])), shape=(n, n))


def gram_bytes(x: sp.csr_matrix) -> int:
    """Peak bytes of factoring XᵀX for a user × item ``x``, from an upper bound on its entries:
    each user with d items adds at most d² of them."""
    degrees = np.diff(x.indptr).astype(np.int64)
    return GRAM_ENTRY_BYTES * int(min(degrees @ degrees, x.shape[1] ** 2))


def item_gram(x: sp.csr_matrix, nnz_per_item: int, whole: bool = True) -> tuple[sp.csr_matrix, bool]:
    """XᵀX as float32, and whether it was pruned: whole where ``whole`` and it fits the memory
    budget, otherwise pruned while it is built.

    The pruned form is computed a block of items at a time; each item keeps its own count and its
    ``KEEP_FACTOR × nnz_per_item`` largest co-counts (halved while that would not fit, down to
    ``nnz_per_item``, the density of the weights themselves), and the result holds every entry
    either of its two items kept, so it stays symmetric. Its peak follows the items, not the users'
    squared activity, which on a large log is what makes the whole Gram matrix too big; and the
    incomplete factorisation, which keeps only ``nnz_per_item`` per item in the end, works from it
    in less time than from the whole matrix (``benchmarks/scale.py``, ``sparse-ease``).
    """
    x = sp.csr_matrix(x, dtype=np.float32)
    fits = memory.fits(gram_bytes(x))
    if whole and fits:
        return (x.T @ x).tocsr(), False
    n = x.shape[1]
    keep = kept_per_item(n, nnz_per_item)
    memory.require(pruned_bytes(n, keep), f"EASE's sparse form over {n:,} items (each item's {keep} largest "
                   "co-counts)", "lower nnz_per_item, or raise the budget")
    if fits:
        log.info("EASE: XᵀX over %s items for the incomplete factorisation: keeping each item's %d largest "
                 "co-counts", f"{n:,}", keep)
    else:
        log.warning("EASE: XᵀX over %s items would need about %s: keeping each item's %d largest co-counts",
                    f"{n:,}", memory.format_bytes(gram_bytes(x)), keep)
    xt = x.T.tocsr()
    # entries a block of items produces: each item's users' activity, summed
    mass = np.cumsum(xt @ np.diff(x.indptr).astype(np.float64))
    cuts = np.searchsorted(mass, np.arange(1, int(mass[-1] // BLOCK_ENTRIES) + 1) * BLOCK_ENTRIES, side="right")
    edges = np.unique(np.concatenate([[0], np.minimum(cuts, n), [n]]))
    rows, cols, vals = [], [], []
    blocks = list(zip(edges[:-1], edges[1:], strict=True))
    for start, stop in progress(blocks, "EASE: pruned Gram matrix, blocks of items"):
        r, c, v = _top_per_row((xt[start:stop] @ x).tocsr(), int(start), keep)
        rows.append(r)
        cols.append(c)
        vals.append(v)
    kept = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    return kept.maximum(kept.T).tocsr(), True


def pruned_bytes(n_items: int, keep: int) -> int:
    """Peak bytes of the fit from a Gram matrix pruned to ``keep`` co-counts per item: each item
    holds at most its own ``keep`` and as many kept by others (the matrix is symmetrised), and at
    most every other item."""
    return GRAM_ENTRY_BYTES * min(2 * keep, n_items) * n_items


def kept_per_item(n_items: int, nnz_per_item: int) -> int:
    """Co-counts per item a pruned Gram matrix keeps: ``KEEP_FACTOR × nnz_per_item``, halved while
    the fit would not fit the memory budget, down to ``nnz_per_item`` (the density of the weights)."""
    keep = KEEP_FACTOR * nnz_per_item
    while keep > nnz_per_item and not memory.fits(pruned_bytes(n_items, keep)):
        keep = max(keep // 2, nnz_per_item)
    return keep


def _top_per_row(block: sp.csr_matrix, offset: int, keep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's diagonal entry and its ``keep`` largest others, as (row, column, value) with rows
    numbered from ``offset``."""
    rows = np.repeat(np.arange(block.shape[0], dtype=np.int64), np.diff(block.indptr))
    cols, vals = block.indices, block.data
    own = cols == rows + offset
    order = np.lexsort((-vals, own, rows))  # per row: others by value, then the diagonal last
    rank = np.arange(len(order)) - block.indptr[rows[order]]
    chosen = order[(rank < keep) | own[order]]
    return rows[chosen] + offset, cols[chosen], vals[chosen]


def sparse_cost(shape: DataShape, nnz_per_item: int, note: str) -> Cost:
    """The sparse form's cost: XᵀX (pruned to ``KEEP_FACTOR × nnz_per_item`` per item past
    ``EXACT_FACTOR_ITEMS`` or when the whole one would not fit) and the factorisation and
    inversion, whose work follows the kept entries per item squared."""
    whole = GRAM_ENTRY_BYTES * min(shape.co_occurrences, shape.items ** 2)
    pruned = (PRUNE_INCOMPLETE and shape.items > EXACT_FACTOR_ITEMS) or not memory.fits(whole)
    kept = min(whole, pruned_bytes(shape.items, kept_per_item(shape.items, nnz_per_item))) if pruned else whole
    weights = 2 * CSR_ENTRY_BYTES * nnz_per_item * shape.items
    per_item = kept / GRAM_ENTRY_BYTES / max(shape.items, 1)
    return Cost(dense=4.0 * shape.items * per_item * nnz_per_item, sparse=shape.co_occurrences,
                resident=history_bytes(shape) + weights, transient=kept,
                notes=(note + (", XᵀX pruned" if pruned else ""),))
