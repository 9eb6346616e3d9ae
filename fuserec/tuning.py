"""Hyper-parameter search on a validation split carved from train only (grid or random)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone

from fuserec.data.dataset import Dataset
from fuserec.data.split import validation_split  # noqa: F401 (kept: it was defined here)
from fuserec.errors import UsageError
from fuserec.evaluation.metrics import lower_is_better
from fuserec.evaluation.protocol import evaluate_ranking, evaluate_rating
from fuserec.models.base import Recommender
from fuserec.progress import progress


@dataclass
class TuneResult:
    best_params: dict[str, Any]
    best_score: float
    metric: str
    trials: list[dict[str, Any]] = field(default_factory=list)  # params, score, fit_seconds

    def best_model(self, estimator: Recommender) -> Recommender:
        """An unfitted copy of ``estimator`` with the best parameters."""
        return clone(estimator).set_params(**self.best_params)


def candidates(grid: Mapping[str, Sequence[Any]], search: str = "grid", n_iter: int = 20,
               seed: int = 0) -> list[dict[str, Any]]:
    """Every combination (``grid``), or ``n_iter`` distinct random ones (``random``)."""
    keys = list(grid)
    combos = [dict(zip(keys, values, strict=True)) for values in itertools.product(*(grid[k] for k in keys))]
    if search == "grid":
        return combos
    if search != "random":
        raise UsageError(f"search must be 'grid' or 'random', not {search!r}")
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(combos), size=min(n_iter, len(combos)), replace=False)
    return [combos[i] for i in sorted(pick)]


def tune(estimator: Recommender, train: Dataset, grid: Mapping[str, Sequence[Any]], *, task: str = "ranking",
         metric: str | None = None, search: str = "grid", n_iter: int = 20, val_size: float = 0.1, seed: int = 0,
         temporal: bool | str = False, verbose: bool = True) -> TuneResult:
    """Fit each candidate on train minus validation and score it on validation.

    ``metric``: ``rmse`` (rating task) or e.g. ``ndcg@10`` (ranking, full ranking on validation).
    """
    import time

    metric = metric or ("rmse" if task == "rating" else "ndcg@10")
    lower = lower_is_better(metric)  # also rejects an unknown metric before any fit
    if (task == "rating") != (metric.split("@")[0] in ("rmse", "mae", "mse")):
        raise UsageError(f"metric {metric!r} does not belong to the {task} task")
    inner = validation_split(train, val_size, seed, temporal)
    k = int(metric.split("@")[1]) if "@" in metric else 10
    trials: list[dict[str, Any]] = []
    for params in progress(candidates(grid, search, n_iter, seed), f"tuning {type(estimator).__name__}",
                           enabled=verbose):
        model = clone(estimator).set_params(**params)
        start = time.perf_counter()
        model.fit(inner.train)
        fit_seconds = time.perf_counter() - start
        m = evaluate_rating(model, inner) if task == "rating" else evaluate_ranking(model, inner, [k])
        trials.append({"params": params, "score": float(m.metrics[metric]), "fit_seconds": fit_seconds})
    if not trials:
        raise UsageError("the grid is empty")
    best = min(trials, key=lambda t: t["score"]) if lower else max(trials, key=lambda t: t["score"])
    return TuneResult(best["params"], best["score"], metric, trials)
