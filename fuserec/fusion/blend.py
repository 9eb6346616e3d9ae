"""A blend of rating models, weights fit on a validation split carved from train (stacking).

The base models are fit on train minus validation, their validation predictions are regressed
on the true ratings (ridge), and then every base model is refit on the whole train set. With
``meta_features=True`` each model's prediction is also multiplied by the user's and the item's
log support (feature-weighted linear stacking, Sill et al. 2009), so the blend can trust a
neighbourhood model more for well-rated items and a factor model more elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import Ridge

from fuserec._core.scores import zscore_rows
from fuserec.data.dataset import Dataset
from fuserec.errors import UsageError
from fuserec.models.base import Recommender
from fuserec.models.params import OneOf, Range
from fuserec.progress import progress


class Blend(Recommender):
    """Ridge-stacked blend of rating models (``models``: name → unfitted model).

    The members are fit on train minus a validation split carved from train, their validation
    predictions are regressed on the true ratings by ridge, and then every member is refit on the
    whole of train. With ``meta_features`` each member's prediction also enters multiplied by the
    user's and the item's log support (feature-weighted linear stacking [1]_), so the blend can trust
    a neighbourhood model more for well-rated items and a factor model more elsewhere. With a
    temporal validation split, for data whose test is the future, the weights learn how each model
    ages. The training data needs ratings.

    Parameters
    ----------
    models : mapping of str to Recommender, optional
        Name → unfitted rating model; each is cloned. ``None`` or empty (default): BiasedMF, SVDpp
        and item-based and user-based KNNBaseline.
    val_size : float
        Share of train held out as the validation split the blend weights are fit on.
    alpha : float
        Ridge strength of the stacking regression.
    meta_features : bool
        Add each prediction times log(1 + the user's interactions) and times log(1 + the item's), and
        the two log supports themselves, as features. After the refit the supports are those of all
        of train scaled by 1 − ``val_size``, on the level the weights were fit at. ``False``: a plain
        linear blend of the predictions.
    temporal : bool or {"per-user"}
        ``False``: a random validation split; ``True``: the latest ``val_size`` of train;
        ``"per-user"``: each user's latest ``val_size``.
    random_state : int
        Seed of the random validation split.

    Attributes
    ----------
    ridge_ : sklearn.linear_model.Ridge
        The stacking regression.
    fitted_ : dict of str to Recommender
        The members, refit on all of train.
    val_rmse_ : dict of str to float
        Validation RMSE of every member and, under ``"blend"``, of the blend.

    References
    ----------
    .. [1] Sill et al., "Feature-Weighted Linear Stacking", arXiv:0911.0460v1, 2009.

    Examples
    --------
    >>> from fuserec.models import BiasedMF, KNNBaseline
    >>> model = Blend(models={"mf": BiasedMF(), "knn": KNNBaseline()}, temporal=True)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "val_size": Range(gt=0, lt=1), "alpha": Range(ge=0), "temporal": OneOf(False, True, "per-user"),
        "random_state": Range(ge=0),
    }

    def __init__(self, models: Mapping[str, Recommender] | None = None, val_size: float = 0.1, alpha: float = 1.0,
                 meta_features: bool = True, temporal: bool | str = False, random_state: int = 0) -> None:
        self.models = models
        self.val_size = val_size
        self.alpha = alpha
        self.meta_features = meta_features
        self.temporal = temporal
        self.random_state = random_state

    def _base_models(self) -> dict[str, Recommender]:
        if self.models:
            return dict(self.models)
        from fuserec.models.knn import KNNBaseline
        from fuserec.models.mf import BiasedMF, SVDpp

        return {"mf": BiasedMF(), "svdpp": SVDpp(), "knn-item": KNNBaseline(), "knn-user": KNNBaseline(user_based=True)}

    def _features(self, preds: np.ndarray, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        if not self.meta_features:
            return preds
        lu = np.log1p(self.user_support_[users])[:, None]
        li = np.log1p(self.item_support_[items])[:, None]
        return np.hstack([preds, preds * lu, preds * li, lu, li])

    def _predict_all(self, models: dict[str, Recommender], users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return np.column_stack([m.predict_indices(users, items) for m in models.values()])

    def _fit(self, train: Dataset) -> None:
        if not train.has_ratings:
            raise UsageError(f"{train.name} has no ratings: Blend combines rating models")
        from fuserec.data.split import validation_split

        base = self._base_models()
        inner = validation_split(train, self.val_size, self.random_state, self.temporal)
        self.user_support_ = inner.train.user_counts().astype(np.float64)
        self.item_support_ = inner.train.item_counts().astype(np.float64)
        fitted = {name: clone(m).fit(inner.train)
                  for name, m in progress(base.items(), "Blend: members on train minus validation", len(base))}
        vu = inner.test.interactions["user"].to_numpy()
        vi = inner.test.interactions["item"].to_numpy()
        vr = inner.test.interactions["rating"].to_numpy(np.float64)
        x = self._features(self._predict_all(fitted, vu, vi), vu, vi)
        self.ridge_ = Ridge(alpha=self.alpha).fit(x, vr)
        self.val_rmse_ = {name: float(np.sqrt(np.mean((x[:, k] - vr) ** 2))) for k, name in enumerate(fitted)}
        self.val_rmse_["blend"] = float(np.sqrt(np.mean((self.ridge_.predict(x) - vr) ** 2)))
        # refit on all of train; supports follow, scaled to the validation-time level
        self.fitted_ = {name: clone(m).fit(train)
                        for name, m in progress(base.items(), "Blend: members on all of train", len(base))}
        self.user_support_ = train.user_counts() * (1 - self.val_size)
        self.item_support_ = train.item_counts() * (1 - self.val_size)

    def _score_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self.ridge_.predict(self._features(self._predict_all(self.fitted_, users, items), users, items))

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        n_items = len(self.item_support_)
        uu, ii = np.repeat(users, n_items), np.tile(np.arange(n_items), len(users))
        return self._score_pairs(uu, ii).reshape(len(users), n_items)


class ScoreBlend(Recommender):
    """Top-K ranking blend: Σ_m w_m · z_m(u, i), each model's scores z-scored per user.

    Each weight comes from ``weight_grid``, chosen by NDCG@``k`` on a validation split carved from
    train by coordinate ascent that starts at the best single member: each weight in turn takes its
    best grid value with the others held (ties keep the held one), until a sweep changes nothing or
    after ``max_sweeps`` sweeps. So the blend is never worse on validation than its best member. The
    members are then refit on all of train.

    Parameters
    ----------
    models : mapping of str to Recommender, optional
        Name → unfitted ranking model; each is cloned. ``None`` or empty (default): EASE and RP3beta.
    weight_grid : tuple of float
        Values each weight may take (a weighting with every weight zero is never tried). The start
        gives one member weight 1 and the others 0.
    val_size : float
        Share of train held out as the validation split.
    k : int
        Cut-off of the validation NDCG.
    temporal : bool or {"per-user"}
        ``False``: a random validation split; ``True``: train's latest interactions;
        ``"per-user"``: each user's latest.
    max_sweeps : int
        Most sweeps of the coordinate ascent over the members.
    random_state : int
        Seed of the random validation split.

    Attributes
    ----------
    weights_ : dict of str to float
        The chosen weight of every member.
    val_ndcg_ : float
        Validation NDCG@``k`` of the chosen weighting.
    val_scores_ : dict of tuple to float
        Every weighting tried, with its validation NDCG@``k``.
    fitted_ : dict of str to Recommender
        The members, refit on all of train.

    Examples
    --------
    >>> from fuserec.models import EASE, RP3beta
    >>> model = ScoreBlend(models={"ease": EASE(), "rp3beta": RP3beta()}, k=20)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "val_size": Range(gt=0, lt=1), "k": Range(ge=1), "temporal": OneOf(False, True, "per-user"),
        "max_sweeps": Range(ge=1), "random_state": Range(ge=0),
    }

    task = "ranking"

    def __init__(self, models: Mapping[str, Recommender] | None = None,
                 weight_grid: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0), val_size: float = 0.1,
                 k: int = 10, temporal: bool | str = False, max_sweeps: int = 3, random_state: int = 0) -> None:
        self.models = models
        self.weight_grid = weight_grid
        self.val_size = val_size
        self.k = k
        self.temporal = temporal
        self.max_sweeps = max_sweeps
        self.random_state = random_state

    def _base_models(self) -> dict[str, Recommender]:
        if self.models:
            return dict(self.models)
        from fuserec.models.ease import EASE
        from fuserec.models.graph import RP3beta

        return {"ease": EASE(), "rp3beta": RP3beta()}

    def _fit(self, train: Dataset) -> None:
        from fuserec._core.ranking import ndcg_of_scores
        from fuserec.data.split import validation_split

        base = self._base_models()
        inner = validation_split(train, self.val_size, self.random_state, self.temporal)
        relevant = inner.test.matrix("binary")
        users = np.flatnonzero(np.diff(relevant.indptr) > 0)
        seen = inner.train.matrix("binary")[users]
        z = [zscore_rows(clone(m).fit(inner.train)._score_users(users))
             for m in progress(base.values(), "ScoreBlend: members on train minus validation", len(base))]
        measured: dict[tuple[float, ...], float] = {}

        def score(w: tuple[float, ...]) -> float:  # validation NDCG of one weighting, computed once
            if w not in measured:
                total = sum(wi * zi for wi, zi in zip(w, z, strict=True) if wi)
                measured[w] = float(ndcg_of_scores(np.array(total, dtype=np.float32), seen, relevant[users],
                                                   self.k).mean())
            return measured[w]

        # coordinate ascent from the best single member: each weight in turn takes its best grid
        # value with the others held, until a sweep changes nothing (the full grid is
        # |grid|^members blends, too many to try once a blend has several members)
        best_w = max((tuple(float(i == j) for i in range(len(z))) for j in range(len(z))), key=score)
        for _ in range(self.max_sweeps):
            start = best_w
            for j in range(len(z)):
                held = best_w
                tries = [w for g in self.weight_grid if any(w := held[:j] + (g,) + held[j + 1:])]
                best_w = max(tries, key=lambda w, held=held: (score(w), w == held))  # type: ignore[misc]  # ties keep what is held
            if best_w == start:
                break
        best = score(best_w)
        self.weights_ = dict(zip(base, best_w, strict=True))
        self.val_ndcg_ = best
        self.val_scores_ = measured  # every weighting tried, with its validation NDCG
        self.fitted_ = {name: clone(m).fit(train)
                        for name, m in progress(base.items(), "ScoreBlend: members on all of train", len(base))}

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        total = None
        for name, model in self.fitted_.items():
            w = self.weights_[name]
            if w:
                part = w * zscore_rows(model._score_users(users))
                total = part if total is None else total + part
        return total  # type: ignore[return-value]
