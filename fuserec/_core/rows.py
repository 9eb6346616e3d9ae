"""Row selection from a CSR matrix that takes the cheap path when it can."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def take_rows(matrix: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    """``matrix[rows]``, as a slice when ``rows`` is one ascending run of consecutive indices.

    A slice shares the index arrays' layout and skips fancy indexing's validation and copies:
    it is what a single user's request or an evaluation over consecutive users asks for.
    """
    rows = np.asarray(rows)
    if rows.ndim == 1 and len(rows) and int(rows[-1]) - int(rows[0]) == len(rows) - 1 \
            and (len(rows) == 1 or bool((np.diff(rows) == 1).all())) and rows[0] >= 0:
        return matrix[int(rows[0]):int(rows[-1]) + 1]
    return matrix[rows]


def rows_per_batch(n_items: int, most: int, cells: int = 64_000_000) -> int:
    """How many users to score at once: ``most``, fewer where a users × items block would pass
    ``cells`` entries (at least 8), so that a batch's memory stays bounded on a large catalogue."""
    return max(8, min(most, cells // max(n_items, 1)))
