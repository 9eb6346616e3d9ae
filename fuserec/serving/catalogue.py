"""The items a service can recommend: the artifact's, plus those added or changed through the API.

The artifact fixes the model's items; ``POST /v1/items`` appends new ones (with text, so they are
searchable and recommendable through the cold-start route at once) and ``PATCH /v1/items/{id}``
hides items or changes their categories. Those changes live in the event store, so every worker
process, and the next artifact version, applies the same ones in the same order.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from fuserec.artifacts.trained import TrainedModel


def _categories(text: str) -> frozenset[str]:
    return frozenset(c.strip() for c in str(text).split("|") if c.strip())


class Catalogue:
    """Ids, titles, texts, categories and visibility of every servable item, in index order.

    Indices below ``n_base`` are the model's own items; new items follow them.

    Parameters
    ----------
    trained : TrainedModel
        The loaded artifact.
    encode : callable or None
        Encodes item texts into unit vectors (None when no encoder is available: new items are
        then stored and shown, but cannot be recommended by their text).
    encoder_id : str or None
        The encoder's id: a stored item vector from the same encoder is used as it is, so each
        new item is encoded once, by the worker that took it, not again by every other worker.
    """

    def __init__(self, trained: TrainedModel, encode: Callable[[list[str]], np.ndarray] | None,
                 encoder_id: str | None = None) -> None:
        table = trained.items
        n = len(trained.titles)
        self.n_base = n
        self.ids: list[str] = [str(i) for i in (table["id"] if table is not None else range(n))]
        self.titles: list[str] = [str(t) for t in trained.titles]
        self.texts: list[str] = (table["text"].astype(str).tolist() if table is not None and "text" in table
                                 else list(self.titles))
        raw = table["categories"].tolist() if table is not None and "categories" in table else [""] * n
        self.categories: list[frozenset[str]] = [_categories(c) for c in raw]
        self.hidden = np.zeros(n, dtype=bool)
        self.position = {item: i for i, item in enumerate(self.ids)}
        self.rev = 0
        self._encode = encode
        self.encoder_id = encoder_id
        self.vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, item: str) -> int | None:
        """Index of an external item id, or None."""
        return self.position.get(str(item))

    def sample_names(self, n: int) -> list[str]:
        """``n`` seeded item titles (drawn with replacement; items without one left out): what people
        type into search, to tune a retrieval index on."""
        named = [t for t in self.titles if t.strip()] or ["item"]
        rng = np.random.default_rng(0)
        return [named[i] for i in rng.integers(0, len(named), n)]

    def entry(self, i: int) -> dict[str, Any]:
        """What the API shows of item ``i``."""
        return {"item": self.ids[i], "title": self.titles[i], "categories": sorted(self.categories[i]),
                "hidden": bool(self.hidden[i]), "new": i >= self.n_base}

    def allowed(self, category: str | None) -> np.ndarray:
        """Boolean mask of items a list may show: visible, and in ``category`` when given."""
        mask = ~self.hidden
        if category:
            mask &= np.fromiter((category in c for c in self.categories), dtype=bool, count=len(self))
        return mask

    def apply(self, changes: list[tuple[int, str, dict[str, Any]]]) -> list[int]:
        """Apply item records read from the store (``(rev, id, doc)``, oldest first); returns the
        indices of items that are new here, whose vectors the caller adds to its index."""
        fresh: list[int] = []
        docs: dict[int, dict[str, Any]] = {}
        with self._lock:
            for rev, item, doc in changes:
                i = self.position.get(item)
                if i is None:
                    i = len(self.ids)
                    self.ids.append(item)
                    self.titles.append(str(doc.get("title") or item))
                    self.texts.append(str(doc.get("text") or doc.get("title") or item))
                    self.categories.append(frozenset(doc.get("categories") or ()))
                    self.hidden = np.append(self.hidden, False)
                    self.position[item] = i
                    fresh.append(i)
                docs[i] = doc
                if "title" in doc and i >= self.n_base:
                    self.titles[i] = str(doc["title"])
                if doc.get("categories") is not None:
                    self.categories[i] = frozenset(doc["categories"])
                self.hidden[i] = bool(doc.get("hidden", False))
                self.rev = max(self.rev, rev)
            if fresh and self.vectors is not None and self._encode is not None:
                rows = [self.stored_vector(docs[i]) for i in fresh]
                missing = [n for n, row in enumerate(rows) if row is None]
                if missing:
                    for n, row in zip(missing, self._encode([self.texts[fresh[n]] for n in missing]), strict=True):
                        rows[n] = row
                self.vectors = np.vstack([self.vectors, np.asarray(rows, dtype=np.float32)])
        return fresh

    def vector_field(self, vector: np.ndarray) -> dict[str, Any]:
        """How an item's vector is kept in its store record (compact, and tagged with the encoder)."""
        data = base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
        return {"encoder": self.encoder_id, "f32": data}

    def stored_vector(self, doc: dict[str, Any]) -> np.ndarray | None:
        """The vector a store record carries, when it came from this encoder and fits the index."""
        field = doc.get("vector")
        if not isinstance(field, dict) or field.get("encoder") != self.encoder_id:
            return None
        try:
            vector = np.frombuffer(base64.b64decode(field["f32"]), dtype="<f4")
        except (KeyError, TypeError, ValueError):
            return None
        width = None if self.vectors is None else self.vectors.shape[1]
        return vector.astype(np.float32) if vector.shape == (width,) else None
