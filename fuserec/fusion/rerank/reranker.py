"""The model that orchestrates the stages. Two-stage retrieve-then-rerank: a LightGBM LambdaRank
model over candidates pooled from several retrievers, with features from both sides
(collaborative scores and ranks, semantic similarity, topic overlap, what the text says about an
item's chances now, item popularity and age, user activity and how long the user has been idle).

Training follows the usual recipe (and the one the research notes measured): a validation split
is carved from train (its latest interactions for temporal data); the retrievers are fit on the
rest; each validation user's candidates are the union of every retriever's top ``pool``; a
candidate's label is whether the user interacted with it in validation. The ranker learns from
those groups, then the retrievers are refit on all of train. Because user activity and item
popularity are features, the ranker learns its own cold-start routing: how far to trust the
collaborative scores for a user with three interactions, or the text for an item with none.

Items outside a user's pool keep an order below every pooled item: the mean of the retrievers'
per-user z-scores.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from fuserec._core.cost import Cost, DataShape
from fuserec.data.dataset import Dataset
from fuserec.data.split import Split
from fuserec.errors import FoldInError
from fuserec.fusion.rerank.candidates import batch_size, pool_candidates
from fuserec.fusion.rerank.cost import pipeline_cost
from fuserec.fusion.rerank.features import Side, feature_names
from fuserec.fusion.rerank.groups import inner_splits, light_splits, training_groups
from fuserec.fusion.rerank.rankers import best_tree_setting, fit_rankers, predict
from fuserec.fusion.rerank.selection import select_retrievers
from fuserec.models.attribution import Attribution
from fuserec.models.base import Recommender
from fuserec.models.capabilities import Attributes, ExplainsItems, FoldsIn, ReadsText, Tunes
from fuserec.models.params import OneOf, Range
from fuserec.progress import progress

ONE_FOLD_USERS = 5
"""With ``n_folds`` unset, train with this many times ``group_users`` users makes one split."""
GROUP_CELLS = 100_000_000
"""Users × items a split's training groups may score: past it, fewer users than ``group_users``
make the groups, since every candidate user costs a full score row from every retriever."""


def default_retrievers(encoder: str = "minilm", temporal: bool | str = False) -> dict[str, Recommender]:
    """The retrievers a `LearnedReranker` pools from when given none, unfitted: EASE, RP3beta,
    Popularity, popularity on the user's clock, the semantic profile, text mapped onto ALS and
    TextEASE, the text models reading ``encoder`` and TextEASE searching on ``temporal`` splits.
    Extend it to add one: ``default_retrievers() | {"sasrec": SASRec()}``."""
    from fuserec.fusion.content import SemanticProfile
    from fuserec.fusion.text_ease import TextEASE
    from fuserec.fusion.text_to_factors import TextMappedFactors
    from fuserec.models import ALS, EASE, Popularity, RP3beta, UserTimePopularity

    return {"ease": EASE(reg=300.0, dtype="float32"), "rp3beta": RP3beta(), "popularity": Popularity(),
            "user-time-popularity": UserTimePopularity(),
            "semantic": SemanticProfile(encoder), "text-als": TextMappedFactors(ALS(factors=64), encoder),
            "text-ease": TextEASE(encoder, temporal=temporal, dtype="float32")}


class LearnedReranker(FoldsIn, Attributes, ExplainsItems, ReadsText, Tunes, Recommender):
    """LightGBM LambdaRank over the pooled top-``pool`` candidates of several retrievers.

    Each retriever (classic or text-based) proposes its best ``pool`` items for a user; the union
    is scored by gradient-boosted rankers that read every retriever's score and rank plus, when
    ``semantic_features`` is on, what the language model says about the candidate and the user.
    Training groups are carved from train only, so no setting sees the test.

    Parameters
    ----------
    retrievers : mapping of str to Recommender, optional
        Name → unfitted model. Default: EASE, RP3beta, Popularity, popularity on the user's clock,
        the MiniLM semantic profile, MiniLM text mapped onto ALS and TextEASE (the two EASE
        models in single precision). The defaults are chosen for cost, so that a catalogue of ten
        thousand items trains in minutes on two cores.
    pool : int
        Candidates taken from each retriever.
    semantic_features : bool
        Add, from ``encoder``'s item vectors, the highest and mean text similarity of a candidate
        to the user's latest items, the user's share of the candidate's topic, and two text-trend
        features that exist for items nobody has rated yet (cosine to the
        recent-popularity-weighted mean text vector; mean recent popularity of the nearest warm
        text neighbours). Off, with no text-based retriever, the re-ranker uses no language model
        at all (the ablation).
    encoder : str
        Encoder name for the semantic features (``fuserec.semantic``).
    n_topics : int
        Topics clustered from the item vectors for the topic-share feature.
    val_size : float
        Share of train held out in each training group.
    n_folds : int, optional
        Validation splits that make the training groups. Default 3 for temporal data, where older
        windows say less about the next one, and 8 for random splits, where more groups help; one
        when train has at least ``ONE_FOLD_USERS`` × ``group_users`` users, where a single split
        already holds more users than the groups take and each more split is a full refit of every
        retriever.
    light_users : bool
        Cold-start routing: a second set of rankers is trained on ``n_light_splits`` splits in
        which half the users keep only their first 1..``light_max`` interactions, and users with
        at most ``light_max`` training interactions are scored by it.
    light_max : int
        Most training interactions of a user routed to the light-user rankers.
    n_light_splits : int
        Splits that train the light-user rankers.
    temporal : bool or {"per-user"}
        How the training groups are carved: ``True`` consecutive time windows going back,
        ``"per-user"`` each user's own latest windows, ``False`` at random.
    n_estimators, learning_rate : int, float
        LightGBM boosting rounds (an upper bound: each ranker stops early) and step size.
    tree_settings : tuple of (int, int)
        ``(num_leaves, min_child_samples)`` pairs; the one whose rankers score the best NDCG@10 on
        their held-out users is kept.
    n_rankers : int
        Rankers averaged, each early-stopped on a different fifth of the users.
    select_retrievers : bool
        Drop, one at a time, the retriever whose removal most raises the rankers' held-out
        NDCG@10, while the gain is at least ``fuserec.fusion.rerank.selection.DROP_T`` paired
        standard errors. Off by default: in the fusion benchmark it did not help on the test.
    objective : {"lambdarank", "rank_xendcg", "binary"}
        LightGBM objective.
    keyword_features : bool
        With ``semantic_features``: one more feature from the language model's keywords
        (``fuserec.semantic.keywords.keyword_matrix``), the mean share of the user's items that
        carry each of the candidate's keywords.
    group_users : int
        Validation users whose candidates make training groups, per split: past that many, a
        seeded sample, so that the ranker's training rows and time stay bounded on large logs.
        On a large catalogue the sample is smaller still: at most ``GROUP_CELLS`` divided by the
        number of items.
    random_state : int
        Seed for the splits, the sampled users and the rankers.

    Attributes
    ----------
    retriever_scores_ : dict
        With ``select_retrievers``, the held-out score of every subset tried (a validation
        ablation of the retrievers).

    Notes
    -----
    A retriever that chooses its own settings on validation (``TextEASE``) chooses once, on all of
    train, and keeps them in the inner folds. ``benchmarks/fusion.py`` states the settings its
    figures were measured with.

    References
    ----------
    .. [1] Burges, "From RankNet to LambdaRank to LambdaMART: An Overview", Microsoft Research
       Technical Report MSR-TR-2010-82, 2010.
    .. [2] Ke et al., "LightGBM: A Highly Efficient Gradient Boosting Decision Tree", NeurIPS 2017.

    Examples
    --------
    >>> from fuserec.models import EASE, Popularity
    >>> model = LearnedReranker(retrievers={"ease": EASE(), "pop": Popularity()},
    ...                         semantic_features=False)
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "pool": Range(ge=1), "n_topics": Range(ge=2), "val_size": Range(gt=0, lt=1), "n_folds": Range(ge=1),
        "light_max": Range(ge=1), "n_light_splits": Range(ge=1), "temporal": OneOf(False, True, "per-user"),
        "n_estimators": Range(ge=1), "learning_rate": Range(gt=0), "n_rankers": Range(ge=1),
        "objective": OneOf("lambdarank", "rank_xendcg", "binary"), "group_users": Range(ge=1),
        "random_state": Range(ge=0),
    }

    task = "ranking"
    requires = ("lightgbm",)

    def __init__(self, retrievers: Mapping[str, Recommender] | None = None, pool: int = 50,
                 semantic_features: bool = True, encoder: str = "minilm", n_topics: int = 20,
                 val_size: float = 0.1, n_folds: int | None = None, light_users: bool = False, light_max: int = 5,
                 n_light_splits: int = 3, temporal: bool | str = False, n_estimators: int = 400,
                 learning_rate: float = 0.05,
                 tree_settings: tuple[tuple[int, int], ...] = ((31, 50), (15, 300)),
                 n_rankers: int = 3, select_retrievers: bool = False, objective: str = "lambdarank",
                 keyword_features: bool = False, group_users: int = 10_000, random_state: int = 0) -> None:
        self.retrievers = retrievers
        self.pool = pool
        self.semantic_features = semantic_features
        self.encoder = encoder
        self.n_topics = n_topics
        self.val_size = val_size
        self.n_folds = n_folds
        self.light_users = light_users
        self.light_max = light_max
        self.n_light_splits = n_light_splits
        self.temporal = temporal
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.tree_settings = tree_settings
        self.n_rankers = n_rankers
        self.select_retrievers = select_retrievers
        self.objective = objective
        self.keyword_features = keyword_features
        self.group_users = group_users
        self.random_state = random_state

    # ---- set-up -------------------------------------------------------------------------------
    def _retrievers(self) -> dict[str, Recommender]:
        if self.retrievers:
            return dict(self.retrievers)
        return default_retrievers(self.encoder, self.temporal)

    def required_modules(self) -> list[str]:
        """LightGBM, the encoder's modules when the semantic features are on, and every retriever's."""
        from fuserec.semantic.encoders import encoder_modules

        needed = list(self.requires) + (list(encoder_modules(self.encoder)) if self.semantic_features else [])
        for model in self._retrievers().values():
            needed += model.required_modules()
        return list(dict.fromkeys(needed))

    def text_encoders(self) -> list[str]:
        """Its own encoder when the semantic features are on, and every retriever's."""
        own = [self.encoder] if self.semantic_features else []
        return list(dict.fromkeys(own + [name for m in self._retrievers().values() for name in m.text_encoder_names()]))

    def feature_names(self) -> list[str]:
        """Names of the ranker's feature columns, in order."""
        return feature_names(self.fitted_, self.semantic_features, self.keyword_features)

    def _side(self, train: Dataset) -> Side:
        return Side(train, self.vectors_, self.topics_, self.keywords_)

    def _candidates(self, models: Mapping[str, Recommender], side: Side, seen: sp.csr_matrix, users: np.ndarray,
                    score: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Pooled (row, item) pairs for a batch of users, their features, and the fallback scores."""
        return pool_candidates(models, side, seen, users, self.pool, self.semantic_features, score)

    # ---- training ------------------------------------------------------------------------------
    def _fit(self, train: Dataset) -> None:
        self.vectors_ = self.topics_ = self.keywords_ = None
        if self.semantic_features:
            from sklearn.cluster import KMeans

            from fuserec.semantic import SemanticIndex

            index = SemanticIndex(train, self.encoder, show_progress=True)
            self.vectors_ = np.asarray(index.vectors, dtype=np.float32)
            self.topics_ = KMeans(self.n_topics, n_init=3, random_state=self.random_state).fit_predict(self.vectors_)
            if self.keyword_features:
                from fuserec.semantic.keywords import keyword_matrix

                self.keywords_ = keyword_matrix(index.texts, index.encoder, vectors=self.vectors_)[0]
        base = self._retrievers()
        # retrievers that search their own settings on validation do it once, on all of train;
        # the inner folds reuse the choice (and the search is not repeated per fold)
        tuned = {name: clone(m).fit(train) for name, m in base.items() if m.supports(Tunes)}
        base = {name: tuned[name].fixed() if name in tuned else m for name, m in base.items()}
        self.tree_scores_: dict[str, dict[tuple[int, int], float]] = {}
        x, y, group, owner, n_pos, self.recall_at_pool_ = self._training_groups(train, base,
                                                                                self._inner_splits(train))
        self.rankers_ = self._train_rankers(x, y, group, owner)
        self.retriever_scores_: dict[tuple[str, ...], float] = {}
        if self.select_retrievers and len(base) > 1:
            main = self.tree_scores_["main"]
            leaves, min_child = max(main, key=lambda s: main[s])
            keep, self.rankers_, self.retriever_scores_ = select_retrievers(
                list(base), x, y, group, owner, n_pos, train.n_items, self.pool, self.rankers_, self._seeds(),
                lambda xs, ys, g, o: self._rankers(xs, ys, g, o, leaves, min_child))
            base = {name: m for name, m in base.items() if name in keep}
        self.training_rows_ = len(y)
        self.light_rankers_ = None
        if self.light_users:
            light = light_splits(train, self.n_light_splits, self.light_max, self.random_state)
            x, y, group, owner, _, _ = self._training_groups(train, base, light, "light-user split")
            self.light_rankers_ = self._train_rankers(x, y, group, owner, "light")
        # stage two runs on retrievers refit on all of train
        self.fitted_ = {name: tuned[name] if name in tuned else clone(m).fit(train)
                        for name, m in progress(base.items(), "re-ranker: retrievers on all of train", len(base))}
        self.side_ = self._side(train)

    def _inner_splits(self, train: Dataset) -> Iterator[Split]:
        return inner_splits(train, self._n_folds(train.n_users), self.val_size, self.temporal, self.random_state)

    def _n_folds(self, n_users: int) -> int:
        if self.n_folds is not None:
            return self.n_folds
        return 1 if n_users >= ONE_FOLD_USERS * self.group_users else (3 if self.temporal else 8)

    def _group_users(self, n_items: int) -> int:
        return min(self.group_users, max(1, GROUP_CELLS // max(n_items, 1)))

    def cost(self, shape: DataShape) -> Cost:
        """Every retriever fit on each inner split and then on all of train, their scores for the
        training groups' users, and the rankers' boosting over the groups' rows
        (``fuserec.fusion.rerank.cost``)."""
        return pipeline_cost(shape, self._retrievers(), self._n_folds(shape.users), self._group_users(shape.items),
                             self.val_size, self.pool, self.n_estimators * self.n_rankers * len(self.tree_settings),
                             {self.encoder: shape.items} if self.semantic_features else {})

    def _training_groups(self, train: Dataset, base: Mapping[str, Recommender], splits: Iterable[Split],
                         what: str = "inner split") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                             np.ndarray, float]:
        users = self._group_users(train.n_items)
        return training_groups(train, base, splits, self._side, self.pool, self.semantic_features, what,
                               users, self.random_state)

    def _train_rankers(self, x: np.ndarray, y: np.ndarray, group: np.ndarray, owner: np.ndarray,
                       what: str = "main") -> list[Any]:
        """The averaged rankers of the ``tree_settings`` pair that does best on held-out users
        (``tree_scores_[what]``: held-out NDCG@10 of each pair)."""
        rankers, self.tree_scores_[what] = best_tree_setting(
            self.tree_settings, lambda leaves, min_child: self._rankers(x, y, group, owner, leaves, min_child), what)
        return rankers

    def _rankers(self, x: np.ndarray, y: np.ndarray, group: np.ndarray, owner: np.ndarray, leaves: int,
                 min_child: int) -> list[Any]:
        return fit_rankers(x, y, group, owner, seeds=self._seeds(), num_leaves=leaves, min_child_samples=min_child,
                           objective=self.objective, n_estimators=self.n_estimators,
                           learning_rate=self.learning_rate)

    def fixed(self) -> LearnedReranker:
        """An unfitted copy with this fit's choices written in: the retrievers it kept (each
        that tunes itself with its chosen settings) and the tree setting of each ranker set, so
        that a refit on more data searches none of them again."""
        self._check_fitted()
        retrievers = {name: m.fixed() if m.supports(Tunes) else clone(m) for name, m in self.fitted_.items()}
        chosen = [max(scores, key=lambda s: scores[s]) for scores in self.tree_scores_.values()]
        return clone(self).set_params(retrievers=retrievers, tree_settings=tuple(dict.fromkeys(chosen)),
                                      select_retrievers=False)

    def _seeds(self) -> range:
        return range(self.random_state, self.random_state + self.n_rankers)

    def feature_importance(self) -> dict[str, float]:
        """Total gain of each feature in the fitted ranker, largest first."""
        self._check_fitted()
        gain = np.sum([r.booster_.feature_importance("gain") for r in self.rankers_], axis=0)
        pairs = sorted(zip(self.feature_names(), gain, strict=True), key=lambda p: -p[1])
        return {name: float(g) for name, g in pairs}

    def explain_items(self, items: np.ndarray, user: int | None = None, history: sp.csr_matrix | None = None,
                      top: int = 3) -> list[dict[str, Any]]:
        """The retrievers that pooled each of ``items`` and the ``top`` features that moved its score,
        for a training user index or a fresh ``history`` row (`fuserec.fusion.rerank.explain`)."""
        from fuserec.fusion.rerank.explain import explain_items

        self._check_fitted()
        return explain_items(self, np.asarray(items), user, history, top)

    # ---- scoring -----------------------------------------------------------------------------
    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return self._score_with(self.side_, self.seen_, np.asarray(users, dtype=np.int64))

    #: The ranker's feature contributions traced to history items are shares, not an exact split.
    exact_attribution = False

    def unsupported(self) -> set[type]:
        """Fold-in and attribution need every retriever to fold in: the user features are then
        read from the history too."""
        models = getattr(self, "fitted_", None) or self._retrievers()
        return set() if all(m.supports(FoldsIn) for m in models.values()) else {FoldsIn, Attributes}

    def attribute(self, row: sp.csr_matrix, items: np.ndarray) -> Attribution:
        """The ranker's feature contributions traced to history items
        (`fuserec.fusion.rerank.explain.attribute`)."""
        from fuserec.fusion.rerank.explain import attribute

        return attribute(self, row, items)

    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        """Retriever scores from each history row (their own fold-in), user features recounted from
        the row, and the same rankers over the pooled candidates."""
        if not self.can_fold_in:
            slow = [name for name, m in self.fitted_.items() if not m.supports(FoldsIn)]
            raise FoldInError(f"retrievers {slow} cannot fold in new interactions; refit the re-ranker")
        seen = (histories > 0).astype(np.float32).tocsr()
        return self._score_with(self.side_.for_histories(histories), seen, np.arange(histories.shape[0]),
                                lambda model, rows: model._score_histories(histories[rows]))

    def _score_with(self, side: Side, seen: sp.csr_matrix, users: np.ndarray, score: Any = None) -> np.ndarray:
        out = np.empty((len(users), len(side.item_count)), dtype=np.float32)
        batch = batch_size(len(side.item_count))
        for start in range(0, len(users), batch):
            block = users[start:start + batch]
            rows, items, x, fallback = self._candidates(self.fitted_, side, seen, block, score)
            assert fallback is not None
            # outside the pool: the retrievers' mean z-score, shifted below every pooled item
            part = fallback - 1e4
            if len(rows):
                part[rows, items] = predict(self.rankers_, x)
                if self.light_rankers_ is not None:  # cold-start routing by the user's activity
                    light = side.user_count[block[rows]] <= self.light_max
                    if light.any():
                        part[rows[light], items[light]] = predict(self.light_rankers_, x[light])
            out[start:start + len(block)] = part
        return out
