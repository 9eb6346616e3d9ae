"""How much each item of a user's history contributed to a recommended item's score, read from
the model's own computation.

A model that declares `Attributes` splits its fold-in score itself; the decompositions several
models share are here:

- item-item models (EASE, item kNN, RP3beta, text-EASE): ``score_i = Σ_h r_h · B[h, i]``
  (`weights_attribution`);
- ALS-style factor models: the user's factors are one regularised least-squares solve,
  ``x = A⁻¹ (1 + α) Σ_h y_h``, so ``score_i = Σ_h (1 + α) · y_iᵀ A⁻¹ y_h`` with ``A`` held at this
  history, the decomposition implicit's ``explain`` uses (`factor_solve_attribution`);
- the semantic profile: ``score_i = Σ_h r_h · v_hᵀ v_i / ‖Σ_h r_h v_h‖`` (`profile_attribution`).

Any other model that folds in is attributed by leaving each history item out in turn and
rescoring (exact, and slower). A model that reads the order of a history (a sequence model) is
attributed the same way over the ordered history: each distinct item's every occurrence leaves
the sequence, the rest keeps its order (`sequence_leave_one_out`). A model that does none of this
cannot be attributed, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from fuserec.models.capabilities import Attributes, FoldsIn, ReadsOrder

if TYPE_CHECKING:
    from fuserec.models.base import Recommender


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
        ``leave-one-out``, ``sequence-leave-one-out``.
    """

    history: np.ndarray
    contributions: np.ndarray
    popularity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    method: str = ""


def history_of(row: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """The positive entries of a history row: item indices and their weights."""
    row = sp.csr_matrix(row)
    keep = row.data > 0
    return row.indices[keep].astype(np.int64), row.data[keep].astype(np.float64)


def history_contributions(model: Recommender, row: sp.csr_matrix, items: np.ndarray,
                          sequence: Sequence[int] | np.ndarray | None = None) -> Attribution:
    """Split each of ``items``' scores for the history ``row`` (1 × the model's items) over the
    row's items, by the model's own computation (see the module notes).

    Parameters
    ----------
    model : Recommender
        A fitted model.
    row : scipy.sparse.csr_matrix
        The history as a row over the model's items.
    items : numpy.ndarray
        Item indices whose scores are split.
    sequence : numpy.ndarray, optional
        The same history as item indices, oldest first: what a model that reads order is
        attributed over (its scores depend on the order, which the row does not hold).

    Raises
    ------
    CannotAttribute
        When the model neither attributes nor folds in, or reads order and no ``sequence`` is given.
    """
    items = np.asarray(items, dtype=np.int64)
    if model.supports(ReadsOrder):
        if sequence is None:
            raise CannotAttribute(f"{type(model).__name__} reads the order of a history, and this history "
                                  "comes without one")
        return sequence_leave_one_out(model, sequence, items)
    hist, _ = history_of(row)
    if not len(hist):
        return Attribution(hist, np.zeros((len(items), 0)), np.zeros(len(items)), "empty")
    if model.supports(Attributes):
        return model.attribute(sp.csr_matrix(row), items)
    if model.supports(FoldsIn):
        return leave_one_out(model, row, items)
    raise CannotAttribute(f"{type(model).__name__} does not fold in a history, so its scores cannot be traced "
                          "to history items")


def sequence_leave_one_out(model: Recommender, sequence: Sequence[int] | np.ndarray, items: np.ndarray) -> Attribution:
    """Each distinct item of an ordered history, credited with the score lost when every occurrence
    of it leaves the sequence (the other items keep their order); the history is listed by each
    item's latest position, oldest first."""
    seq = np.asarray(sequence, dtype=np.int64)
    last = {int(h): n for n, h in enumerate(seq)}  # an item's latest position
    hist = np.array(sorted(last, key=last.__getitem__), dtype=np.int64)
    if not len(hist):
        return Attribution(hist, np.zeros((len(items), 0)), np.zeros(len(items)), "empty")
    variants = [seq] + [seq[seq != h] for h in hist]
    scores = np.asarray(model.score_sequences(variants), dtype=np.float64)[:, items]
    return Attribution(hist, (scores[0][None, :] - scores[1:]).T, np.zeros(len(items)), "sequence-leave-one-out")


def weights_attribution(weights: Any, row: sp.csr_matrix, items: np.ndarray) -> Attribution:
    """``score_i = Σ_h r_h · B[h, i]`` split by ``h``."""
    hist, w = history_of(row)
    block = weights[hist][:, items]
    dense = np.asarray(block.toarray() if sp.issparse(block) else block, dtype=np.float64)
    return Attribution(hist, (w[:, None] * dense).T, np.zeros(len(items)), "item-weights")


def factor_solve_attribution(item_factors: np.ndarray, regularization: float, alpha: float,
                             row: sp.csr_matrix, items: np.ndarray) -> Attribution:
    """An ALS fold-in's score split over the history's items (the solve held at this history)."""
    hist, _ = history_of(row)
    y = np.asarray(item_factors, dtype=np.float64)
    yu = y[hist]
    a = y.T @ y + regularization * np.eye(y.shape[1]) + alpha * yu.T @ yu
    contrib = (1 + alpha) * (y[items] @ np.linalg.solve(a, yu.T))
    return Attribution(hist, contrib, np.zeros(len(items)), "factor-solve")


def profile_attribution(vectors: np.ndarray, row: sp.csr_matrix, items: np.ndarray) -> Attribution:
    """A text profile's cosine split over the history's items."""
    hist, w = history_of(row)
    v = np.asarray(vectors, dtype=np.float64)
    norm = max(float(np.linalg.norm(w @ v[hist])), 1e-12)
    return Attribution(hist, (v[items] @ v[hist].T) * w[None, :] / norm, np.zeros(len(items)), "profile")


def leave_one_out(model: Recommender, row: sp.csr_matrix, items: np.ndarray) -> Attribution:
    """Each history item's contribution as the score lost when it alone is removed."""
    hist, _ = history_of(row)
    row = sp.csr_matrix(row, dtype=np.float32)
    rows = sp.vstack([row] * (len(hist) + 1)).tolil()
    for n, h in enumerate(hist, 1):
        rows[n, h] = 0
    scores = model.score_histories(sp.csr_matrix(rows))[:, items].astype(np.float64)
    return Attribution(hist, (scores[0][None, :] - scores[1:]).T, np.zeros(len(items)), "leave-one-out")


def shares(values: np.ndarray) -> np.ndarray:
    """Positive parts as shares of their sum (zeros when none is positive)."""
    positive = np.maximum(np.asarray(values, dtype=np.float64), 0)
    total = positive.sum()
    return positive / total if total > 0 else positive
