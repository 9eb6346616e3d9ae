"""A user's history as the service sees it: the training row plus the latest stored events, weighted by type.

Reading the events (`Histories.read`) is a store round trip; building the history from them
(`Histories.build`) is arithmetic. The service does the first in a thread and the second on
the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from fuserec.artifacts.trained import lookup
from fuserec.events import EventStore, Stored
from fuserec.models.capabilities import ReadsOrder
from fuserec.serving.catalogue import Catalogue
from fuserec.serving.settings import ServeSettings


@dataclass
class History:
    """A user's interactions as the service sees them: training row and stored events."""

    user: str
    index: int | None                                   # the model's user index, if it knows the user
    weights: dict[int, float] = field(default_factory=dict)   # catalogue index -> weight, > 0
    banned: set[int] = field(default_factory=set)        # seen or disliked: never recommended
    events: int = 0
    order: list[int] = field(default_factory=list)       # catalogue indices, oldest first (sequence models)

    def row(self, n_base: int) -> sp.csr_matrix:
        """The fold-in row over the model's items."""
        cols = np.fromiter((i for i in self.weights if i < n_base), dtype=np.int64)
        vals = np.fromiter((self.weights[i] for i in cols), dtype=np.float32, count=len(cols))
        return sp.csr_matrix((vals, (np.zeros(len(cols), dtype=np.int64), cols)), shape=(1, n_base))


class Histories:
    """Builds `History` objects for users and anonymous sessions.

    Parameters
    ----------
    model : Recommender
        The served model (its ``users_`` and ``seen_``).
    catalogue : Catalogue
        Maps stored item ids to catalogue indices.
    store : EventStore
        Where the user's events are read from.
    settings : ServeSettings
        Event weights and how many recent events count.
    trained_through : int
        Events up to this arrival number are in the model already and are not read again.
    """

    def __init__(self, model, catalogue: Catalogue, store: EventStore, settings: ServeSettings,  # noqa: ANN001
                 trained_through: int) -> None:
        self.model, self.catalogue, self.store, self.settings = model, catalogue, store, settings
        self.trained_through = trained_through

    def read(self, user: str) -> list[Stored]:
        """The user's latest events after the artifact's (a store round trip)."""
        return self.store.user_events(user, limit=self.settings.max_history, after=self.trained_through)

    def build(self, user: str, stored: list[Stored]) -> History:
        """Training interactions plus ``stored`` events, weighted by type (no store access)."""
        index = lookup(self.model.users_, user)
        hist = History(user=user, index=index)
        reads_order = self.model.supports(ReadsOrder)
        if index is not None and reads_order:
            hist.order = self.model.user_sequence(index).tolist()
        if index is not None:
            seen = self.model.seen_
            start, end = seen.indptr[index], seen.indptr[index + 1]
            cols = seen.indices[start:end].tolist()
            hist.weights = dict(zip(cols, np.maximum(seen.data[start:end], 1.0).tolist(), strict=True))
            hist.banned = set(cols)
        events: dict[int, float] = {}
        weights = self.settings.event_weights
        for s in stored:
            i = self.catalogue.index(s.event.item)
            if i is None:
                continue
            weight = weights.get(s.event.type, 1.0)
            events[i] = events.get(i, 0.0) + weight * (1.0 if s.event.value is None else float(s.event.value))
            hist.banned.add(i)
        for i, w in events.items():
            if w > 0:
                hist.weights[i] = max(hist.weights.get(i, 0.0), w)
            else:
                hist.weights.pop(i, None)
        if reads_order:  # the events in arrival order, after the training sequence
            hist.order += [i for s in stored if (i := self.catalogue.index(s.event.item)) is not None
                           and events.get(i, 0.0) > 0]
        hist.events = len(stored)
        return hist

    def session(self, items: list[str]) -> tuple[History, list[str]]:
        """An anonymous visitor's history from the items seen, and the ids the catalogue lacks."""
        hist = History(user="", index=None)
        known = [self.catalogue.index(item) for item in items]
        for i in known:
            if i is not None:
                hist.weights[i] = 1.0
                hist.banned.add(i)
                hist.order.append(i)
        hist.events = sum(i is not None for i in known)
        return hist, [item for item, i in zip(items, known, strict=True) if i is None]
