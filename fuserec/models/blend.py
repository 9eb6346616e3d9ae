"""Moved: the blends to ``fuserec.fusion.blend``, ``zscore_rows`` to ``fuserec._core.scores``. This
path warns and will be removed in the next release."""

from fuserec._core.deprecation import moved

__getattr__ = moved(__name__, {"Blend": "fuserec.fusion.blend", "ScoreBlend": "fuserec.fusion.blend",
                               "zscore_rows": "fuserec._core.scores"})
