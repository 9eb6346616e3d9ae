"""Fusion of language-model semantics with the recommenders: text mapped into the CF space, and
a learned re-ranker over collaborative and semantic retrievers."""

from fuserec.fusion.rerank import LearnedReranker
from fuserec.fusion.text_to_factors import TextMappedFactors

__all__ = ["LearnedReranker", "TextMappedFactors"]
