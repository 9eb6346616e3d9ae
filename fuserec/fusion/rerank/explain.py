"""What placed an item in the re-ranker's list: the retrievers that pooled it and the features
that moved its score most.

LightGBM splits a tree ensemble's score into one additive contribution per feature (its
``pred_contrib``, the tree SHAP values); averaged over the ensemble's rankers, the largest ones
say what lifted or sank an item for this user. A retriever pooled the item when the item is in
its top ``pool``: the rank each retriever gave it is one of the features, read back here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from fuserec.errors import UsageError
from fuserec.models.attribution import Attribution, CannotAttribute, history_contributions, history_of, shares

POPULARITY_FEATURES = ("item:logpop", "item:logrecent", "text:trend_sim", "text:neighbour_recent")
POPULARITY_RETRIEVERS = ("popularity", "user-time-popularity", "time-popularity")
TEXT_FEATURES = ("text:max_sim_history", "text:mean_sim_history")

if TYPE_CHECKING:
    from fuserec.fusion.rerank.reranker import LearnedReranker


def feature_contributions(model: LearnedReranker, items: np.ndarray, user: int | None = None,
                          history: sp.csr_matrix | None = None) -> tuple[list[str], list[Any], Any]:
    """Each item's feature row and its per-feature contributions to the ranker's score (the mean
    of the ensemble's ``pred_contrib``, bias column dropped), for a training user index or a
    fresh ``history`` row; ``(None, None)`` for an item outside the pool. Also returns the `Side`
    the features were read from."""
    if history is not None:
        row = sp.csr_matrix(history)
        side, seen, users = model.side_.for_histories(row), (row > 0).astype(np.float32).tocsr(), np.array([0])
        score = lambda m, rows: m._score_histories(row[rows])  # noqa: E731
    elif user is not None:
        side, seen, users, score = model.side_, model.seen_, np.array([user]), None
    else:
        raise UsageError("explain_items needs a user index or a history row")
    _, pooled, x, _ = model._candidates(model.fitted_, side, seen, users, score)
    where = {int(i): n for n, i in enumerate(pooled)}
    rankers = model.rankers_
    if model.light_rankers_ is not None and side.user_count[users[0]] <= model.light_max:
        rankers = model.light_rankers_
    picked = [where[int(i)] for i in items if int(i) in where]
    contrib = np.mean([r.booster_.predict(x[picked], pred_contrib=True) for r in rankers], axis=0) if picked else None
    out: list[Any] = []
    for i in items:
        n = where.get(int(i))
        if n is None or contrib is None:
            out.append((None, None))
        else:
            out.append((x[n], contrib[picked.index(n), :-1]))  # the last column is the ensemble's bias
    return model.feature_names(), out, side


def explain_items(model: LearnedReranker, items: np.ndarray, user: int | None = None,
                  history: sp.csr_matrix | None = None, top: int = 3) -> list[dict[str, Any]]:
    """For one user (a training index, or a fresh ``history`` row), why each of ``items`` scored
    as it did: ``{"retrievers": [{"name", "rank"}], "features": [{"name", "value", "contribution"}]}``.

    An item outside the pool has no retriever and no features (the ranker never saw it).
    """
    names, rows, _ = feature_contributions(model, items, user, history)
    out: list[dict[str, Any]] = []
    for x, c in rows:
        if x is None:
            out.append({"retrievers": [], "features": []})
            continue
        retrievers: list[dict[str, Any]] = []
        for name in model.fitted_:
            rank = int(round(float(np.expm1(x[names.index(f"{name}:logrank")]))))
            if rank < model.pool:
                retrievers.append({"name": name, "rank": rank + 1})
        order = np.argsort(-np.abs(c))[:top]
        out.append({"retrievers": sorted(retrievers, key=lambda r: r["rank"]),
                    "features": [{"name": names[j], "value": float(x[j]), "contribution": float(c[j])}
                                 for j in order]})
    return out


def attribute(model: LearnedReranker, row: sp.csr_matrix, items: np.ndarray) -> Attribution:
    """Feature contributions of the ranker, traced to history items through each retriever's own
    attribution and the text features' similarities."""
    items = np.asarray(items, dtype=np.int64)
    hist, _ = history_of(row)
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
                contrib[n] += share * shares(traced[n])
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
                        spread[recent] = shares(sims)
                    contrib[n] += float(c[column[feature]]) * spread
    return Attribution(hist, contrib, popular, "reranker")
