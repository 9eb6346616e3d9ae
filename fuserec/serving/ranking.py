"""A served list, by route: the model's own list, fold-in of fresh events, or the popularity fallback, with
items added through the API merged in by their text (the cold-start route).

The route follows from the user's history: fresh events the model can read are folded in
(`Recommender.score_histories`, or `ReadsOrder.score_sequences` for a model that reads the order
of a history); a user with training interactions and nothing newer gets the
model's list; anyone else gets live popularity, flagged with the reason. Items added through the
API have no column in the model; they enter the list where their text rank among the model's
items puts them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from fuserec._core import payload
from fuserec._core.topk import top_k
from fuserec.models.capabilities import ReadsOrder
from fuserec.serving.catalogue import Catalogue
from fuserec.serving.explaining import ListExplainer
from fuserec.serving.histories import History
from fuserec.serving.popularity import LivePopularity
from fuserec.serving.settings import ServeSettings


class Ranker:
    """Ranks one history into a list in the shared shape (`fuserec._core.payload`).

    Parameters
    ----------
    trained : TrainedModel
        The artifact version (model, name and version).
    catalogue : Catalogue
        Every servable item.
    popularity : LivePopularity
        What the fallback ranks by.
    explainer : ListExplainer
        Says why each item is in a list, when asked.
    settings : ServeSettings
        Whether fold-in is on.
    """

    def __init__(self, trained: Any, catalogue: Catalogue, popularity: LivePopularity, explainer: ListExplainer,
                 settings: ServeSettings) -> None:
        self.trained, self.model = trained, trained.model
        self.catalogue, self.popularity, self.explainer, self.settings = catalogue, popularity, explainer, settings
        self.fold_ins = 0

    def rank(self, hist: History, k: int, category: str | None, explain: bool, fold_in: bool,
             who: dict[str, Any], lang: str = "en") -> dict[str, Any]:
        """The top-``k`` list for ``hist``, in ``category`` when given; with ``explain``, why."""
        cat = self.catalogue
        allowed = cat.allowed(category)
        visible = bool(allowed[:cat.n_base].all())  # no category filter or hidden item narrows the model's items
        allowed[np.fromiter(hist.banned, dtype=np.int64, count=len(hist.banned))] = False
        route, reason, idx, val = self._route(hist, k, allowed, fold_in and self.settings.fold_in, visible)
        entries = [self._entry(int(i), float(s), route) for i, s in zip(idx, val, strict=True)]
        entries = self._with_new_items(entries, hist, allowed, k)
        if explain:
            row = hist.row(cat.n_base) if route != "model" else None
            sequence = [i for i in hist.order if i < cat.n_base] if route != "model" else None
            found = self.explainer.explain(entries, route, hist.index, row, lang, sequence)
            for e in entries:
                e["explain"] = {"route": e["route"], **found[e["_i"]]}
        for e in entries:
            del e["_i"]
        return payload.recommendations(who, self.trained.name, self.trained.version, k, payload.numbered(entries),
                                       reason, folded_in=route == "fold-in")

    def _route(self, hist: History, k: int, allowed: np.ndarray, fold_in: bool,
               visible: bool) -> tuple[str, str | None, np.ndarray, np.ndarray]:
        """Which route ranks ``hist`` and its top ``k`` model items: (route, fallback reason, idx, scores)."""
        n_base = self.catalogue.n_base
        indptr = self.model.seen_.indptr
        has_training = hist.index is not None and indptr[hist.index + 1] > indptr[hist.index]
        sequence = [i for i in hist.order if i < n_base]
        if hist.events and fold_in and sequence and self.model.supports(ReadsOrder):
            scores = np.asarray(self.model.score_sequences([np.asarray(sequence, dtype=np.int64)])[0],
                                dtype=np.float64)
            scores[~allowed[:n_base]] = -np.inf
            self.fold_ins += 1
            return ("fold-in", None, *top_k(scores, k))
        if hist.events and fold_in and self.model.can_fold_in and any(i < n_base for i in hist.weights):
            scores = np.asarray(self.model.score_histories(hist.row(n_base))[0], dtype=np.float64)
            scores[~allowed[:n_base]] = -np.inf
            self.fold_ins += 1
            return ("fold-in", None, *top_k(scores, k))
        if has_training and hist.index is not None:
            return ("model", None, *self._model_list(hist, k, None if visible else allowed[:n_base]))
        scores = self.popularity.scores[:n_base].copy()
        scores[~allowed[:n_base]] = -np.inf
        reason = ("unknown user" if hist.index is None else "no training interactions") \
            if not hist.events else "no history the model can read"
        return ("fallback", reason, *top_k(scores, k))

    def _model_list(self, hist: History, k: int,
                    candidates: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The model's own top ``k`` for a training user, masking what the history bans beyond
        the training row, among ``candidates`` (all model items when None)."""
        n_base = self.catalogue.n_base
        indptr = self.model.seen_.indptr
        assert hist.index is not None
        exclude = None
        if len(hist.banned) > indptr[hist.index + 1] - indptr[hist.index]:  # banned holds the training row
            base = np.fromiter((i for i in hist.banned if i < n_base), dtype=np.int64)
            exclude = sp.csr_matrix((np.ones(len(base), np.float32), (np.zeros(len(base), np.int64), base)),
                                    shape=(1, n_base))
        i2, v2 = self.model.recommend_indices(np.array([hist.index]), k, True, exclude=exclude,
                                              candidates=candidates)
        keep = (i2[0] >= 0) & np.isfinite(v2[0])
        return i2[0][keep], v2[0][keep].astype(np.float64)

    def _entry(self, i: int, score: float, route: str) -> dict[str, Any]:
        e = payload.entry(self.catalogue.ids[i], self.catalogue.titles[i], score, route)
        e["_i"] = i  # which catalogue item, for the explainer; removed before the list is returned
        return e

    def _profile(self, hist: History) -> np.ndarray | None:
        vectors = self.catalogue.vectors
        if vectors is None or not hist.weights:
            return None
        cols = np.fromiter(hist.weights, dtype=np.int64)
        w = np.fromiter((hist.weights[i] for i in cols), dtype=np.float64, count=len(cols))
        profile = (w[:, None] * vectors[cols]).sum(axis=0)
        norm = np.linalg.norm(profile)
        return profile / norm if norm > 0 else None

    def _with_new_items(self, entries: list[dict[str, Any]], hist: History, allowed: np.ndarray,
                        k: int) -> list[dict[str, Any]]:
        """Place API-added items where their text rank among the model's items puts them."""
        cat = self.catalogue
        new = np.flatnonzero(allowed[cat.n_base:]) + cat.n_base
        profile = self._profile(hist) if len(new) else None
        if profile is None or cat.vectors is None:
            return entries[:k]
        text = cat.vectors @ profile
        base_text = np.sort(text[:cat.n_base][allowed[:cat.n_base]])
        merged = list(entries)
        for i in sorted(new, key=lambda j: -text[j]):
            rank = int(len(base_text) - np.searchsorted(base_text, text[i], side="right"))
            if rank < k:
                merged.insert(min(rank, len(merged)), self._entry(int(i), float(text[i]), "cold-start text"))
        return merged[:k]
