"""Interactions held as CSR arrays: each user's events side by side, in the order they were read.

A log of tens of millions of events costs, as a frame, a user column, an item column and the
numbers; the user×item matrix that every model reads holds the items and numbers again. Grouped
by user, the user column is the CSR's row pointer and the frame's other columns are the CSR's own
arrays, so the dataset a big file becomes is about the size of its matrix. ``EventRows`` is that
form; ``Dataset`` builds its frame from it only when a stage asks for the frame.

Within a user, events keep the order of the file, so that ties in time keep the order they were
logged in (a sequence model and a per-user temporal split read it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from fuserec.errors import DataError, UsageError

BLOCK_EVENTS = 1 << 22
"""Events looked at a time when duplicates are resolved: the transient cost is a few arrays of this length."""


@dataclass
class EventRows:
    """Events grouped by user index: the user ``u``'s events are ``indptr[u]:indptr[u + 1]``.

    ``items`` (int32) are item indices, ``ratings`` (float32) and ``timestamps`` (int64 seconds)
    are aligned with them, or None where the data has none.
    """

    indptr: np.ndarray
    items: np.ndarray
    ratings: np.ndarray | None = None
    timestamps: np.ndarray | None = None

    @property
    def n_users(self) -> int:
        return len(self.indptr) - 1

    @property
    def n_events(self) -> int:
        return len(self.items)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays held."""
        arrays = (self.indptr, self.items, self.ratings, self.timestamps)
        return int(sum(a.nbytes for a in arrays if a is not None))

    def counts(self) -> np.ndarray:
        """Events per user index."""
        return np.diff(self.indptr)

    def item_counts(self, n_items: int) -> np.ndarray:
        """Events per item index, counted a block at a time (``bincount`` would copy the items to int64)."""
        counts = np.zeros(n_items, dtype=np.int64)
        for start in range(0, self.n_events, BLOCK_EVENTS):
            counts += np.bincount(self.items[start:start + BLOCK_EVENTS], minlength=n_items)
        return counts

    def users(self) -> np.ndarray:
        """The user index of each event (int32)."""
        return np.repeat(np.arange(self.n_users, dtype=np.int32), self.counts())

    def column(self, name: str) -> np.ndarray:
        """One column of the frame (``user``, ``item``, ``rating``, ``timestamp``) as an array."""
        if name == "user":
            return self.users()
        values = {"item": self.items, "rating": self.ratings, "timestamp": self.timestamps}.get(name)
        if values is None:
            raise UsageError(f"the interactions have no column {name!r}")
        return values

    def frame(self) -> pd.DataFrame:
        """The events as the frame ``Dataset.interactions`` holds; the arrays are shared, not copied."""
        columns: dict[str, np.ndarray] = {"user": self.users(), "item": self.items}
        if self.ratings is not None:
            columns["rating"] = self.ratings
        if self.timestamps is not None:
            columns["timestamp"] = self.timestamps
        return pd.DataFrame(columns, copy=False)

    def matrix(self, values: str, n_items: int) -> sp.csr_matrix:
        """The user×item CSR matrix with sorted indices (a copy: these arrays keep the file's order)."""
        if values == "rating" and self.ratings is not None:
            data = self.ratings.copy()
        elif values in ("rating", "binary"):
            data = np.ones(self.n_events, dtype=np.float32)
        else:
            raise UsageError(f"values must be 'rating' or 'binary', not {values!r}")
        m = sp.csr_matrix((data, self.items.copy(), self.indptr.copy()), shape=(self.n_users, n_items))
        m.sort_indices()
        m.sum_duplicates()
        return m

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the events under ``mask`` (in place; the arrays shrink, block by block)."""
        removed = np.bincount(np.searchsorted(self.indptr, np.flatnonzero(~mask), side="right") - 1,
                              minlength=self.n_users)
        for name in ("items", "ratings", "timestamps"):
            values = getattr(self, name)
            if values is not None:
                setattr(self, name, _compact(values, mask))
        self.indptr = self.indptr - np.concatenate([[0], np.cumsum(removed)])

    def drop_users(self, keep: np.ndarray) -> None:
        """Remove the users not under ``keep`` (each must have no events) from the index space."""
        if self.counts()[~keep].any():
            raise DataError("a user to be removed still has events")
        self.indptr = self.indptr[np.append(keep, True)]

    def renumber_items(self, keep: np.ndarray) -> None:
        """Remove the items not under ``keep`` (none may occur) and renumber the rest in order."""
        new = np.cumsum(keep, dtype=np.int64) - 1
        for start in range(0, self.n_events, BLOCK_EVENTS):
            block = self.items[start:start + BLOCK_EVENTS]
            if not keep[block].all():
                raise DataError("an item to be removed still has events")
            block[:] = new[block]


def _compact(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values[mask]`` written over ``values`` itself, then the array shrunk: no second full copy."""
    write = 0
    for start in range(0, len(values), BLOCK_EVENTS):
        kept = values[start:start + BLOCK_EVENTS][mask[start:start + BLOCK_EVENTS]]
        values[write:write + len(kept)] = kept
        write += len(kept)
    if values.base is None and values.flags.owndata:
        values.resize(write, refcheck=False)
        return values
    return values[:write].copy()


@dataclass
class Repeats:
    """What resolving repeated (user, item) pairs found: rows kept, repeats, exact copies, the first repeat."""

    keep: np.ndarray
    repeated_pairs: int
    exact_copies: int
    first_repeat: int | None  # event position of the earliest repeat in a user (for the "error" policy)


def resolve_repeats(rows: EventRows, n_items: int, policy: str, lines: np.ndarray | None = None) -> Repeats:
    """Find each user's repeated items and resolve them under ``policy``, a block of users at a time.

    ``keep-last`` keeps a pair's latest event (among equal times the later one read); ``mean``
    keeps its first event with the mean rating and the latest time; ``error`` only reports. In
    place for ``mean`` (the kept event's rating and time are updated). ``lines`` (each event's
    line in the file) picks the repeat that ``Repeats.first_repeat`` names: the earliest in the
    file rather than the earliest in user order.
    """
    keep = np.ones(rows.n_events, dtype=bool)
    repeated = exact = 0
    first: int | None = None
    for lo, hi in _user_blocks(rows.indptr):
        start, end = int(rows.indptr[lo]), int(rows.indptr[hi])
        if end == start:
            continue
        local = np.repeat(np.arange(hi - lo, dtype=np.int64), np.diff(rows.indptr[lo:hi + 1]))
        key = local * n_items + rows.items[start:end]
        order = np.argsort(key, kind="stable")
        same = key[order[1:]] == key[order[:-1]]
        if not same.any():
            continue
        repeated += int(same.sum())
        later = start + order[1:][same]  # events whose pair came earlier within the user
        rank = later if lines is None else lines[later]
        here = int(later[np.argmin(rank)])
        if first is None or (here < first if lines is None else lines[here] < lines[first]):
            first = here
        members = np.zeros(len(order), dtype=bool)  # positions in ``order`` of rows in a repeated pair
        members[1:] |= same
        members[:-1] |= same
        pos = start + order[members]  # grouped by pair, each pair's events in the order read
        group = np.cumsum(np.append(True, key[pos[1:] - start] != key[pos[:-1] - start])) - 1
        exact += _exact_copies(rows, pos, group)
        if policy == "keep-last":
            keep[pos] = False
            keep[pos[_last_of_groups(rows, pos, group)]] = True
        elif policy == "mean":
            keep[pos] = False
            firsts = np.flatnonzero(np.append(True, group[1:] != group[:-1]))
            keep[pos[firsts]] = True
            if rows.ratings is not None:
                sums = np.bincount(group, weights=rows.ratings[pos].astype(np.float64))
                rows.ratings[pos[firsts]] = (sums / np.bincount(group)).astype(np.float32)
            if rows.timestamps is not None:
                latest = np.full(group[-1] + 1, np.iinfo(np.int64).min)
                np.maximum.at(latest, group, rows.timestamps[pos])
                rows.timestamps[pos[firsts]] = latest
    return Repeats(keep=keep, repeated_pairs=repeated, exact_copies=exact, first_repeat=first)


def _user_blocks(indptr: np.ndarray) -> Any:
    """``(first user, end user)`` spans of about ``BLOCK_EVENTS`` events (a user is never split)."""
    n_users = len(indptr) - 1
    lo = 0
    while lo < n_users:
        hi = int(np.searchsorted(indptr, indptr[lo] + BLOCK_EVENTS, side="right")) - 1
        hi = min(max(hi, lo + 1), n_users)
        yield lo, hi
        lo = hi


def _exact_copies(rows: EventRows, pos: np.ndarray, group: np.ndarray) -> int:
    """Events of repeated pairs identical in rating and time to an earlier event of the same pair."""
    keys = [group]
    if rows.ratings is not None:
        keys.append(rows.ratings[pos].view(np.int32))
    if rows.timestamps is not None:
        keys.append(rows.timestamps[pos])
    if len(keys) == 1:
        return int(len(group) - (group[-1] + 1))
    order = np.lexsort(keys[::-1])
    same = np.ones(len(order) - 1, dtype=bool)
    for k in keys:
        same &= k[order[1:]] == k[order[:-1]]
    return int(same.sum())


def _last_of_groups(rows: EventRows, pos: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Index into ``pos`` of each pair's latest event (among equal times, the later read)."""
    keys = (pos, rows.timestamps[pos], group) if rows.timestamps is not None else (pos, group)
    order = np.lexsort(keys)
    ends = group[order]
    return order[np.append(ends[1:] != ends[:-1], True)]
