"""Whether an explanation is faithful: a deletion test.

Remove the history items an explanation cites from the user's history, recompute the user's
scores from the reduced history (no refit: the model's fold-in, as the service computes a user
after new events), and see whether the explained item falls in the ranking. Removing as many
random history items is the baseline the drop must beat, paired over explanations. A model that
reads the order of a history is given the ordered history with the items removed, the rest in
order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from fuserec.models.capabilities import ReadsOrder


def _without(row: sp.csr_matrix, drop: Sequence[int] | np.ndarray) -> sp.csr_matrix:
    row = sp.csr_matrix(row, dtype=np.float32, copy=True)
    mask = np.isin(row.indices, np.asarray(drop, dtype=np.int64))
    row.data[mask] = 0
    row.eliminate_zeros()
    return row


def ranks(scores: np.ndarray, item: int, banned: np.ndarray) -> np.ndarray:
    """The 1-based rank of ``item`` among the items not in ``banned``, for each row of scores."""
    scores[:, banned] = -np.inf
    return 1 + (scores > scores[:, [item]]).sum(axis=1)


@dataclass
class Deletion:
    """The explained item's rank with the full history, without the cited items, and without as
    many random history items."""

    full: int
    cited: int
    random: int

    @property
    def lowered(self) -> bool:
        return self.cited > self.full

    @property
    def gap(self) -> int:
        """How many more places removing the cited items cost than removing random ones."""
        return (self.cited - self.full) - (self.random - self.full)


def deletion_test(model, row: sp.csr_matrix, item: int, cited: Sequence[int], rng: np.random.Generator,
                  sequence: np.ndarray | None = None) -> Deletion:
    """Ranks of ``item`` for the history ``row``, without ``cited``, and without as many random
    history items (drawn from the whole history). The original history stays out of every ranking,
    so a removed item does not re-enter the list and push the explained one down. With ``sequence``
    (the history oldest first), a model that reads order is scored from the ordered history."""
    if sequence is not None and model.supports(ReadsOrder):
        seq = np.asarray(sequence, dtype=np.int64)
        history = np.unique(seq)
        drop = rng.choice(history, size=len(cited), replace=False)
        scores = model.score_sequences([seq, seq[~np.isin(seq, cited)], seq[~np.isin(seq, drop)]])
    else:
        row = sp.csr_matrix(row)
        history = row.indices[row.data > 0]
        drop = rng.choice(history, size=len(cited), replace=False)
        scores = model.score_histories(sp.vstack([row, _without(row, cited), _without(row, drop)]).tocsr())
    full, without_cited, without_random = ranks(np.asarray(scores, dtype=np.float64), item, history)
    return Deletion(int(full), int(without_cited), int(without_random))


def summarise(tests: Sequence[Deletion]) -> dict[str, float]:
    """Share of explanations whose deletion lowered the item, and a one-sided Wilcoxon signed-rank
    test of whether removing the cited items lowers it more than removing random ones (its
    significance in ``deletion_vs_random_p``)."""
    from scipy.stats import wilcoxon

    if not tests:
        return {"n": 0, "deletion_lowers": float("nan"), "deletion_vs_random_p": float("nan")}
    gaps = np.array([t.gap for t in tests], dtype=np.float64)
    p = float(wilcoxon(gaps, alternative="greater").pvalue) if np.any(gaps != 0) else 1.0
    return {"n": len(tests), "deletion_lowers": float(np.mean([t.lowered for t in tests])),
            "deletion_vs_random_p": p, "mean_rank_drop_cited": float(np.mean([t.cited - t.full for t in tests])),
            "mean_rank_drop_random": float(np.mean([t.random - t.full for t in tests]))}
