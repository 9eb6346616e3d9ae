"""The one model interface: scikit-learn-style estimators over a Dataset, external ids at the edge.

A model implements ``_fit(train)`` and ``_score_users(user_indices) -> [n, n_items]`` (and
``_score_pairs`` where a cheaper pairwise score exists). Everything else (``fit``, ``score``,
``recommend``, batched top-K) lives here once. What a model can do beyond that (fold in a
history, name similar items, attribute a score, read text, tune itself) it declares through the
protocols of `fuserec.models.capabilities`, and callers ask `Recommender.supports`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from fuserec._core.cost import Cost, DataShape, history_bytes
from fuserec._core.ranking import hit_matrix, ndcg_at_k
from fuserec._core.rows import rows_per_batch, take_rows
from fuserec._core.sampling import sample_users
from fuserec._core.topk import mask_seen, topk_indices, topk_shared
from fuserec.data.dataset import Dataset, IdMap
from fuserec.data.split import Split
from fuserec.errors import FoldInError, NotFittedError, UsageError
from fuserec.models.capabilities import CAPABILITIES, FoldsIn, ReadsText
from fuserec.progress import progress

VALIDATION_USERS = 10_000  # users a validation search scores at most (a seeded sample past that)
BATCH_USERS = 1024  # users scored at once in recommend(), fewer on a large catalogue (rows_per_batch)


class Recommender(BaseEstimator, ABC):
    """Base class. Hyper-parameters go in ``__init__`` as-is; learned state ends in ``_``."""

    #: "rating" models predict ratings on the dataset's scale; "ranking" ones only order items.
    task: str = "both"
    #: What each hyper-parameter may be beyond its annotated type (see ``fuserec.models.params``).
    param_rules: ClassVar[dict[str, Any]] = {}
    #: Top-level modules ``fit`` imports beyond the core install (each one's extra: ``fuserec._core.extras``).
    requires: ClassVar[tuple[str, ...]] = ()

    @property
    def deterministic(self) -> bool:
        """Whether two fits on the same data under the same settings (seed included) give the same
        model; a model trained by lock-free parallel SGD says no."""
        return all(m.deterministic for m in nested_models(self.get_params(deep=False)))

    # ---- what the model can do ------------------------------------------------------------
    @classmethod
    def capabilities(cls) -> list[type]:
        """The capability protocols this class declares (`fuserec.models.capabilities`)."""
        return [c for c in CAPABILITIES if c in cls.__mro__]

    def supports(self, capability: type) -> bool:
        """Whether this model, with its settings, can do what ``capability`` promises: the class
        declares it and `unsupported` does not withdraw it."""
        return capability in type(self).__mro__ and capability not in self.unsupported()

    def unsupported(self) -> set[type]:
        """Declared capabilities that these settings cannot serve (a wrapper whose base model
        lacks one); none by default. A model that withdraws `FoldsIn` raises `FoldInError` from
        its ``_score_histories``, saying why."""
        return set()

    def text_encoder_names(self) -> list[str]:
        """Every encoder this model and the models inside it read text through."""
        own = self.text_encoders() if self.supports(ReadsText) else []
        for model in nested_models(self.get_params(deep=False)):
            own += model.text_encoder_names()
        return list(dict.fromkeys(own))

    def required_modules(self) -> list[str]:
        """Optional modules this model and the models inside it need: `requires`, plus those of
        the encoders it reads text through (``fuserec.semantic.encoders.encoder_modules``)."""
        from fuserec.semantic.encoders import encoder_modules

        needed = list(self.requires)
        if self.supports(ReadsText):
            for name in self.text_encoders():
                needed += encoder_modules(name)
        for model in nested_models(self.get_params(deep=False)):
            needed += model.required_modules()
        return list(dict.fromkeys(needed))

    def check_installed(self, what: str | None = None) -> None:
        """Raise ``MissingExtraError``, naming the extra to install, when a needed module is missing."""
        from fuserec._core.extras import require

        require(*self.required_modules(), what=what or type(self).__name__)

    @property
    def uses_lm(self) -> bool:
        """Whether this model reads a language model's output: an encoder other than TF-IDF, its
        own or a nested model's."""
        return any(name != "tfidf" for name in self.text_encoder_names())

    # ---- cost ------------------------------------------------------------------------------
    def cost(self, shape: DataShape) -> Cost:
        """What fitting on data of ``shape`` costs (``fuserec._core.cost``), estimated before any
        work: the model's own fit, the models inside it, and one encoding of the catalogue per
        encoder it reads text through."""
        total = self._cost(shape)
        for model in nested_models(self.get_params(deep=False)):
            total = total + model.cost(shape)
        if self.supports(ReadsText):
            total = total + Cost(texts=dict.fromkeys(self.text_encoders(), shape.items))
        return total

    def _cost(self, shape: DataShape) -> Cost:
        """This model's own fit, nested models aside. By default a few passes over the
        interactions, which it keeps; a model whose work grows otherwise says how."""
        return Cost(sparse=4 * shape.events, resident=history_bytes(shape), transient=history_bytes(shape))

    # ---- training --------------------------------------------------------------------------
    def fit(self, train: Dataset) -> Recommender:
        """Learn from ``train``; returns ``self``.

        Raises
        ------
        ParamError
            When a hyper-parameter has the wrong type or is out of range (checked before any work).
        MissingExtraError
            When the model needs an optional package that is not installed (also before any work).
        """
        from fuserec.models.params import validate_params

        validate_params(type(self), self.get_params(deep=False))
        self.check_installed()
        if len(train) == 0:
            raise UsageError(f"cannot fit {type(self).__name__} on an empty dataset ({train.name})")
        self.users_: IdMap = train.users
        self.items_: IdMap = train.items
        self.seen_: sp.csr_matrix = train.matrix("binary")
        self.rating_scale_ = train.rating_scale
        self._fit(train)
        return self

    @abstractmethod
    def _fit(self, train: Dataset) -> None:
        """Learn from ``train`` (id maps and ``seen_`` are already set)."""

    @property
    def is_fitted(self) -> bool:
        """Whether `fit` (or `set_state`) has given this model its learned state."""
        return "seen_" in vars(self)

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(train) first")

    # ---- scoring on indices ----------------------------------------------------------------
    @abstractmethod
    def _score_users(self, users: np.ndarray) -> np.ndarray:
        """Scores of every item for each user index: float array [len(users), n_items]."""

    # ---- fold-in ---------------------------------------------------------------------------
    def score_histories(self, histories: sp.spmatrix) -> np.ndarray:
        """Scores of every item for users described only by their interactions (fold-in).

        Parameters
        ----------
        histories : scipy.sparse matrix, shape (n, n_items)
            Binary rows over this model's item indices: a user's training interactions plus
            whatever they did since.

        Returns
        -------
        numpy.ndarray, shape (n, n_items)
            What `recommend` would rank by, had those rows been in the training data and the
            user's part of the model been fitted to them, without refitting the items' part.

        Raises
        ------
        FoldInError
            When the model cannot fold in (it does not support `FoldsIn`); refit it instead.
        """
        self._check_fitted()
        if FoldsIn not in type(self).__mro__:  # a wrapper that declares it says itself why it cannot
            raise FoldInError(f"{type(self).__name__} cannot fold in new interactions; refit it")
        rows = sp.csr_matrix(histories, dtype=np.float32)
        if rows.shape[1] != len(self.items_):
            raise UsageError(f"histories have {rows.shape[1]} item columns; {type(self).__name__} knows "
                             f"{len(self.items_)} items")
        return self._score_histories(rows)

    @property
    def can_fold_in(self) -> bool:
        """Whether `score_histories` answers without refitting: ``supports(FoldsIn)``."""
        return self.supports(FoldsIn)

    def _score_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Score of each (user, item) index pair; default: rows of ``_score_users``."""
        out = np.empty(len(users), dtype=np.float64)
        uniq, inv = np.unique(users, return_inverse=True)
        batch = rows_per_batch(len(self.items_), BATCH_USERS)
        for start in range(0, len(uniq), batch):
            block = uniq[start:start + batch]
            scores = self._score_users(block)
            sel = (inv >= start) & (inv < start + len(block))
            out[sel] = scores[inv[sel] - start, items[sel]]
        return out

    def predict_indices(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Predicted rating/score for index pairs, clipped to the rating scale when there is one."""
        self._check_fitted()
        pred = self._score_pairs(np.asarray(users), np.asarray(items))
        if self.rating_scale_ is not None and self.task != "ranking":
            pred = np.clip(pred, *self.rating_scale_)
        return pred

    def recommend_indices(self, users: np.ndarray, k: int = 10, exclude_seen: bool = True,
                          exclude: sp.csr_matrix | None = None,
                          candidates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` item indices and scores per user index, best first (``-1`` pads).

        ``exclude_seen`` removes the user's training items; ``exclude`` (rows aligned with
        ``users``) removes more; ``candidates`` (boolean over items) keeps only those items.
        """
        banned = None if candidates is None else ~np.asarray(candidates, dtype=bool)
        self._check_fitted()
        users = np.asarray(users, dtype=np.int64)
        idx = np.empty((len(users), k), dtype=np.int64)
        val = np.empty((len(users), k), dtype=np.float32)
        batch = rows_per_batch(len(self.items_), BATCH_USERS)
        starts = range(0, len(users), batch)
        # many users on a large catalogue take minutes; one batch (a request) skips the bar's set-up
        steps = starts if len(starts) <= 1 else progress(
            starts, f"{type(self).__name__}: top {k} of {len(users):,} users", len(starts))
        for start in steps:
            block = users[start:start + batch]
            scores = np.array(self._score_users(block), dtype=np.float32, copy=True)
            if exclude_seen:
                mask_seen(scores, take_rows(self.seen_, block))
            if exclude is not None:
                mask_seen(scores, exclude[start:start + len(block)])
            if banned is not None:
                scores[:, banned] = -np.inf
            idx[start:start + len(block)], val[start:start + len(block)] = topk_indices(scores, k)
        return idx, val

    def _recommend_shared(self, users: np.ndarray, k: int, exclude_seen: bool, exclude: sp.csr_matrix | None,
                          candidates: np.ndarray | None, group: np.ndarray,
                          row: Callable[[int], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """`recommend_indices` for a model whose users share a few score rows: user ``i`` ranks by
        ``row(group[i])``. One cut per shared row (`topk_shared`) instead of one per user; the
        generic path where more is excluded or a cut would be most of the catalogue."""
        users = np.asarray(users, dtype=np.int64)
        if exclude is not None or candidates is not None:
            return Recommender.recommend_indices(self, users, k, exclude_seen, exclude, candidates)
        self._check_fitted()
        idx = np.empty((len(users), k), dtype=np.int64)
        val = np.empty((len(users), k), dtype=np.float32)
        order = np.argsort(group, kind="stable")
        bounds = np.flatnonzero(np.diff(group[order])) + 1
        for members in np.split(order, bounds) if len(order) else []:
            block = users[members]
            seen = take_rows(self.seen_, block) if exclude_seen else sp.csr_matrix((len(block), len(self.items_)))
            out = topk_shared(row(int(group[members[0]])), seen, k)
            idx[members], val[members] = out if out is not None else \
                Recommender.recommend_indices(self, block, k, exclude_seen)
        return idx, val

    # ---- external ids ----------------------------------------------------------------------
    def score(self, user_ids: Any, item_ids: Any) -> np.ndarray:
        """Predicted rating (or relevance) of each (user id, item id) pair, external ids."""
        self._check_fitted()
        u = self.users_.to_index(np.atleast_1d(user_ids), what="user")
        i = self.items_.to_index(np.atleast_1d(item_ids), what="item")
        if len(u) != len(i):
            raise UsageError(f"{len(u)} user ids but {len(i)} item ids: pass one of each per pair")
        return self.predict_indices(u, i)

    def recommend(self, user_ids: Any, k: int = 10, exclude_seen: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` external item ids and scores for each external user id, best first.

        A scalar user id gives 1-d arrays; a list gives [n_users, k] arrays (``None`` pads rows
        where fewer than ``k`` items are left).
        """
        self._check_fitted()
        scalar = np.ndim(user_ids) == 0
        u = self.users_.to_index(np.atleast_1d(user_ids), what="user")
        idx, val = self.recommend_indices(u, k, exclude_seen)
        ids = self.items_.to_external(np.maximum(idx, 0))
        if (idx < 0).any():
            ids = np.where(idx >= 0, ids.astype(object), None)  # type: ignore[call-overload]
        if scalar:
            return ids[0], val[0]
        return ids, val

    # ---- learned state, as data ------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        """The learned state: every attribute ending in ``_`` (arrays, sparse matrices, id maps,
        nested fitted models). ``fuserec.artifacts`` writes it without pickle; a model holding
        something else (a torch module) overrides this and ``set_state``."""
        self._check_fitted()
        return {k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("__")}

    def set_state(self, state: dict[str, Any]) -> Recommender:
        """Restore what ``get_state`` returned; returns ``self``."""
        self.__dict__.update(state)
        return self


def nested_models(params: dict[str, Any]) -> list[Recommender]:
    """The models among a model's parameters (a base model, or a mapping name → model)."""
    out = []
    for value in params.values():
        if isinstance(value, Recommender):
            out.append(value)
        elif isinstance(value, dict):
            out += [v for v in value.values() if isinstance(v, Recommender)]
    return out


def validation_ndcg(model: Recommender, split: Split, k: int = 10, max_users: int = VALIDATION_USERS,
                    seed: int = 0) -> float:
    """Mean NDCG@k over the users with a test item of ``split``, full ranking with train items
    excluded: the score models use to choose their own settings on a validation split.

    Past ``max_users`` such users, a seeded sample of that many stands for them, so that a search
    costs the same on a million users as on fifty thousand."""
    relevant = split.test.matrix("binary")
    users = np.flatnonzero(np.diff(relevant.indptr) > 0)
    users = sample_users(users, max_users, seed)
    top, _ = model.recommend_indices(users, k, exclude_seen=True)
    return float(np.mean(ndcg_at_k(hit_matrix(top, relevant[users]), np.diff(relevant[users].indptr), k)))
