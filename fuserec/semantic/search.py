"""Semantic search over a catalogue: items nearest to an item or to free text (any language)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fuserec.data.dataset import Dataset
from fuserec.errors import UnknownIdError
from fuserec.semantic.cache import CachedEncoder, EmbeddingCache
from fuserec.semantic.encoders import Encoder, TfidfEncoder, get_encoder
from fuserec.semantic.language import is_chinese
from fuserec.semantic.text import item_texts


@dataclass
class Hit:
    item_id: object
    title: str
    score: float


def encoder_for(query: str | None, name: str = "auto") -> str:
    """``auto``: the multilingual encoder for Chinese text, the default English one otherwise."""
    if name != "auto":
        return name
    return "e5" if query is not None and is_chinese(query) else "minilm"


class SemanticIndex:
    """Item vectors of one dataset under one encoder (through the embedding cache)."""

    def __init__(self, ds: Dataset, encoder: Encoder | str = "minilm", *, cache: EmbeddingCache | None = None,
                 use_cache: bool = True, show_progress: bool = True) -> None:
        self.ds = ds
        self.texts = item_texts(ds)
        if isinstance(encoder, str):
            encoder = get_encoder(encoder)
        if isinstance(encoder, TfidfEncoder) and encoder.vectorizer is None:
            encoder.fit(self.texts)
        self.encoder = CachedEncoder(encoder, cache) if use_cache else encoder
        self.vectors = self.encoder.encode(self.texts, show_progress=show_progress)

    def _hits(self, scores: np.ndarray, k: int, exclude: int | None = None) -> list[Hit]:
        scores = scores.astype(np.float64).copy()
        if exclude is not None:
            scores[exclude] = -np.inf
        top = np.argsort(-scores, kind="stable")[:k]
        titles = self.ds.item_titles(top)
        return [Hit(self.ds.items.ids[i], t, float(scores[i])) for i, t in zip(top, titles, strict=True)]

    def similar_to_item(self, item_id: object, k: int = 10) -> list[Hit]:
        """The ``k`` items whose text is nearest to ``item_id``'s (the item itself left out)."""
        i = int(self.ds.items.to_index(item_id, what="item"))
        return self._hits(self.vectors @ self.vectors[i], k, exclude=i)

    def search(self, text: str, k: int = 10) -> list[Hit]:
        """The ``k`` items nearest to free ``text`` (encoded as a query)."""
        q = self.encoder.encode_queries([text])[0]
        return self._hits(self.vectors @ q, k)

    def find_item(self, title: str) -> object:
        """The id of the item whose title matches ``title`` (exactly, else case-insensitive prefix)."""
        titles = self.ds.item_titles(np.arange(self.ds.n_items))
        lowered = [t.lower() for t in titles]
        for candidates in ([i for i, t in enumerate(titles) if t == title],
                           [i for i, t in enumerate(lowered) if t.startswith(title.lower())]):
            if candidates:
                return self.ds.items.ids[candidates[0]]
        raise UnknownIdError(f"no item titled {title!r} in {self.ds.name}")


def item_text_vectors(train: Dataset, encoder: str = "minilm") -> np.ndarray:
    """Unit text vectors of every item of ``train``'s catalogue (cached; TF-IDF fit on the catalogue)."""
    return np.asarray(SemanticIndex(train, encoder, show_progress=True).vectors, dtype=np.float32)
