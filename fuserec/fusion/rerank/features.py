"""Features of a (user, candidate) pair for the re-ranker, and what they are computed from.

``Side`` holds what the features need from one training set (counts, ages, each user's latest
items, item text vectors, topics, keywords); ``feature_names`` names the columns
``fuserec.fusion.rerank.candidates.pool_candidates`` builds, in order.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

from fuserec.data.dataset import Dataset
from fuserec.fusion.content import text_trend
from fuserec.models.popularity import recent_counts

DAY = 86_400.0
HISTORY = 50  # latest items of a user compared with each candidate by text


class Side:
    """What the features need from one training set: counts, ages, user histories, text."""

    def __init__(self, train: Dataset, vectors: np.ndarray | None, topics: np.ndarray | None,
                 keywords: sp.csr_matrix | None = None) -> None:
        inter = train.interactions
        users, items = inter["user"].to_numpy(), inter["item"].to_numpy()
        self.item_count = np.bincount(items, minlength=train.n_items).astype(np.float32)
        self.user_count = np.bincount(users, minlength=train.n_users).astype(np.float32)
        logpop = np.log1p(self.item_count)
        self.user_taste = (np.bincount(users, weights=logpop[items], minlength=train.n_users)
                           / np.maximum(self.user_count, 1)).astype(np.float32)
        self.item_recent = recent_counts(train)
        self.item_age = np.full(train.n_items, -1.0, dtype=np.float32)
        self.user_idle = np.full(train.n_users, -1.0, dtype=np.float32)  # days since the user's latest
        if train.has_timestamps and len(inter):
            ts = inter["timestamp"].to_numpy(np.float64)
            now = ts.max()
            first = np.full(train.n_items, np.inf)
            np.minimum.at(first, items, ts)
            self.item_age = np.where(np.isfinite(first), (now - first) / DAY, -1.0).astype(np.float32)
            latest = np.full(train.n_users, -np.inf)
            np.maximum.at(latest, users, ts)
            self.user_idle = np.where(np.isfinite(latest), (now - latest) / DAY, -1.0).astype(np.float32)
            order = np.lexsort((ts, users))
        else:
            order = np.argsort(users, kind="stable")
        # each user's latest HISTORY items, for the text max-similarity feature
        su, si = users[order], items[order]
        starts = np.searchsorted(su, np.arange(train.n_users))
        ends = np.searchsorted(su, np.arange(train.n_users), side="right")
        self.history = [si[max(s, e - HISTORY):e] for s, e in zip(starts, ends, strict=True)]
        self.vectors = vectors
        self.topics = topics
        if vectors is not None:
            self.item_trend_sim, self.item_neighbour_recent = text_trend(vectors, self.item_count, self.item_recent)
        if topics is not None:
            n_topics = int(topics.max()) + 1
            dist = sp.csr_matrix((np.ones(len(items)), (users, topics[items])), shape=(train.n_users, n_topics))
            dist = np.asarray(dist.todense(), dtype=np.float32)
            self.user_topics = dist / np.maximum(dist.sum(axis=1, keepdims=True), 1)
        self.item_keywords = keywords
        if keywords is not None:  # the share of the user's items that carry each keyword
            self.user_keywords = keyword_share((train.matrix("binary") > 0).astype(np.float32), keywords)

    def for_histories(self, histories: sp.csr_matrix) -> Side:
        """The same item side with users replaced by ``histories``' rows (training interactions
        plus fresh events, over the model's items): what the user features read for a user whose
        history changed since training. The users are active now (``user_idle`` is 0); a row
        carries no order, so the text features compare with up to ``HISTORY`` of its items."""
        rows = sp.csr_matrix(histories)
        binary = rows.copy()
        binary.data = (binary.data > 0).astype(np.float32)
        binary.eliminate_zeros()
        out = copy.copy(self)
        out.user_count = np.diff(binary.indptr).astype(np.float32)
        out.user_taste = (np.asarray(binary @ np.log1p(self.item_count)).ravel()
                          / np.maximum(out.user_count, 1)).astype(np.float32)
        out.user_idle = np.zeros(rows.shape[0], dtype=np.float32)
        bounds = zip(binary.indptr[:-1], binary.indptr[1:], strict=True)
        out.history = [binary.indices[a:b][-HISTORY:] for a, b in bounds]
        if self.topics is not None:
            n_topics = int(self.topics.max()) + 1
            onehot = sp.csr_matrix((np.ones(len(self.topics)), (np.arange(len(self.topics)), self.topics)),
                                   shape=(len(self.topics), n_topics))
            dist = np.asarray((binary @ onehot).todense(), dtype=np.float32)
            out.user_topics = dist / np.maximum(dist.sum(axis=1, keepdims=True), 1)
        if self.item_keywords is not None:
            out.user_keywords = keyword_share(binary, self.item_keywords)
        return out


def keyword_share(seen: sp.csr_matrix, keywords: sp.csr_matrix) -> sp.csr_matrix:
    """Users × keywords: the share of each user's distinct items (``seen``, binary) carrying each keyword."""
    distinct = np.maximum(np.diff(seen.indptr), 1).astype(np.float32)
    return sp.csr_matrix(sp.diags(1 / distinct) @ (seen @ keywords))


def feature_names(retrievers: Iterable[str], semantic: bool, keywords: bool) -> list[str]:
    """Column names: per retriever its z-score and log rank, then item and user features, then
    (``semantic``) the text features and (``keywords``) the keyword overlap."""
    names = []
    for r in retrievers:
        names += [f"{r}:z", f"{r}:logrank"]
    names += ["item:logpop", "item:logrecent", "item:age_days", "user:logcount", "user:taste_logpop",
              "user:idle_days"]
    if semantic:
        names += ["text:max_sim_history", "text:mean_sim_history", "text:topic_share", "text:trend_sim",
                  "text:neighbour_recent"]
        if keywords:
            names.append("text:keyword_overlap")
    return names


def history_sim(side: Side, users: np.ndarray, rows: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Highest and mean text cosine between each candidate and the user's latest items (0 without history).

    ``rows`` index ``users`` and are sorted; ``items`` are the candidates, one per row.
    """
    assert side.vectors is not None
    out = np.zeros(len(rows), dtype=np.float32)
    mean = np.zeros(len(rows), dtype=np.float32)
    starts = np.searchsorted(rows, np.arange(len(users)))
    ends = np.searchsorted(rows, np.arange(len(users)), side="right")
    for r, user in enumerate(users):  # one matrix product per user, not per pair
        hist = side.history[user]
        if len(hist) and ends[r] > starts[r]:
            sims = side.vectors[items[starts[r]:ends[r]]] @ side.vectors[hist].T
            out[starts[r]:ends[r]] = sims.max(axis=1)
            mean[starts[r]:ends[r]] = sims.mean(axis=1)
    return out, mean


def keyword_overlap(side: Side, users: np.ndarray, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Mean, over a candidate's keywords, of the share of the user's items that carry the keyword."""
    assert side.item_keywords is not None
    mine = side.user_keywords[users].toarray()  # the batch's users × vocabulary
    kw = side.item_keywords[items]
    n = np.diff(kw.indptr)
    pair = np.repeat(np.arange(len(items)), n)
    total = np.bincount(pair, weights=mine[rows[pair], kw.indices], minlength=len(items))
    return (total / np.maximum(n, 1)).astype(np.float32)
