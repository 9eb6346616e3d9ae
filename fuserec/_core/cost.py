"""What fitting a model costs, estimated from the data's shape before anything runs.

A model states its cost (``Recommender.cost``) as work of four kinds: dense floating-point
operations (factorisations, inverses, products of dense factors), sparse operations (a pass over
the interactions or over co-occurring pairs), gradient boosting, and texts encoded, per encoder. ``Rates`` holds how
fast this machine does each kind, measured on it (``fuserec.train.dry_run``), so that an estimate
is work over a measured speed and no speed is written into the code. Memory is what the fitted
model keeps (``resident``, added up over the models alive together) and the most its fit needs
beyond that for a while (``transient``, of which only the largest counts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

CSR_ENTRY_BYTES = 12
"""A sparse matrix entry: a float32 value and an int64 index (the index pointer aside)."""
SCORE_OPS = 64.0
"""Operations to score one user-item pair: a product of 64 factors."""


@dataclass(frozen=True)
class DataShape:
    """The sizes a cost follows.

    Attributes
    ----------
    users, items, events : int
        Users, items and distinct user-item pairs.
    co_occurrences : int
        Σ over users of their number of items squared: the pairs an item × item pass visits, and
        an upper bound on the entries of XᵀX.
    """

    users: int
    items: int
    events: int
    co_occurrences: int

    @classmethod
    def of(cls, dataset: Any) -> DataShape:
        """The shape of a ``fuserec.data.Dataset``."""
        degrees = np.diff(dataset.matrix("binary").indptr).astype(np.int64)
        return cls(int(dataset.n_users), int(dataset.n_items), int(degrees.sum()), int(degrees @ degrees))

    def share(self, fraction: float) -> DataShape:
        """The shape of ``fraction`` of the events (an inner training split)."""
        return DataShape(self.users, self.items, int(self.events * fraction), int(self.co_occurrences * fraction))


@dataclass(frozen=True)
class Cost:
    """Work and memory of one fit; ``+`` is two fits one after the other, both kept.

    ``dense`` and ``sparse`` count operations, ``boost`` rows × features × trees of gradient
    boosting, ``texts`` the catalogue's texts per encoder."""

    dense: float = 0.0
    sparse: float = 0.0
    boost: float = 0.0
    texts: Mapping[str, int] = field(default_factory=dict)
    resident: int = 0
    transient: int = 0
    notes: tuple[str, ...] = ()

    def __add__(self, other: Cost) -> Cost:
        texts = dict(self.texts)
        for name, n in other.texts.items():  # encodings are cached: an encoder's items count once
            texts[name] = max(texts.get(name, 0), n)
        return Cost(self.dense + other.dense, self.sparse + other.sparse, self.boost + other.boost, texts,
                    self.resident + other.resident, max(self.transient, other.transient), self.notes + other.notes)

    def then(self, other: Cost) -> Cost:
        """This fit, then ``other``, keeping only what ``other`` keeps."""
        texts = (self + other).texts
        peak = max(self.peak, other.peak)
        return Cost(self.dense + other.dense, self.sparse + other.sparse, self.boost + other.boost, texts,
                    other.resident, peak - other.resident, self.notes + other.notes)

    def repeated(self, times: float) -> Cost:
        """The same fit run ``times`` times in turn, one model kept at a time."""
        return Cost(self.dense * times, self.sparse * times, self.boost * times, self.texts, self.resident,
                    self.transient, self.notes)

    @property
    def peak(self) -> int:
        """Bytes at the fit's peak."""
        return self.resident + self.transient


@dataclass(frozen=True)
class Rates:
    """How fast this machine does each kind of work: dense operations and sparse ones per second,
    boosted-tree work (rows × features × trees) per second, and texts per second per encoder, with
    the share of the catalogue's texts each encoder still has to encode (the rest are cached)."""

    dense: float
    sparse: float
    boost: float
    texts: Mapping[str, float]
    uncached: Mapping[str, float] = field(default_factory=dict)

    def seconds(self, cost: Cost) -> float:
        """The estimated wall seconds of ``cost``."""
        encode = sum(n * self.uncached.get(name, 1.0) / self.texts[name] for name, n in cost.texts.items()
                     if n and name in self.texts)
        return cost.dense / self.dense + cost.sparse / self.sparse + cost.boost / self.boost + encode


def factor_bytes(shape: DataShape, factors: int) -> int:
    """Bytes of float32 user and item factors."""
    return 4 * factors * (shape.users + shape.items)


def history_bytes(shape: DataShape) -> int:
    """Bytes of the user × item matrix every fitted model keeps."""
    return CSR_ENTRY_BYTES * shape.events + 8 * (shape.users + 1)


def item_pairs_cost(shape: DataShape, neighbours: int) -> Cost:
    """An item × item pass over co-occurring pairs that keeps ``neighbours`` per item."""
    return Cost(sparse=2 * shape.co_occurrences,
                resident=history_bytes(shape) + CSR_ENTRY_BYTES * neighbours * shape.items,
                transient=CSR_ENTRY_BYTES * min(shape.co_occurrences, shape.items ** 2))
