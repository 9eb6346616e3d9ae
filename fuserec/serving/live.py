"""One artifact version being served: its catalogue, indexes and live state, and the lists it answers.

`LiveModel` puts the pieces together: the catalogue (`Catalogue`) kept in step with the store
(`StoreFollower`), live popularity (`LivePopularity`), user histories (`Histories`), the routes
that rank them (`Ranker`), similar items (`similar`) and search (`Search`). Every list reads
the user's latest events from the store, which is what lets several worker processes give the
same fresh answer; `read` is that store round trip, and `recommend` ranks from what it read.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from fuserec.artifacts.trained import TrainedModel
from fuserec.events import EventStore, Stored
from fuserec.serving.catalogue import Catalogue
from fuserec.serving.explaining import ListExplainer
from fuserec.serving.following import Pulled, StoreFollower
from fuserec.serving.histories import Histories, History
from fuserec.serving.multilingual import MultilingualIndex
from fuserec.serving.popularity import LivePopularity
from fuserec.serving.ranking import Ranker
from fuserec.serving.retrieval import TUNING_QUERIES, ExactIndex, FaissIndex, build_index
from fuserec.serving.searching import Search
from fuserec.serving.settings import ServeSettings
from fuserec.serving.similar import UnknownItemError, similar

__all__ = ["History", "LiveModel", "UnknownItemError"]


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
        self.trained, self.model, self.store, self.settings = trained, trained.model, store, settings
        self.encoder = encoder
        self._encoder_lock = threading.Lock()
        self.catalogue = Catalogue(trained, self._encode if encoder is not None else None,
                                   getattr(encoder, "id", None))
        self.index = self._text_index()
        self.multilingual = (MultilingualIndex(self.catalogue, multilingual, settings.exact_below)
                             if multilingual is not None else None)
        if self.multilingual is not None and settings.multilingual == "at_start":
            self.multilingual.build_in_background()
        self.popularity = LivePopularity(trained.fallback_scores)
        # events this version was trained on (from this very store) are in the model already:
        # fold-in and live popularity start after them
        trained_on = trained.manifest.get("events") or {}
        same_store = trained_on.get("store_id") is not None and trained_on.get("store_id") == store.store_id
        self.trained_through = int(trained_on.get("through_seq", 0)) if same_store else 0
        self.follower = StoreFollower(store, self.catalogue, self.index, self.popularity, self.trained_through,
                                      settings.refresh_seconds)
        self.histories = Histories(self.model, self.catalogue, store, settings, self.trained_through)
        self.ranker = Ranker(trained, self.catalogue, self.popularity,
                             ListExplainer(self.model, trained.items, self.catalogue), settings)
        self.searcher = Search(self.catalogue, self.index, self._encode if encoder is not None else None,
                               getattr(encoder, "id", None), self.multilingual)
        self.refresh(force=True)

    def _text_index(self) -> ExactIndex | FaissIndex | None:
        """The catalogue's text vectors (the artifact's, else encoded once per machine) and their index."""
        vectors = self.trained.vectors
        if self.encoder is not None:  # the catalogue's vectors may all come from a cache, never calling it
            self._encode(["warm-up"])  # load the weights now, not on the first item or search
        if vectors is None and self.encoder is not None:
            from fuserec.semantic.cache import CachedEncoder

            cached = CachedEncoder(self.encoder)  # the catalogue's texts are encoded once per machine
            vectors = cached.encode(self.catalogue.texts, show_progress=False)
            cached.cache.close()
        if vectors is None:
            return None
        self.catalogue.vectors = np.asarray(vectors, dtype=np.float32)
        return build_index(self.catalogue.vectors, self.settings.exact_below,
                           lambda: self._encode(self.catalogue.sample_names(TUNING_QUERIES), query=True))

    @property
    def version(self) -> str:
        return self.trained.version

    @property
    def fold_ins(self) -> int:
        """Lists scored by fold-in since this version loaded."""
        return self.ranker.fold_ins

    def _encode(self, texts: list[str], query: bool = False) -> np.ndarray:
        with self._encoder_lock:  # one encoder, called from the server's worker threads
            return np.asarray(self.encoder.encode(texts, query=query, show_progress=False), dtype=np.float32)

    def item_record(self, title: str, text: str, categories: list[str] | None) -> dict[str, Any]:
        """The store record of a new item, its vector encoded here once so no worker encodes it again."""
        doc: dict[str, Any] = {"title": title, "text": text, "categories": categories}
        if self.encoder is not None and self.catalogue.vectors is not None:
            doc["vector"] = self.catalogue.vector_field(self._encode([text])[0])
        return doc

    # ---- the store: blocking reads, and applying what they found ------------------------------
    def pull(self, force: bool = False) -> Pulled | None:
        """Read the store's new items and events when ``refresh_seconds`` have passed (blocking)."""
        return self.follower.pull(force)

    def apply(self, pulled: Pulled | None) -> None:
        """Apply a `pull`: new items join the catalogue and index, events the popularity."""
        self.follower.apply(pulled)

    def refresh(self, force: bool = False) -> None:
        """`pull` and `apply` in the calling thread."""
        self.follower.refresh(force)

    def read(self, user: str) -> tuple[Pulled | None, list[Stored]]:
        """Everything a list for ``user`` needs from the store (blocking): what the store gained
        since the last look, when due, and the user's latest events."""
        return self.pull(), self.histories.read(user)

    def history(self, user: str) -> History:
        """Training interactions plus the user's latest stored events, weighted by type."""
        self.refresh()
        return self.histories.build(user, self.histories.read(user))

    # ---- lists -----------------------------------------------------------------------------------
    def recommend(self, user: str, k: int = 10, exclude: list[str] | None = None, category: str | None = None,
                  explain: bool = False, fold_in: bool = True, lang: str = "en",
                  stored: list[Stored] | None = None) -> dict[str, Any]:
        """The top-``k`` list for ``user`` in the shared JSON shape, fresh events folded in; with
        ``explain``, why each item is there (`fuserec.explain`), worded in ``lang``. ``stored`` is
        the user's events as `read` returned them; they are read here when None."""
        if stored is None:
            self.refresh()
            stored = self.histories.read(user)
        hist = self.histories.build(user, stored)
        for item in exclude or ():
            i = self.catalogue.index(item)
            if i is not None:
                hist.banned.add(i)
        return self.ranker.rank(hist, k, category, explain, fold_in, who={"user": user}, lang=lang)

    def recommend_session(self, items: list[str], k: int = 10, category: str | None = None,
                          explain: bool = False, lang: str = "en") -> dict[str, Any]:
        """The top-``k`` list for an anonymous visitor who has seen ``items`` (unknown ones ignored)."""
        hist, unknown = self.histories.session(items)
        return self.ranker.rank(hist, k, category, explain, True, who={"session": True, "unknown_items": unknown},
                                lang=lang)

    # ---- items -----------------------------------------------------------------------------------
    def similar(self, item: str, k: int = 10) -> dict[str, Any]:
        """Items most like ``item``: the model's own similarity for its items, text for new ones."""
        return similar(self.trained, self.catalogue, item, k)

    def search(self, text: str, k: int = 10) -> dict[str, Any]:
        """Items whose text is nearest to free ``text``; Chinese text through the multilingual index."""
        return self.searcher.search(text, k, self.version)
