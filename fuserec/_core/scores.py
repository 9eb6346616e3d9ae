"""Score normalisation shared by the blends and the re-ranker."""

from __future__ import annotations

import numpy as np


def zscore_rows(scores: np.ndarray) -> np.ndarray:
    """Each row minus its mean, over its standard deviation (non-finite entries stay -inf)."""
    scores = np.asarray(scores, dtype=np.float64)
    finite = np.isfinite(scores)
    if finite.all():  # the common case, and the same numbers as the nan-aware path, faster
        z = scores - scores.mean(axis=1, keepdims=True)  # the deviations np.std would compute
        std = np.sqrt(np.mean(np.square(z), axis=1, keepdims=True))
        z /= np.where(std > 0, std, 1.0)
        return z
    s = np.where(finite, scores, np.nan)
    mean = np.nanmean(s, axis=1, keepdims=True)
    std = np.nanstd(s, axis=1, keepdims=True)
    z = (s - mean) / np.where(std > 0, std, 1.0)
    return np.where(finite, z, -np.inf)
