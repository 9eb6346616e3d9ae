"""Users' histories as ordered item sequences, and the padded batches a sequence model reads."""

from __future__ import annotations

import numpy as np

from fuserec.data.dataset import Dataset


def user_sequences(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Each user's items in time order, as ``(indptr, items)``: user ``u``'s sequence is
    ``items[indptr[u]:indptr[u + 1]]``. Ties in time keep the order of the rows (the input
    file's); with no timestamps, the row order is the order."""
    inter = ds.interactions
    users = inter["user"].to_numpy(np.int64)
    rows = np.arange(len(users))
    order = np.lexsort((rows, inter["timestamp"].to_numpy(), users)) if ds.has_timestamps else \
        np.lexsort((rows, users))
    indptr = np.zeros(ds.n_users + 1, dtype=np.int64)
    np.cumsum(np.bincount(users, minlength=ds.n_users), out=indptr[1:])
    return indptr, inter["item"].to_numpy(np.int64)[order]


def drop_last(indptr: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every sequence without its last item, and that item per user (``-1`` for an empty one):
    the validation target a sequence model carves from its training data."""
    lengths = np.diff(indptr)
    last = np.where(lengths > 0, items[np.maximum(indptr[1:] - 1, 0)], -1)
    keep = np.ones(len(items), dtype=bool)
    keep[indptr[1:][lengths > 0] - 1] = False
    trimmed = np.zeros_like(indptr)
    np.cumsum(np.maximum(lengths - 1, 0), out=trimmed[1:])
    return trimmed, items[keep], last


def padded(indptr: np.ndarray, items: np.ndarray, users: np.ndarray, width: int,
           pad: int) -> tuple[np.ndarray, np.ndarray]:
    """The last ``width`` items of each user's sequence, right-padded with ``pad`` to the longest
    of them (not to ``width``: a batch of short histories stays short), and their lengths."""
    ends = indptr[users + 1]
    take = np.minimum(ends - indptr[users], width)
    out = np.full((len(users), max(int(take.max(initial=0)), 1)), pad, dtype=np.int64)
    rows = np.repeat(np.arange(len(users)), take)
    offsets = np.arange(int(take.sum())) - np.repeat(np.cumsum(take) - take, take)
    out[rows, offsets] = items[np.repeat(ends - take, take) + offsets]
    return out, take


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Users (indices into ``lengths``) in batches of similar length, in random order: sorted by
    length with ties broken at random, cut into batches, and the batches shuffled, so that each
    batch pads little and an epoch still sees the users in a new order."""
    order = np.lexsort((rng.random(len(lengths)), lengths))
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]
