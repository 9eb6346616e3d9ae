"""Moved to ``fuserec._core.topk``; this path warns and will be removed in the next release."""

from fuserec._core.deprecation import moved

__getattr__ = moved(__name__, "fuserec._core.topk")
