"""A seeded sample of users that stands for all of them where scoring every user would cost too much."""

from __future__ import annotations

import numpy as np


def sample_users(users: np.ndarray, max_users: int | None, seed: int = 0) -> np.ndarray:
    """``users`` unchanged when there are at most ``max_users`` (or no cap), else a seeded sample of
    that many, in ascending order."""
    if max_users is None or len(users) <= max_users:
        return users
    return np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
