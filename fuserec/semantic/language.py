"""Language helpers: detect Chinese text, and segment it into words (jieba) for word-based methods."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")


def is_chinese(text: str, threshold: float = 0.3) -> bool:
    """True when at least ``threshold`` of the non-space characters are CJK ideographs."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return False
    return sum(1 for c in chars if _CJK.match(c)) / len(chars) >= threshold


def segment(text: str) -> str:
    """Lower-cased text with Chinese runs split into space-separated words (English untouched)."""
    text = text.lower()
    if not _CJK.search(text):
        return text
    import jieba

    jieba.setLogLevel(60)
    return " ".join(tok for tok in jieba.cut(text) if tok.strip())
