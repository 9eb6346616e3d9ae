"""The JSON shape of a ranked list, built in one place for the artifact and the service.

A recommendation list, wherever it is shown (``fuserec recommend --json``, the Python API, the
HTTP service), is one mapping::

    {"user": "42", "model": "reranker", "model_version": "20261201T221500Z-1a2b3c", "k": 10,
     "fallback": false, "fallback_reason": null, "folded_in": false,
     "items": [{"rank": 1, "item": "0111161", "title": "...", "score": 2.3, "route": "model"}, ...]}

An entry's ``route`` says how it got there: ``"model"``, ``"fold-in"`` (the user's fresh events
scored by the model), ``"fallback"`` (popularity), ``"cold-start text"`` (an item added through
the service, placed by its text), or, in a similar-items list, the similarity's method. The
service's lists may carry ``session``/``unknown_items`` in place of ``user`` and an
``explain`` per entry; ``fuserec recommend --explain`` adds ``explanation``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def entry(item: Any, title: str, score: float, route: str, rank: int = 0) -> dict[str, Any]:
    """One item of a list; ``rank`` is set by `numbered` once the list's order is final."""
    return {"rank": rank, "item": item, "title": title, "score": float(score), "route": route}


def numbered(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``entries`` with ranks 1, 2, ... in list order (in place; returns them)."""
    for rank, e in enumerate(entries, 1):
        e["rank"] = rank
    return entries


def entries(items: Iterable[Any], titles: Iterable[str], scores: Iterable[float],
            route: str) -> list[dict[str, Any]]:
    """A ranked list's entries, in the given order, all by one ``route``."""
    return [entry(i, t, s, route, rank) for rank, (i, t, s) in enumerate(zip(items, titles, scores, strict=True), 1)]


def recommendations(who: Mapping[str, Any], model: str, model_version: str, k: int,
                    items: Sequence[dict[str, Any]], fallback_reason: str | None = None,
                    folded_in: bool = False) -> dict[str, Any]:
    """A recommendation list: ``who`` (``{"user": id}``, or the service's session fields), the
    model and version, ``k``, whether and why it is the popularity fallback, whether fresh
    events were folded in, and the entries."""
    return {**who, "model": model, "model_version": model_version, "k": k,
            "fallback": fallback_reason is not None, "fallback_reason": fallback_reason,
            "folded_in": folded_in, "items": list(items)}


def similar_items(item: Any, title: str, model: str, model_version: str, method: str,
                  items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A similar-items list: the item asked about, the model, the similarity's method, the entries."""
    return {"item": item, "title": title, "model": model, "model_version": model_version, "method": method,
            "items": list(items)}
