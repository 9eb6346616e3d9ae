"""Following the store: items added or changed through the API join the catalogue, new events the popularity.

Every worker process reads the same store, so each one catches up on its own, at most every
``refresh_seconds``. Reading (`StoreFollower.pull`) and applying (`StoreFollower.apply`) are
separate steps: the service reads in a thread, off the event loop, and applies on the loop,
where the lists that use the catalogue are ranked, so a list never sees a half-applied change.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from fuserec.events import EventStore, Stored
from fuserec.serving.catalogue import Catalogue
from fuserec.serving.popularity import LivePopularity


@dataclass(frozen=True)
class Pulled:
    """What one look at the store found: item records and events newer than the last look."""

    items: list[tuple[int, str, dict[str, Any]]]
    events: list[Stored]


class StoreFollower:
    """Keeps a catalogue, its text index and the live popularity in step with the store.

    Parameters
    ----------
    store : EventStore
        The store every worker writes to.
    catalogue : Catalogue
        The catalogue new items join.
    index : ExactIndex or FaissIndex or None
        The text index new items' vectors join.
    popularity : LivePopularity
        Counts each new event.
    seen_seq : int
        Events up to this arrival number are already counted (the artifact was trained on them).
    every : float
        Seconds between looks, unless forced.
    """

    def __init__(self, store: EventStore, catalogue: Catalogue, index: Any, popularity: LivePopularity,
                 seen_seq: int, every: float) -> None:
        self.store, self.catalogue, self.index, self.popularity = store, catalogue, index, popularity
        self.seen_seq = seen_seq
        self.every = every
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def pull(self, force: bool = False) -> Pulled | None:
        """Read what the store gained since the last look, or None when the last look is recent."""
        now = time.monotonic()
        with self._lock:
            if not force and now - self._checked < self.every:
                return None
            self._checked = now
            rev, seq = self.catalogue.rev, self.seen_seq
        items = self.store.items_since(rev)
        events: list[Stored] = []
        while True:
            batch = self.store.since(seq, limit=10_000)
            if not batch:
                return Pulled(items, events)
            events += batch
            seq = batch[-1].seq

    def apply(self, pulled: Pulled | None) -> None:
        """Apply a `pull`'s findings; what an earlier pull already applied is skipped."""
        if pulled is None:
            return
        with self._lock:
            cat = self.catalogue
            fresh = cat.apply([change for change in pulled.items if change[0] > cat.rev])
            if fresh and self.index is not None and cat.vectors is not None:
                self.index.add(cat.vectors[len(self.index):])
            events = [s for s in pulled.events if s.seq > self.seen_seq]
            if not events:
                return
            self.seen_seq = events[-1].seq
            found = (cat.index(s.event.item) for s in events)
            self.popularity.count(np.fromiter((i for i in found if i is not None), dtype=np.int64), len(cat))

    def refresh(self, force: bool = False) -> None:
        """`pull` and `apply` in the calling thread."""
        self.apply(self.pull(force))
