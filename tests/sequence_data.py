"""A dataset whose next item follows from the order of the last ones, for the sequence models' tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fuserec.data import Dataset


def cycles(n_users: int = 600, n_items: int = 40, seed: int = 0) -> Dataset:
    """Each user walks 6 to 12 steps around a ring of ``n_items`` items from a random start, by a
    step the user keeps (1 or 3, either way round): the next item follows from the last two in
    order, and no order-blind model can tell which way a user is going. Items have titles."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        start, step = rng.integers(n_items), rng.choice([1, 3, -1, -3])
        for t in range(rng.integers(6, 13)):
            rows.append((f"u{user}", f"i{(start + step * t) % n_items}", t))
    items = pd.DataFrame({"id": [f"i{i}" for i in range(n_items)], "title": [f"Stop {i}" for i in range(n_items)]})
    return Dataset.from_frame("cycles", pd.DataFrame(rows, columns=["user", "item", "timestamp"]), item_table=items)
