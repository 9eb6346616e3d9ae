"""How a fitted model is measured on one split: rating error on test pairs, or full ranking."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

import fuserec.evaluation.metrics as M
from fuserec._core.sampling import sample_users
from fuserec.data.split import Split
from fuserec.errors import UsageError

BEYOND_ACCURACY = ("coverage", "novelty", "arp", "gini")

if TYPE_CHECKING:
    from fuserec.models.base import Recommender


@dataclass
class Measurement:
    """Metric means, their confidence intervals, per-user values (for paired tests) and timings."""

    metrics: dict[str, float]
    ci95: dict[str, tuple[float, float]] = field(default_factory=dict)
    per_user: dict[str, np.ndarray] = field(default_factory=dict)
    users: np.ndarray | None = None  # user indices the per-user arrays refer to
    predict_seconds: float = 0.0


def evaluate_rating(model: Recommender, split: Split) -> Measurement:
    """RMSE, MAE and MSE of the model's predictions for every test rating."""
    test = split.test
    if not test.has_ratings:
        raise UsageError(f"{test.name} has no ratings: use the ranking task")
    if test.rating_scale is None:
        raise UsageError(f"{test.name} holds implicit counts, not ratings on a scale: use the ranking task")
    inter = test.interactions
    start = time.perf_counter()
    pred = model.predict_indices(inter["user"].to_numpy(), inter["item"].to_numpy())
    seconds = time.perf_counter() - start
    truth = inter["rating"].to_numpy(dtype=np.float64)
    sq, ab = (truth - pred) ** 2, np.abs(truth - pred)
    lo, hi = M.mean_ci95(sq)
    return Measurement(
        metrics={"rmse": M.rmse(truth, pred), "mae": M.mae(truth, pred), "mse": M.mse(truth, pred)},
        ci95={"rmse": (float(np.sqrt(max(lo, 0.0))), float(np.sqrt(hi))), "mae": M.mean_ci95(ab), "mse": (lo, hi)},
        predict_seconds=seconds,
    )


def relevant_matrix(split: Split, min_rating: float | None = None) -> sp.csr_matrix:
    """Test items that count as relevant: every test interaction, or those rated ≥ ``min_rating``."""
    test = split.test
    if min_rating is None or not test.has_ratings:
        return test.matrix("binary")
    keep = test.interactions["rating"].to_numpy() >= min_rating
    return test.subset(keep).matrix("binary")


def evaluate_ranking(
    model: Recommender,
    split: Split,
    ks: Iterable[int] = (10,),
    *,
    min_rating: float | None = None,
    candidates: np.ndarray | None = None,
    max_users: int | None = None,
    seed: int = 0,
) -> Measurement:
    """Full ranking over all items (train items excluded) for every user with a relevant test item.

    ``candidates``: optional boolean mask over items; items outside it are never ranked (e.g.
    rank among cold items only). ``max_users``: past that many such users, a seeded sample of
    that many is measured (``seed``), so that measuring costs the same on any number of users.
    Returns per-user means with confidence intervals, plus coverage, novelty, average popularity
    (ARP) and Gini of the lists at the largest k.
    """
    ks = sorted(set(int(k) for k in ks))
    kmax = ks[-1]
    relevant = relevant_matrix(split, min_rating)
    users = np.flatnonzero(np.diff(relevant.indptr) > 0)
    if len(users) == 0:
        raise UsageError(f"no test user of {split.test.name} has a relevant item")
    users = sample_users(users, max_users, seed)
    start = time.perf_counter()
    topk, _ = model.recommend_indices(users, kmax, exclude_seen=True, candidates=candidates)
    seconds = time.perf_counter() - start
    values = M.ranking_metrics(topk, relevant[users], ks)
    train = split.train
    popularity = np.diff(train.matrix("binary").tocsc().indptr)  # users per item in train
    metrics = {name: v.mean for name, v in values.items()}
    ci = {name: M.mean_ci95(v.per_user) for name, v in values.items()}
    n_items = train.n_items
    metrics[f"coverage@{kmax}"] = M.catalog_coverage(topk, n_items)
    metrics[f"novelty@{kmax}"] = M.novelty(topk, popularity, train.n_users)
    metrics[f"arp@{kmax}"] = M.average_popularity(topk, popularity)
    metrics[f"gini@{kmax}"] = M.gini(topk, n_items)
    return Measurement(metrics, ci, {n: v.per_user for n, v in values.items()}, users, seconds)
