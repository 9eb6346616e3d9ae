"""Moved: the content models to ``fuserec.fusion.content``, ``recent_counts`` to
``fuserec.models.baselines``, ``item_text_vectors`` to ``fuserec.semantic.search``. This path warns
and will be removed in the next release."""

from fuserec._core.deprecation import moved

__getattr__ = moved(__name__, {"SemanticProfile": "fuserec.fusion.content", "TextTrend": "fuserec.fusion.content",
                               "text_trend": "fuserec.fusion.content", "recent_counts": "fuserec.models.baselines",
                               "item_text_vectors": "fuserec.semantic.search"})
