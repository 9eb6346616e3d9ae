"""What fitting the re-ranker costs, estimated from the data's shape (``fuserec._core.cost``)."""

from __future__ import annotations

from collections.abc import Mapping

from fuserec._core.cost import SCORE_OPS, Cost, DataShape
from fuserec.models.base import Recommender

UNION_RETRIEVERS = 2
"""Retrievers' pools overlap: a user's candidates number about this many pools."""
FEATURES_PER_RETRIEVER, SIDE_FEATURES = 2, 12
"""A retriever's score and rank, and about this many features of the user, the item and their texts."""


def pipeline_cost(shape: DataShape, retrievers: Mapping[str, Recommender], folds: int, group_users: int,
                  val_size: float, pool: int, trees: int, texts: Mapping[str, int]) -> Cost:
    """Per inner split, every retriever fit on its train and scoring ``group_users`` users over
    the catalogue; the rankers boosting ``trees`` trees in all over the groups' rows; every
    retriever fit on all of train, and kept (one that tunes itself searches there, once)."""
    users = min(group_users, shape.users)
    cost = Cost(texts=texts)
    inner = shape.share(1 - val_size)
    per_fold = sum((m.cost(inner) for m in retrievers.values()), Cost())
    scoring = Cost(dense=SCORE_OPS * users * shape.items * len(retrievers), transient=8 * users * shape.items)
    rows = folds * users * pool * min(len(retrievers), UNION_RETRIEVERS)
    features = FEATURES_PER_RETRIEVER * len(retrievers) + SIDE_FEATURES
    rankers = Cost(boost=float(rows) * features * trees, transient=8 * rows * features)
    final = sum((m.cost(shape) for m in retrievers.values()), Cost())
    return cost.then((per_fold + scoring).repeated(folds)).then(rankers).then(final)
