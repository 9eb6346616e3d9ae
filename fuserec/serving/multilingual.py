"""A second text index of the catalogue for queries the serving encoder cannot read.

The encoder a model was trained with is usually English-only (MiniLM places a Chinese sentence
nowhere near its translation), so a Chinese search through it returns noise. This index encodes
the same catalogue with the multilingual encoder and answers those queries. Encoding a catalogue
with it takes minutes on a CPU, so the index is built when the first such query arrives (or at
start, in the background, when the settings ask), through the embedding cache, which makes every
later build on the machine a lookup. Items added through the API since the build are encoded
when the next query needs them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from fuserec.serving.catalogue import Catalogue
from fuserec.serving.retrieval import TUNING_QUERIES, ExactIndex, FaissIndex, build_index

log = logging.getLogger("fuserec.serving")

MULTILINGUAL_ENCODER = "e5"


class MultilingualIndex:
    """The catalogue under the multilingual encoder, built on first use.

    Parameters
    ----------
    catalogue : Catalogue
        The servable items (their texts are what is encoded).
    make_encoder : callable
        Returns the multilingual encoder; called on first use, so a service that never sees such
        a query never loads its weights.
    exact_below : int
        Catalogues smaller than this are searched exactly, larger ones through faiss.
    """

    def __init__(self, catalogue: Catalogue, make_encoder: Callable[[], Any], exact_below: int) -> None:
        self.catalogue = catalogue
        self.make_encoder = make_encoder
        self.encoder: Any = None
        self.exact_below = exact_below
        self.index: ExactIndex | FaissIndex | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Whether the catalogue has been encoded (new items may still be waiting)."""
        return self.index is not None

    @property
    def kind(self) -> str:
        """The retrieval behind the index (``exact`` or a faiss kind); ``none`` before the build."""
        return self.index.kind if self.index is not None else "none"

    def build_in_background(self) -> threading.Thread:
        """Start encoding the catalogue now, so the first query does not wait for it."""
        thread = threading.Thread(target=self._catch_up, name="fuserec-multilingual", daemon=True)
        thread.start()
        return thread

    def _catch_up(self) -> ExactIndex | FaissIndex:
        with self._lock:  # one build; a query arriving meanwhile waits for it instead of starting another
            return self._catch_up_locked()

    def _catch_up_locked(self) -> ExactIndex | FaissIndex:
        from fuserec.semantic.cache import CachedEncoder

        if self.encoder is None:
            self.encoder = self.make_encoder()
        done = 0 if self.index is None else len(self.index)
        texts = self.catalogue.texts[done:]
        if texts or self.index is None:
            if self.index is None:
                log.info("encoding %d item texts for multilingual search", len(texts))
            cached = CachedEncoder(self.encoder)
            try:
                vectors = np.asarray(cached.encode(texts, show_progress=False), dtype=np.float32)
            finally:
                cached.cache.close()
            if self.index is None:
                self.index = build_index(vectors, self.exact_below, lambda: np.asarray(self.encoder.encode(
                    self.catalogue.sample_names(TUNING_QUERIES), query=True, show_progress=False), dtype=np.float32))
            elif len(vectors):
                self.index.add(vectors)
        return self.index

    def search(self, text: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items nearest to ``text``: indices (``-1`` pads) and cosine scores, best first."""
        with self._lock:  # the encoder is called from one thread at a time
            index = self._catch_up_locked()
            query = np.asarray(self.encoder.encode([text], query=True, show_progress=False), dtype=np.float32)
            idx, val = index.search(query, k)
        return idx[0], val[0]
