"""How much each item of a user's history contributed to a recommended item's score, read from
the model's own computation.

Most models a service folds in score a user from a history row, and several of them do so in a
way that splits exactly into one term per history item:

- item-item models (EASE, item kNN, RP3beta, text-EASE): ``score_i = Σ_h r_h · B[h, i]``;
- ALS-style factor models: the user's factors are one regularised least-squares solve,
  ``x = A⁻¹ (1 + α) Σ_h y_h``, so ``score_i = Σ_h (1 + α) · y_iᵀ A⁻¹ y_h`` with ``A`` held at this
  history, the decomposition implicit's ``explain`` uses;
- the semantic profile: ``score_i = Σ_h r_h · v_hᵀ v_i / ‖Σ_h r_h v_h‖``.

The learned re-ranker is a tree ensemble over features, so its score splits by feature (LightGBM's
``pred_contrib``); the features are then traced back to history items: a retriever's share goes to
the history items behind that retriever's score, the text-similarity features to the history
items the candidate reads like, and popularity features to popularity, not to any history item.
Any other model that folds in is attributed by leaving each history item out in turn and
rescoring (exact, and slower). A model that does not fold in cannot be attributed, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

POPULARITY_FEATURES = ("item:logpop", "item:logrecent", "text:trend_sim", "text:neighbour_recent")
POPULARITY_RETRIEVERS = ("popularity", "user-time-popularity", "time-popularity")
TEXT_FEATURES = ("text:max_sim_history", "text:mean_sim_history")


class CannotAttribute(Exception):
    """The model's score does not decompose over the history (the message says why)."""


@dataclass
class Attribution:
    """Per explained item, each history item's share of its score.

    Attributes
    ----------
    history : numpy.ndarray
        The history's item indices (the row's positive entries), in row order.
    contributions : numpy.ndarray of shape (n_items, n_history)
        What each history item added to each explained item's score (in the model's units).
    popularity : numpy.ndarray of shape (n_items,)
        The part of each score that popularity carried (re-ranker features and retrievers).
    method : str
        How the split was computed: ``item-weights``, ``factor-solve``, ``profile``, ``reranker``,
        ``leave-one-out``.
    """

    history: np.ndarray
    contributions: np.ndarray
    popularity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    method: str = ""


def _history(row: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    row = sp.csr_matrix(row)
    keep = row.data > 0
    return row.indices[keep].astype(np.int64), row.data[keep].astype(np.float64)


def _dense_columns(weights: Any, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
    block = weights[rows][:, items]
    return np.asarray(block.toarray() if sp.issparse(block) else block, dtype=np.float64)


def _factor_solve(model: Any) -> tuple[np.ndarray, float, float] | None:
    """The item factors, regularisation and alpha of an ALS-style fold-in, or None."""
    from fuserec.fusion.text_to_factors import TextMappedFactors
    from fuserec.models.implicit_models import ALS

    if isinstance(model, ALS):
        return model.item_factors_.astype(np.float64), model.regularization, model.alpha
    if isinstance(model, TextMappedFactors) and model.can_fold_in:
        base = model._base()
        return model.item_factors_.astype(np.float64), base.regularization, base.alpha
    return None


def history_contributions(model: Any, row: sp.csr_matrix, items: np.ndarray) -> Attribution:
    """Split each of ``items``' scores for the history ``row`` (1 × the model's items) over the
    row's items, by the model's own computation (see the module notes).

    Raises
    ------
    CannotAttribute
        When the model neither decomposes nor folds in.
    """
    from fuserec.fusion.content import SemanticProfile
    from fuserec.fusion.rerank.reranker import LearnedReranker

    items = np.asarray(items, dtype=np.int64)
    hist, weights = _history(row)
    zeros = np.zeros(len(items))
    if not len(hist):
        return Attribution(hist, np.zeros((len(items), 0)), zeros, "empty")
    if isinstance(model, LearnedReranker):
        return _reranker(model, row, items, hist)
    item_weights = getattr(model, "item_weights_", None)
    if item_weights is not None:
        contrib = weights[:, None] * _dense_columns(item_weights, hist, items)
        return Attribution(hist, contrib.T, zeros, "item-weights")
    solve = _factor_solve(model)
    if solve is not None:
        y, reg, alpha = solve
        yu = y[hist]
        a = y.T @ y + reg * np.eye(y.shape[1]) + alpha * yu.T @ yu
        contrib = (1 + alpha) * (y[items] @ np.linalg.solve(a, yu.T))
        return Attribution(hist, contrib, zeros, "factor-solve")
    if isinstance(model, SemanticProfile):
        v = model.item_vectors_.astype(np.float64)
        norm = max(float(np.linalg.norm(weights @ v[hist])), 1e-12)
        return Attribution(hist, (v[items] @ v[hist].T) * weights[None, :] / norm, zeros, "profile")
    if getattr(model, "can_fold_in", False):
        return _leave_one_out(model, row, items, hist)
    raise CannotAttribute(f"{type(model).__name__} does not fold in a history, so its scores cannot be traced "
                          "to history items")


def _leave_one_out(model: Any, row: sp.csr_matrix, items: np.ndarray, hist: np.ndarray) -> Attribution:
    """Each history item's contribution as the score lost when it alone is removed."""
    row = sp.csr_matrix(row, dtype=np.float32)
    rows = sp.vstack([row] * (len(hist) + 1)).tolil()
    for n, h in enumerate(hist, 1):
        rows[n, h] = 0
    scores = model.score_histories(sp.csr_matrix(rows))[:, items].astype(np.float64)
    return Attribution(hist, (scores[0][None, :] - scores[1:]).T, np.zeros(len(items)), "leave-one-out")


def _reranker(model: Any, row: sp.csr_matrix, items: np.ndarray, hist: np.ndarray) -> Attribution:
    """Feature contributions of the ranker, traced to history items through each retriever's own
    attribution and the text features' similarities."""
    from fuserec.fusion.rerank.explain import feature_contributions

    names, per_item, side = feature_contributions(model, items, history=row)
    column = {n: j for j, n in enumerate(names)}
    contrib = np.zeros((len(items), len(hist)))
    popular = np.zeros(len(items))
    behind: dict[str, np.ndarray | None] = {}
    for name, retriever in model.fitted_.items():
        if name in POPULARITY_RETRIEVERS:
            behind[name] = None
            continue
        try:
            behind[name] = history_contributions(retriever, row, items).contributions
        except CannotAttribute:
            behind[name] = None
    position = {int(h): n for n, h in enumerate(hist)}
    recent = np.array([position[int(h)] for h in side.history[0] if int(h) in position], dtype=np.int64)
    vectors = side.vectors
    for n, (x, c) in enumerate(per_item):
        if x is None:
            continue
        for name in model.fitted_:
            share = float(c[column[f"{name}:z"]] + c[column[f"{name}:logrank"]])
            if share <= 0:
                continue
            if name in POPULARITY_RETRIEVERS:
                popular[n] += share
            elif (traced := behind[name]) is not None:
                contrib[n] += share * _shares(traced[n])
        for feature in POPULARITY_FEATURES:
            if feature in column and c[column[feature]] > 0:
                popular[n] += float(c[column[feature]])
        if vectors is not None and len(recent):
            sims = vectors[hist[recent]] @ vectors[items[n]]
            for feature in TEXT_FEATURES:
                if feature in column and c[column[feature]] > 0:
                    spread = np.zeros(len(hist))
                    if feature == "text:max_sim_history":
                        spread[recent[int(np.argmax(sims))]] = 1.0
                    else:
                        spread[recent] = _shares(sims)
                    contrib[n] += float(c[column[feature]]) * spread
    return Attribution(hist, contrib, popular, "reranker")


def _shares(values: np.ndarray) -> np.ndarray:
    """Positive parts as shares of their sum (zeros when none is positive)."""
    positive = np.maximum(np.asarray(values, dtype=np.float64), 0)
    total = positive.sum()
    return positive / total if total > 0 else positive
