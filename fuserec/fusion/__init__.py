"""Fusion of language-model semantics with the recommenders.

Every model that reads text (text inside the factor models, text-mapped factors, semantic
profiles), score blends, and the learned re-ranker over collaborative and semantic retrievers.
"""

from fuserec.fusion.blend import Blend, ScoreBlend
from fuserec.fusion.content import SemanticProfile, TextTrend
from fuserec.fusion.hybrid import NeuralHybrid
from fuserec.fusion.rerank import LearnedReranker
from fuserec.fusion.text_ease import TextEASE
from fuserec.fusion.text_mf import TextRegularizedALS
from fuserec.fusion.text_to_factors import TextMappedFactors

__all__ = ["Blend", "LearnedReranker", "NeuralHybrid", "ScoreBlend", "SemanticProfile", "TextEASE",
           "TextMappedFactors", "TextRegularizedALS", "TextTrend"]
