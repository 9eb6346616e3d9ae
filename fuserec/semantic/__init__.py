"""Semantic layer: language-model encoders, an embedding cache, item text, search, profiles, keywords, topics."""

from fuserec.semantic.cache import CachedEncoder, EmbeddingCache
from fuserec.semantic.encoders import (
           E5Encoder,
           Encoder,
           OpenAIEncoder,
           SentenceTransformerEncoder,
           TfidfEncoder,
           get_encoder,
)
from fuserec.semantic.search import SemanticIndex
from fuserec.semantic.text import item_texts

__all__ = ["CachedEncoder", "E5Encoder", "EmbeddingCache", "Encoder", "OpenAIEncoder", "SemanticIndex",
           "SentenceTransformerEncoder", "TfidfEncoder", "get_encoder", "item_texts"]
