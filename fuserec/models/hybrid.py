"""Moved to ``fuserec.fusion.hybrid``; this path warns and will be removed in the next release."""

from fuserec._core.deprecation import moved

__getattr__ = moved(__name__, "fuserec.fusion.hybrid")
