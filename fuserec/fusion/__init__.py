"""Fusion of language-model semantics with the recommenders: text mapped into the CF space, and more."""

from fuserec.fusion.text_to_factors import TextMappedFactors

__all__ = ["TextMappedFactors"]
