"""The interface every text encoder implements: ``encode(texts) -> float32 [n, d]``, rows L2-normalised.

Its own module so that back ends defined elsewhere (the int8 ONNX build) subclass it without
importing the module that chooses back ends by name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from fuserec.progress import progress


def normalize_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


class Encoder(ABC):
    """Base class: subclasses set ``id`` and ``dim`` and implement ``_encode_batch``."""

    id: str = "encoder"
    dim: int = 0
    batch_size: int = 64

    @abstractmethod
    def _encode_batch(self, texts: list[str], query: bool) -> np.ndarray:
        """Vectors (not yet normalised) of one batch of texts."""

    def encode(self, texts: Sequence[str], *, query: bool = False, show_progress: bool = True) -> np.ndarray:
        """Vectors of ``texts`` (``query=True``: encoded as search queries where the model
        distinguishes queries from passages, as e5 does)."""
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        starts = range(0, len(texts), self.batch_size)
        for start in progress(starts, f"encoding with {self.id}", total=len(starts), enabled=show_progress):
            out.append(self._encode_batch(texts[start:start + self.batch_size], query))
        return normalize_rows(np.vstack(out))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts, query=True, show_progress=False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id})"
