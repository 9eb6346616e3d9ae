"""Why an item was recommended to a user: up to three reasons from the model's own computation.

The reasons, in order: the history items that contributed most to the item's score (from
`fuserec.models.attribution`), the genres, tags or keywords the item shares with those items,
and "popular now" where popularity carried the score. An item the model has no column for (added
since training) is explained as "new, and reads like" the history item its text is nearest to.
A model that cannot attribute says so, with an empty reason list, rather than invent one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from fuserec.errors import UnknownIdError, UsageError
from fuserec.explain.templates import render
from fuserec.explain.wording import Wording
from fuserec.models.attribution import CannotAttribute, history_contributions
from fuserec.models.capabilities import ReadsOrder

MAX_CITED = 3
MAX_TERMS = 3


def _terms(categories: str) -> list[str]:
    return [t.strip() for t in str(categories).split("|") if t.strip() and t.strip() != "(no genres listed)"]


@dataclass
class ItemInfo:
    """What reasons name: each item's id, title, text and terms (genres, categories, tags or
    keywords), in the model's item order.

    Attributes
    ----------
    ids, titles, texts : list of str
    terms : list of list of str
        Every term is a word or phrase of the item's own text, so a reason citing it is grounded.
    """

    ids: list[str]
    titles: list[str]
    texts: list[str]
    terms: list[list[str]]

    @classmethod
    def from_table(cls, table: Any) -> ItemInfo:
        """From an item table with ``id``, ``title``, ``text`` and ``categories`` (as artifacts keep it)."""
        texts = table["text"].astype(str).tolist()
        raw = table["categories"].astype(str).tolist() if "categories" in table else [""] * len(texts)
        terms = [_terms(c) for c in raw]
        if not any(terms):  # no structured terms: the words that weigh most in each text
            from fuserec.semantic.keywords import tfidf_keywords

            terms = tfidf_keywords(texts, top_n=5, ngram_range=(1, 1))
        terms = [[t for t in ts if t.lower() in text.lower()] for ts, text in zip(terms, texts, strict=True)]
        return cls([str(i) for i in table["id"]], table["title"].astype(str).tolist(), texts, terms)

    @classmethod
    def from_dataset(cls, data: Any) -> ItemInfo:
        """From a dataset, through the same item table an artifact saves."""
        from fuserec.artifacts.trained import item_table

        info = cls.from_table(item_table(data))
        if "tags" in data.item_table:  # tags are in the item text too
            for terms, tags, text in zip(info.terms, data.item_table["tags"].fillna("").astype(str), info.texts,
                                         strict=True):
                terms += [t for t in _terms(tags) if t.lower() in text.lower() and t not in terms]
        return info


class Explainer:
    """Reasons for a model's recommendations.

    Parameters
    ----------
    model : Recommender
        A fitted model.
    items : ItemInfo
        Titles and terms of the model's items.
    vectors : numpy.ndarray or None
        Item text vectors (unit rows), for items the model has no column for.
    max_cited : int
        The most history items one explanation cites.
    wording : Wording or None
        A language model's wording under a validator (`fuserec.explain.Wording`); None words every
        explanation by template.
    """

    def __init__(self, model: Any, items: ItemInfo, vectors: np.ndarray | None = None,
                 max_cited: int = MAX_CITED, wording: Wording | None = None) -> None:
        self.model = model
        self.items = items
        self.vectors = vectors
        self.max_cited = max_cited
        self.wording = wording

    @classmethod
    def for_artifact(cls, trained: Any, llm: str | None = None) -> Explainer:
        """For a loaded artifact (`fuserec.load`): its model, item table and text vectors; with
        ``llm`` (see `fuserec.semantic.chat.get_chat`), generated wording under a validator."""
        items = ItemInfo.from_table(trained.items)
        return cls(trained.model, items, trained.vectors, wording=Wording.over(items, llm) if llm else None)

    def index(self, item: Any) -> int:
        """The model's index of an external item id.

        Raises
        ------
        KeyError
            Naming the item, when the model does not know it.
        """
        if not hasattr(self, "_position"):
            self._position = {i: n for n, i in enumerate(self.items.ids)}
        try:
            return self._position[str(item)]
        except KeyError:
            raise UnknownIdError(f"unknown item {item!r}") from None

    def history_row(self, user: int) -> sp.csr_matrix:
        """A training user's history row, as the model saw it."""
        return sp.csr_matrix(self.model.seen_[int(user)], dtype=np.float32)

    def history_sequence(self, user: int) -> np.ndarray | None:
        """A training user's history oldest first, for a model that reads order; else None."""
        return self.model.user_sequence(int(user)) if self.model.supports(ReadsOrder) else None

    def explain(self, items: Sequence[int] | np.ndarray, *, user: int | None = None,
                history: sp.csr_matrix | None = None, sequence: Sequence[int] | np.ndarray | None = None,
                lang: str = "en") -> list[dict[str, Any]]:
        """One explanation per item index, for a training user index or a fresh history row (and,
        for a model that reads order, the same history as item indices oldest first)."""
        if history is None:
            if user is None:
                raise UsageError("explain needs a user index or a history row")
            history = self.history_row(user)
            sequence = self.history_sequence(user)
        wanted = np.asarray(items, dtype=np.int64)
        n_model = self.model.seen_.shape[1]
        known = wanted[wanted < n_model]
        note = None
        try:
            att = history_contributions(self.model, history, known, sequence)
            rows = {int(i): n for n, i in enumerate(known)}
        except CannotAttribute as exc:
            att, rows, note = None, {}, str(exc)
        out = []
        for i in map(int, wanted):
            if i >= n_model:
                reasons = self._new_item(i, history)
                method = "text"
            elif att is None:
                reasons, method = [], "none"
            else:
                n = rows[i]
                reasons = self._reasons(i, att.history, att.contributions[n], float(att.popularity[n]))
                method = att.method
            explanation = {"item": self.items.ids[i], "title": self.items.titles[i], "method": method,
                           "reasons": reasons, "note": None if reasons else note,
                           "text": render(reasons, lang), "lang": lang, "wording": "template"}
            out.append(self.wording.word(explanation, lang) if self.wording is not None else explanation)
        return out

    def _reasons(self, item: int, history: np.ndarray, contrib: np.ndarray, popular: float) -> list[dict[str, Any]]:
        order = np.argsort(-contrib, kind="stable")
        cited = [int(history[j]) for j in order[:self.max_cited] if contrib[j] > 0]
        weight = {int(history[j]): float(contrib[j]) for j in order[:self.max_cited]}
        reasons: list[dict[str, Any]] = []
        if cited:
            reasons.append({"kind": "history", "items": [
                {"item": self.items.ids[h], "title": self.items.titles[h], "contribution": weight[h]} for h in cited]})
            shared = [t for t in self.items.terms[item] if any(t in self.items.terms[h] for h in cited)]
            if shared:
                reasons.append({"kind": "shared_terms", "terms": shared[:MAX_TERMS],
                                "with": [self.items.ids[h] for h in cited if set(shared) & set(self.items.terms[h])]})
        top = max((weight[h] for h in cited), default=0.0)
        if popular > 0 and popular >= 0.5 * top:
            reasons.append({"kind": "popular", "contribution": popular})
        return reasons

    def _new_item(self, item: int, history: sp.csr_matrix) -> list[dict[str, Any]]:
        hist = sp.csr_matrix(history).indices[sp.csr_matrix(history).data > 0]
        if self.vectors is None or not len(hist) or item >= len(self.vectors):
            return []
        sims = self.vectors[hist] @ self.vectors[item]
        h = int(hist[int(np.argmax(sims))])
        return [{"kind": "new_item", "like": {"item": self.items.ids[h], "title": self.items.titles[h],
                                              "similarity": float(sims.max())}}]
