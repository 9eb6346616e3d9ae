"""Moved to ``fuserec.fusion.text_mf``; this path warns and will be removed in the next release."""

from fuserec._core.deprecation import moved

__getattr__ = moved(__name__, "fuserec.fusion.text_mf")
