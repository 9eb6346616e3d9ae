"""Early stopping for the models trained by epochs: keep the best epoch's weights, stop after
``patience`` epochs without a better validation score."""

from __future__ import annotations

import copy
from typing import Any


class EarlyStopping:
    """Tracks a validation score per epoch and the weights of the best one.

    Parameters
    ----------
    patience : int
        Epochs without a better score before `update` says to stop.
    higher_is_better : bool
        Whether a larger score is better (NDCG) or a smaller one (RMSE).
    """

    def __init__(self, patience: int, higher_is_better: bool = True) -> None:
        self.patience, self.higher_is_better = patience, higher_is_better
        self.best: float | None = None
        self.best_state: dict[str, Any] | None = None
        self.best_epoch = 0
        self.wait = 0
        self.history: list[float] = []

    def update(self, net: Any, score: float) -> bool:
        """Record this epoch's ``score`` (copying ``net``'s weights when it is the best so far);
        whether to stop."""
        self.history.append(score)
        if self.best is None or (score > self.best if self.higher_is_better else score < self.best):
            self.best, self.best_state, self.best_epoch, self.wait = score, copy.deepcopy(net.state_dict()), \
                len(self.history), 0
            return False
        self.wait += 1
        return self.wait >= self.patience

    def restore(self, net: Any) -> None:
        """Load the best epoch's weights into ``net`` (nothing when no epoch was scored)."""
        if self.best_state is not None:
            net.load_state_dict(self.best_state)
