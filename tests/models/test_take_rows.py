"""take_rows gives exactly what fancy indexing gives, on every shape of request; batches of users
shrink with the catalogue."""

import numpy as np
import pytest
import scipy.sparse as sp

from fuserec._core.rows import rows_per_batch, take_rows


@pytest.mark.parametrize("rows", [[3], [0, 1, 2], [5, 6, 7, 8], [2, 4], [4, 3], [1, 1], [0, 2, 3], [9]])
def test_take_rows_matches_fancy_indexing(rows):
    matrix = sp.random(10, 30, density=0.2, format="csr", random_state=0, dtype=np.float32)
    got, want = take_rows(matrix, np.array(rows)), matrix[np.array(rows)]
    assert got.shape == want.shape
    assert (got != want).nnz == 0
    assert np.array_equal(got.toarray(), want.toarray())



def test_batches_shrink_with_the_catalogue_and_never_vanish():
    assert rows_per_batch(1_682, 1024) == 1024
    assert rows_per_batch(1_000_000, 1024) * 1_000_000 <= 64_000_000
    assert rows_per_batch(10**12, 1024) == 8
