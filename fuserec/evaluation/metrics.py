"""Rating, ranking and beyond-accuracy metrics, vectorised over users (pure numpy).

Ranking metrics take a top-K matrix of item indices per user (``-1`` pads short lists) and the
users' relevant test items as a CSR matrix; they return one value per user, so means, confidence
intervals and paired tests come from the same numbers. Users with no relevant test items are
left out by the caller (``evaluate_ranking`` does this).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import stats

from fuserec._core.ranking import (  # noqa: F401 (re-exported: the metrics' public names)
    f1_at_k,
    hit_matrix,
    hitrate_at_k,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    ndcg_of_scores,
    precision_at_k,
    recall_at_k,
)
from fuserec.errors import UsageError

# ---- rating ------------------------------------------------------------------------------------


def _pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t, p = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    if t.shape != p.shape:
        raise UsageError(f"y_true has shape {t.shape} but y_pred {p.shape}")
    if t.size == 0:
        raise UsageError("no ratings to score")
    return t, p


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    t, p = _pair(y_true, y_pred)
    return float(np.mean((t - p) ** 2))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(mse(y_true, y_pred)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


# ---- ranking: the kernels live in fuserec._core.ranking --------------------------------------

RANKING_METRICS = {
    "precision": precision_at_k,
    "recall": recall_at_k,
    "f1": f1_at_k,
    "ndcg": ndcg_at_k,
    "map": map_at_k,
    "mrr": mrr_at_k,
    "hitrate": hitrate_at_k,
}

# ---- which way is better -----------------------------------------------------------------------
#: Every metric an evaluation reports, and which way it is better: "higher", "lower", or None for
#: descriptive ones (coverage, novelty, popularity, Gini) that no table or search should rank by.
#: Tuning, the experiment tables, the reports and the command line all read this one mapping.
DIRECTION: dict[str, str | None] = {
    "rmse": "lower", "mae": "lower", "mse": "lower",
    **{name: "higher" for name in RANKING_METRICS},
    "coverage": None, "novelty": None, "arp": None, "gini": None,
}


def direction(metric: str) -> str | None:
    """``"higher"``, ``"lower"`` or ``None`` for a metric name such as ``rmse`` or ``ndcg@10``.

    Raises
    ------
    ValueError
        For a name that is not a known metric (the message lists the known ones).
    """
    base = metric.split("@")[0].strip().lower()
    if base not in DIRECTION:
        raise UsageError(f"unknown metric {metric!r}; known: {', '.join(DIRECTION)} (ranking ones take @k)")
    return DIRECTION[base]


def lower_is_better(metric: str) -> bool:
    """Whether the smallest value of ``metric`` is the best one (errors such as RMSE and MAE)."""
    return direction(metric) == "lower"


# ---- beyond accuracy ---------------------------------------------------------------------------


def catalog_coverage(topk: np.ndarray, n_items: int) -> float:
    """Share of the catalogue that appears in at least one user's list."""
    shown = np.unique(topk[topk >= 0])
    return len(shown) / n_items


def novelty(topk: np.ndarray, item_popularity: np.ndarray, n_users: int) -> float:
    """Mean self-information −log2(p(i)) of recommended items, p(i) = share of train users with i."""
    items = topk[topk >= 0]
    p = np.maximum(item_popularity[items], 1) / max(n_users, 1)
    return float(np.mean(-np.log2(p))) if items.size else 0.0


def average_popularity(topk: np.ndarray, item_popularity: np.ndarray) -> float:
    """ARP: mean train interaction count of the recommended items."""
    items = topk[topk >= 0]
    return float(np.mean(item_popularity[items])) if items.size else 0.0


def gini(topk: np.ndarray, n_items: int) -> float:
    """Gini index of how often each catalogue item is recommended (0 = even, 1 = one item)."""
    counts = np.sort(np.bincount(topk[topk >= 0], minlength=n_items).astype(np.float64))
    total = counts.sum()
    if total == 0:
        return 0.0
    idx = np.arange(1, n_items + 1)
    return float(((2 * idx - n_items - 1) * counts).sum() / (n_items * total))


# ---- aggregation -------------------------------------------------------------------------------


CONFIDENCE = 0.95
"""Level of every confidence interval fuserec reports."""


def mean_ci95(values: np.ndarray) -> tuple[float, float]:
    """Student-t confidence interval at level `CONFIDENCE` of the mean of ``values``.

    The mean twice when there are fewer than two values.
    """
    values = np.asarray(values, dtype=np.float64)
    m = float(values.mean()) if values.size else float("nan")
    if values.size < 2:
        return (m, m)
    half = float(stats.t.ppf((1 + CONFIDENCE) / 2, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))
    return (m - half, m + half)


@dataclass
class MetricValue:
    """A per-user metric: its mean with a Student-t confidence interval at level `CONFIDENCE`."""

    name: str
    per_user: np.ndarray

    @property
    def mean(self) -> float:
        return float(np.mean(self.per_user)) if self.per_user.size else float("nan")

    @property
    def ci95(self) -> tuple[float, float]:
        return mean_ci95(self.per_user)


def ranking_metrics(
    topk: np.ndarray,
    relevant: sp.csr_matrix,
    ks: Iterable[int] = (10,),
    names: Iterable[str] = tuple(RANKING_METRICS),
) -> dict[str, MetricValue]:
    """Per-user ranking metrics ``name@k`` for the rows of ``topk``/``relevant`` (all rows count)."""
    hits = hit_matrix(topk, relevant)
    n_rel = np.diff(sp.csr_matrix(relevant).indptr)
    out: dict[str, MetricValue] = {}
    for k in ks:
        if k > topk.shape[1]:
            raise UsageError(f"k={k} but only {topk.shape[1]} items were ranked per user")
        for name in names:
            out[f"{name}@{k}"] = MetricValue(f"{name}@{k}", RANKING_METRICS[name](hits, n_rel, k))
    return out
