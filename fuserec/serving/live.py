"""One artifact version being served: recommendations that fold in the store's fresh events.

Every request reads the user's latest events from the store (which is what lets several worker
processes give the same fresh answer) and, when there are any, scores the user from their
history row, training interactions plus events, through the model's fold-in
(`Recommender.score_histories`). Items added through the API have no column in the model; they
enter a list through the cold-start route: ranked by how their text compares with the user's
history, and placed where that text rank puts them among the model's items.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from fuserec.artifacts.trained import TrainedModel, lookup
from fuserec.semantic.language import is_chinese
from fuserec.serving.catalogue import Catalogue
from fuserec.serving.explaining import ListExplainer
from fuserec.serving.multilingual import MultilingualIndex
from fuserec.serving.retrieval import ExactIndex, FaissIndex, build_index
from fuserec.serving.settings import ServeSettings
from fuserec.serving.store import EventStore


class UnknownItemError(KeyError):
    """An item id the service does not know; the message names it."""


@dataclass
class History:
    """A user's interactions as the service sees them: training row and stored events."""

    user: str
    index: int | None                                   # the model's user index, if it knows the user
    weights: dict[int, float] = field(default_factory=dict)   # catalogue index -> weight, > 0
    banned: set[int] = field(default_factory=set)        # seen or disliked: never recommended
    events: int = 0

    def row(self, n_base: int) -> sp.csr_matrix:
        """The fold-in row over the model's items."""
        cols = np.fromiter((i for i in self.weights if i < n_base), dtype=np.int64)
        vals = np.fromiter((self.weights[i] for i in cols), dtype=np.float32, count=len(cols))
        return sp.csr_matrix((vals, (np.zeros(len(cols), dtype=np.int64), cols)), shape=(1, n_base))


def _top(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0)
    part = np.argpartition(-scores, k - 1)[:k]
    order = part[np.argsort(-scores[part], kind="stable")]
    order = order[np.isfinite(scores[order])]
    return order, scores[order]


class LiveModel:
    """A loaded artifact with its catalogue, text index and live popularity.

    Parameters
    ----------
    trained : TrainedModel
        The artifact version.
    store : EventStore
        Where events and API-added items are kept.
    settings : ServeSettings
        Weights, limits and intervals.
    encoder : Encoder or None
        Encodes new items' text and search queries; None turns those routes off.
    multilingual : callable or None
        Returns the multilingual encoder, for search queries in Chinese (see
        `MultilingualIndex`); None answers them with ``encoder``.
    """

    def __init__(self, trained: TrainedModel, store: EventStore, settings: ServeSettings, encoder: Any = None,
                 multilingual: Any = None) -> None:
        self.trained = trained
        self.model = trained.model
        self.store = store
        self.settings = settings
        self.encoder = encoder
        self._encoder_lock = threading.Lock()
        self.catalogue = Catalogue(trained, self._encode if encoder is not None else None,
                                   getattr(encoder, "id", None))
        vectors = trained.vectors
        if encoder is not None:  # the catalogue's vectors may all come from a cache, never calling it
            self._encode(["warm-up"])  # load the weights now, not on the first item or search
        if vectors is None and encoder is not None:
            from fuserec.semantic.cache import CachedEncoder

            cached = CachedEncoder(encoder)  # the catalogue's texts are encoded once per machine
            vectors = cached.encode(self.catalogue.texts, show_progress=False)
            cached.cache.close()
        self.index: ExactIndex | FaissIndex | None = None
        self.catalogue.vectors = None
        if vectors is not None:
            self.catalogue.vectors = np.asarray(vectors, dtype=np.float32)
            self.index = build_index(self.catalogue.vectors, settings.exact_below)
        self.multilingual = (MultilingualIndex(self.catalogue, multilingual, settings.exact_below)
                             if multilingual is not None else None)
        if self.multilingual is not None and settings.multilingual == "at_start":
            self.multilingual.build_in_background()
        self.explainer = ListExplainer(self.model, trained.items, self.catalogue)
        self.popularity = np.asarray(trained.fallback_scores, dtype=np.float64).copy()
        # events this version was trained on (from this very store) are in the model already:
        # fold-in and live popularity start after them
        trained_on = trained.manifest.get("events") or {}
        same_store = trained_on.get("store_id") is not None and trained_on.get("store_id") == store.store_id
        self.trained_through = int(trained_on.get("through_seq", 0)) if same_store else 0
        self._seen_seq = self.trained_through
        self._checked = 0.0
        self._lock = threading.Lock()
        self.fold_ins = 0
        self.refresh(force=True)

    @property
    def version(self) -> str:
        return self.trained.version

    def _encode(self, texts: list[str], query: bool = False) -> np.ndarray:
        with self._encoder_lock:  # one encoder, called from the server's worker threads
            return np.asarray(self.encoder.encode(texts, query=query, show_progress=False), dtype=np.float32)

    def item_record(self, title: str, text: str, categories: list[str] | None) -> dict[str, Any]:
        """The store record of a new item, its vector encoded here once so no worker encodes it again."""
        doc: dict[str, Any] = {"title": title, "text": text, "categories": categories}
        if self.encoder is not None and self.catalogue.vectors is not None:
            doc["vector"] = self.catalogue.vector_field(self._encode([text])[0])
        return doc

    # ---- keeping up with the store -------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Read items and events the store gained since the last look (at most every
        ``refresh_seconds``): new items join the catalogue and index, events the popularity."""
        now = time.monotonic()
        if not force and now - self._checked < self.settings.refresh_seconds:
            return
        with self._lock:
            if not force and now - self._checked < self.settings.refresh_seconds:
                return
            self._checked = now
            fresh = self.catalogue.apply(self.store.items_since(self.catalogue.rev))
            if fresh and self.index is not None and self.catalogue.vectors is not None:
                self.index.add(self.catalogue.vectors[len(self.index):])
            while True:
                batch = self.store.since(self._seen_seq, limit=10_000)
                if not batch:
                    break
                self._seen_seq = batch[-1].seq
                grown = len(self.catalogue) - len(self.popularity)
                if grown > 0:
                    self.popularity = np.append(self.popularity, np.zeros(grown))
                for stored in batch:
                    i = self.catalogue.index(stored.event.item)
                    if i is not None:
                        self.popularity[i] += 1.0

    # ---- a user's state ------------------------------------------------------------------------
    def history(self, user: str) -> History:
        """Training interactions plus the user's latest stored events, weighted by type."""
        self.refresh()
        index = lookup(self.model.users_, user)
        hist = History(user=user, index=index)
        if index is not None:
            seen = self.model.seen_
            start, end = seen.indptr[index], seen.indptr[index + 1]
            cols = seen.indices[start:end].tolist()
            hist.weights = dict(zip(cols, np.maximum(seen.data[start:end], 1.0).tolist(), strict=True))
            hist.banned = set(cols)
        events: dict[int, float] = {}
        stored = self.store.user_events(user, limit=self.settings.max_history, after=self.trained_through)
        for s in stored:
            i = self.catalogue.index(s.event.item)
            if i is None:
                continue
            weight = self.settings.event_weights.get(s.event.type, 1.0)
            events[i] = events.get(i, 0.0) + weight * (1.0 if s.event.value is None else float(s.event.value))
            hist.banned.add(i)
        for i, w in events.items():
            if w > 0:
                hist.weights[i] = max(hist.weights.get(i, 0.0), w)
            else:
                hist.weights.pop(i, None)
        hist.events = len(stored)
        return hist

    # ---- lists -----------------------------------------------------------------------------------
    def recommend(self, user: str, k: int = 10, exclude: list[str] | None = None, category: str | None = None,
                  explain: bool = False, fold_in: bool = True, lang: str = "en") -> dict[str, Any]:
        """The top-``k`` list for ``user`` in the shared JSON shape, fresh events folded in; with
        ``explain``, why each item is there (`fuserec.explain`), worded in ``lang``."""
        hist = self.history(user)
        for item in exclude or ():
            i = self.catalogue.index(item)
            if i is not None:
                hist.banned.add(i)
        return self._rank(hist, k, category, explain, fold_in, head={"user": user}, lang=lang)

    def recommend_session(self, items: list[str], k: int = 10, category: str | None = None,
                          explain: bool = False, lang: str = "en") -> dict[str, Any]:
        """The top-``k`` list for an anonymous visitor who has seen ``items`` (unknown ones ignored)."""
        self.refresh()
        hist = History(user="", index=None)
        known = [self.catalogue.index(item) for item in items]
        for i in known:
            if i is not None:
                hist.weights[i] = 1.0
                hist.banned.add(i)
        hist.events = sum(i is not None for i in known)
        unknown = [item for item, i in zip(items, known, strict=True) if i is None]
        return self._rank(hist, k, category, explain, True, head={"session": True, "unknown_items": unknown},
                          lang=lang)

    def _rank(self, hist: History, k: int, category: str | None, explain: bool, fold_in: bool,
              head: dict[str, Any], lang: str = "en") -> dict[str, Any]:
        cat = self.catalogue
        allowed = cat.allowed(category)
        n_base = cat.n_base
        visible = bool(allowed[:n_base].all())  # no category filter or hidden item narrows the model's items
        banned = np.fromiter(hist.banned, dtype=np.int64, count=len(hist.banned))
        allowed[banned] = False
        base_allowed = allowed[:n_base]
        route, fallback_reason = "model", None
        indptr = self.model.seen_.indptr
        has_training = hist.index is not None and indptr[hist.index + 1] > indptr[hist.index]
        base_weights = any(i < n_base for i in hist.weights)
        fold_in = fold_in and self.settings.fold_in
        if hist.events and fold_in and self.model.can_fold_in and base_weights:
            scores = np.asarray(self.model.score_histories(hist.row(n_base))[0], dtype=np.float64)
            scores[~base_allowed] = -np.inf
            idx, val = _top(scores, k)
            route = "fold-in"
            self.fold_ins += 1
        elif has_training and hist.index is not None:
            # banned holds the training row; only what it holds beyond that needs masking
            extra = len(banned) > indptr[hist.index + 1] - indptr[hist.index]
            exclude = None
            if extra:
                base = banned[banned < n_base]
                exclude = sp.csr_matrix((np.ones(len(base), np.float32), (np.zeros(len(base), np.int64), base)),
                                        shape=(1, n_base))
            i2, v2 = self.model.recommend_indices(np.array([hist.index]), k, True, exclude=exclude,
                                                  candidates=None if visible else base_allowed)
            keep = (i2[0] >= 0) & np.isfinite(v2[0])
            idx, val = i2[0][keep], v2[0][keep].astype(np.float64)
        else:
            scores = self.popularity[:n_base].copy()
            scores[~base_allowed] = -np.inf
            idx, val = _top(scores, k)
            route = "fallback"
            fallback_reason = ("unknown user" if hist.index is None else "no training interactions") \
                if not hist.events else "no history the model can read"
        entries = [self._entry(int(i), float(s), route) for i, s in zip(idx, val, strict=True)]
        entries = self._with_new_items(entries, hist, allowed, k)
        if explain:
            row = hist.row(n_base) if route != "model" else None
            found = self.explainer.explain(entries, route, hist.index, row, lang)
            for entry in entries:
                entry["explain"] = {"route": entry["route"], **found[entry["_i"]]}
        for rank, entry in enumerate(entries, 1):
            entry["rank"] = rank
            entry.pop("_i", None)
        head = {**head, "model": self.trained.name, "model_version": self.version, "k": k}
        return {**head, "fallback": route == "fallback", "fallback_reason": fallback_reason,
                "folded_in": route == "fold-in", "items": entries}

    def _entry(self, i: int, score: float, route: str) -> dict[str, Any]:
        return {"rank": 0, "item": self.catalogue.ids[i], "title": self.catalogue.titles[i], "score": score,
                "route": route, "_i": i}

    def _profile(self, hist: History) -> np.ndarray | None:
        vectors = self.catalogue.vectors
        if vectors is None or not hist.weights:
            return None
        cols = np.fromiter(hist.weights, dtype=np.int64)
        w = np.fromiter((hist.weights[i] for i in cols), dtype=np.float64, count=len(cols))
        profile = (w[:, None] * vectors[cols]).sum(axis=0)
        norm = np.linalg.norm(profile)
        return profile / norm if norm > 0 else None

    def _with_new_items(self, entries: list[dict[str, Any]], hist: History, allowed: np.ndarray,
                        k: int) -> list[dict[str, Any]]:
        """Place API-added items where their text rank among the model's items puts them."""
        cat = self.catalogue
        new = np.flatnonzero(allowed[cat.n_base:]) + cat.n_base
        profile = self._profile(hist) if len(new) else None
        if profile is None or cat.vectors is None:
            return entries[:k]
        text = cat.vectors @ profile
        base_text = np.sort(text[:cat.n_base][allowed[:cat.n_base]])
        merged = list(entries)
        for i in sorted(new, key=lambda j: -text[j]):
            rank = int(len(base_text) - np.searchsorted(base_text, text[i], side="right"))
            if rank < k:
                merged.insert(min(rank, len(merged)), self._entry(int(i), float(text[i]), "cold-start text"))
        return merged[:k]

    # ---- items -----------------------------------------------------------------------------------
    def similar(self, item: str, k: int = 10) -> dict[str, Any]:
        """Items most like ``item``: the model's own similarity for its items, text for new ones."""
        self.refresh()
        i = self.catalogue.index(item)
        if i is None:
            raise UnknownItemError(f"unknown item {item!r}")
        allowed = self.catalogue.allowed(None)
        allowed[i] = False
        if i < self.catalogue.n_base:
            scores, method = self.trained._similarity(i)
            scores = np.asarray(scores, dtype=np.float64).ravel().copy()
            scores[~allowed[:self.catalogue.n_base]] = -np.inf
        elif self.catalogue.vectors is not None:
            scores, method = self.catalogue.vectors @ self.catalogue.vectors[i], "text"
            scores = scores.astype(np.float64)
            scores[~allowed] = -np.inf
        else:
            scores, method = np.full(len(self.catalogue), -np.inf), "none"
        idx, val = _top(scores, k)
        entries = [self._entry(int(j), float(s), method) for j, s in zip(idx, val, strict=True)]
        for rank, entry in enumerate(entries, 1):
            entry["rank"] = rank
            entry.pop("_i")
        return {"item": self.catalogue.ids[i], "title": self.catalogue.titles[i], "model": self.trained.name,
                "model_version": self.version, "method": method, "items": entries}

    def search(self, text: str, k: int = 10) -> dict[str, Any]:
        """Items whose text is nearest to free ``text``; Chinese text through the multilingual index."""
        self.refresh()
        extra = int(self.catalogue.hidden.sum())
        if self.multilingual is not None and is_chinese(text):
            idx, val = self.multilingual.search(text, k + extra)
            kind, encoder = self.multilingual.kind, self.multilingual.encoder.id
        elif self.index is None or self.encoder is None:
            raise LookupError("search needs an encoder: install fuserec[text] or serve a model that reads text")
        else:
            idx, val = self.index.search(self._encode([text], query=True)[0], k + extra)
            idx, val = idx[0], val[0]
            kind, encoder = self.index.kind, self.encoder.id
        hits = [(int(i), float(s)) for i, s in zip(idx, val, strict=True)
                if 0 <= i < len(self.catalogue) and not self.catalogue.hidden[i]][:k]
        entries = [self._entry(i, s, "text") for i, s in hits]
        for rank, entry in enumerate(entries, 1):
            entry["rank"] = rank
            entry.pop("_i")
        return {"query": text, "model_version": self.version, "retrieval": kind, "encoder": encoder,
                "items": entries}
