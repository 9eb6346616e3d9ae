"""A content-addressed embedding cache: (encoder id, normalised text) → vector, in SQLite.

An unchanged text is never encoded twice, across runs and processes; a changed text is a new key,
so editing one item re-encodes exactly that item. SQLite gives atomic writes: a crash mid-run
loses at most the batch being written, never the file.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fuserec.semantic.encoder_interface import Encoder

CHUNK = 500  # keys per SELECT ... IN (...)


def normalize_text(text: str) -> str:
    """NFC, whitespace collapsed: texts that differ only in spacing share one vector."""
    return " ".join(unicodedata.normalize("NFC", str(text)).split())


def text_key(encoder_id: str, text: str) -> bytes:
    return hashlib.sha256(f"{encoder_id}\x00{normalize_text(text)}".encode()).digest()


def default_cache_path() -> Path:
    from fuserec.data.download import cache_dir

    return cache_dir() / "embeddings.sqlite"


class EmbeddingCache:
    """The SQLite store; ``path=None`` uses ``$FUSEREC_CACHE_DIR/embeddings.sqlite``."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, dim INTEGER, vec BLOB)")

    def get(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), CHUNK):
            chunk = list(keys[start:start + CHUNK])
            marks = ",".join("?" * len(chunk))
            for key, _, blob in self._db.execute(f"SELECT key, dim, vec FROM vectors WHERE key IN ({marks})", chunk):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        rows = [(k, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes())
                for k, v in zip(keys, vectors, strict=True)]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class CachedEncoder(Encoder):
    """Wraps an encoder: looks every text up first, encodes only the misses (in batches), stores them.

    ``last_encoded`` counts the texts the last call actually sent to the model.
    """

    def __init__(self, encoder: Encoder, cache: EmbeddingCache | None = None) -> None:
        self.encoder = encoder
        self.cache = cache if cache is not None else EmbeddingCache()  # an empty cache is falsy (len 0)
        self.last_encoded = 0

    @property
    def id(self) -> str:  # type: ignore[override]
        return self.encoder.id

    @property
    def dim(self) -> int:  # type: ignore[override]
        return self.encoder.dim

    def encode(self, texts: Sequence[str], *, query: bool = False, show_progress: bool = True) -> np.ndarray:
        texts = [str(t) for t in texts]
        prefix = f"{self.encoder.id}|query" if query else self.encoder.id
        keys = [text_key(prefix, t) for t in texts]
        found = self.cache.get(list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        self.last_encoded = len(missing)
        if missing:
            first_text: dict[bytes, str] = {}
            for k, t in zip(keys, texts, strict=True):
                first_text.setdefault(k, t)
            vectors = self.encoder.encode([first_text[k] for k in missing], query=query,
                                          show_progress=show_progress)
            self.cache.put(missing, vectors)
            found.update(zip(missing, vectors, strict=True))
        return np.vstack([found[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, self.dim), np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts, query=True, show_progress=False)

    def _encode_batch(self, texts: list[str], query: bool) -> np.ndarray:
        return self.encode(texts, query=query, show_progress=False)
