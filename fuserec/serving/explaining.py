"""Why each item of a served list is there: `fuserec.explain` over the service's catalogue.

The reasons come from the same history the list was ranked with: the training row for a list the
model ranked, the folded-in row (training plus fresh events) for a fold-in list, the text of the
user's history for an item added through the API, and popularity for the fallback. A learned
re-ranker also reports the retrievers that pooled each item and its top features.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fuserec.explain import Explainer, ItemInfo, render
from fuserec.models.capabilities import ExplainsItems
from fuserec.serving.catalogue import Catalogue


def _terms(text: str, categories: frozenset[str]) -> list[str]:
    return [c for c in sorted(categories) if c.lower() in text.lower()]


class ListExplainer:
    """Explanations of served lists, kept in step with the catalogue's API-added items.

    Parameters
    ----------
    model : Recommender
        The served model.
    items : pandas.DataFrame or None
        The artifact's item table (ids, titles, texts, categories).
    catalogue : Catalogue
        The service's catalogue; items it gains later are added on the next call.
    """

    def __init__(self, model: Any, items: Any, catalogue: Catalogue) -> None:
        self.model = model
        self.catalogue = catalogue
        n = catalogue.n_base
        if items is not None and "text" in items:
            info = ItemInfo.from_table(items)
        else:
            info = ItemInfo(list(catalogue.ids[:n]), list(catalogue.titles[:n]), list(catalogue.texts[:n]),
                            [_terms(catalogue.texts[i], catalogue.categories[i]) for i in range(n)])
        self.explainer = Explainer(model, info, catalogue.vectors)

    def _sync(self) -> None:
        cat, info = self.catalogue, self.explainer.items
        for i in range(len(info.ids), len(cat.ids)):
            info.ids.append(cat.ids[i])
            info.titles.append(cat.titles[i])
            info.texts.append(cat.texts[i])
            info.terms.append(_terms(cat.texts[i], cat.categories[i]))
        self.explainer.vectors = cat.vectors

    def explain(self, entries: list[dict[str, Any]], route: str, user: int | None, row: Any,
                lang: str = "en", sequence: list[int] | None = None) -> dict[int, dict[str, Any]]:
        """The explanation of each entry (by its catalogue index ``_i``) of a list made by ``route``,
        for a training user index or a history row over the model's items (and ``sequence``, the
        same history oldest first, for a model that reads order)."""
        self._sync()
        out: dict[int, dict[str, Any]] = {}
        for e in entries:
            if e["route"] == "fallback":  # ranked by popularity alone
                reasons = [{"kind": "popular", "contribution": e["score"]}]
                out[e["_i"]] = {"method": "popularity", "reasons": reasons, "note": None,
                                "text": render(reasons, lang), "lang": lang, "wording": "template"}
        items = np.array([e["_i"] for e in entries if e["route"] != "fallback"], dtype=np.int64)
        if not len(items):
            return out
        found = (self.explainer.explain(items, user=user, lang=lang) if route == "model" and user is not None
                 else self.explainer.explain(items, history=row, sequence=sequence, lang=lang))
        for i, e in zip(items, found, strict=True):
            out[int(i)] = {k: v for k, v in e.items() if k not in ("item", "title")}
        mine = items[items < self.catalogue.n_base]
        if self.model.supports(ExplainsItems) and len(mine):  # the re-ranker: retrievers and top features too
            explain_items = self.model.explain_items
            traced = explain_items(mine, user=user) if route == "model" and user is not None else \
                explain_items(mine, history=row)
            for i, extra in zip(mine, traced, strict=True):
                out[int(i)].update(extra)
        return out
