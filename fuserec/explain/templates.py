"""Reasons in words, by template: English and Chinese, titles kept verbatim.

A template says only what the reasons hold, so its text is grounded by construction; it is also
the fallback whenever generated wording fails its validator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fuserec.errors import UsageError

LANGUAGES = ("en", "zh")


def _join_en(parts: Sequence[str]) -> str:
    parts = list(parts)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _titles_zh(titles: Sequence[str]) -> str:
    marked = [f"《{t}》" for t in titles]
    return marked[0] if len(marked) == 1 else "、".join(marked[:-1]) + "和" + marked[-1]


def _sentence(reason: dict[str, Any], lang: str) -> str:
    kind = reason["kind"]
    if lang == "zh":
        if kind == "history":
            return f"因为你喜欢{_titles_zh([i['title'] for i in reason['items']])}。"
        if kind == "shared_terms":
            return "它和这些作品一样有" + "".join(f"「{t}」" for t in reason["terms"]) + "。"
        if kind == "new_item":
            return f"新上架，读起来像{_titles_zh([reason['like']['title']])}。"
        if kind == "popular":
            return "最近很受欢迎。"
    else:
        if kind == "history":
            return f"Because you liked {_join_en([i['title'] for i in reason['items']])}."
        if kind == "shared_terms":
            return f"It shares {_join_en(reason['terms'])} with them."
        if kind == "new_item":
            return f"New, and reads like {reason['like']['title']}."
        if kind == "popular":
            return "Popular right now."
    raise UsageError(f"no template for a reason of kind {kind!r}")


def render(reasons: Sequence[dict[str, Any]], lang: str = "en", note: str | None = None) -> str:
    """One or two sentences saying ``reasons`` in ``lang`` (``en`` or ``zh``)."""
    if lang not in LANGUAGES:
        raise UsageError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    if not reasons:
        if lang == "zh":
            return "这个模型无法说明推荐这一项的理由。"
        return "This model cannot say why it recommends this item."
    return " ".join(_sentence(r, lang) for r in reasons) if lang == "en" else "".join(
        _sentence(r, lang) for r in reasons)
