"""Live popularity: the artifact's fallback scores plus one for each event the store gained since."""

from __future__ import annotations

import numpy as np


class LivePopularity:
    """Per catalogue item, the score the popularity fallback ranks by.

    Parameters
    ----------
    fallback : numpy.ndarray
        The artifact's fallback scores, one per model item; items added through the service
        start at zero.
    """

    def __init__(self, fallback: np.ndarray) -> None:
        self.scores = np.asarray(fallback, dtype=np.float64).copy()

    def count(self, items: np.ndarray, n_items: int) -> None:
        """Add one per event on catalogue index ``items``, the catalogue having ``n_items`` items."""
        grown = n_items - len(self.scores)
        if grown > 0:
            self.scores = np.append(self.scores, np.zeros(grown))
        np.add.at(self.scores, np.asarray(items, dtype=np.int64), 1.0)
