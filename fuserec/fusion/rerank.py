"""Two-stage retrieve-then-rerank: a LightGBM LambdaRank model over candidates pooled from several
retrievers, with features from both sides (collaborative scores and ranks, semantic similarity,
topic overlap, what the text says about an item's chances now, item popularity and age, user
activity and how long the user has been idle).

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

from collections.abc import Iterable, Mapping
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from fuserec._core.scores import zscore_rows
from fuserec._core.topk import mask_seen
from fuserec.data.dataset import Dataset
from fuserec.data.split import Split, light_users_split, validation_split
from fuserec.fusion.content import text_trend
from fuserec.models.base import Recommender
from fuserec.models.baselines import recent_counts
from fuserec.models.params import OneOf, Range
from fuserec.progress import progress

DAY = 86_400.0
BATCH = 256  # users whose candidate features are built at once
HISTORY = 50  # latest items of a user compared with each candidate by text
DROP_T = 2.0  # standard errors by which dropping a retriever must raise held-out NDCG@10


class _Side:
    """What the features need from one training set: counts, ages, user histories, text."""

    def __init__(self, train: Dataset, vectors: np.ndarray | None, topics: np.ndarray | None,
                 keywords: sp.csr_matrix | None = None) -> None:
        inter = train.interactions
        users, items = inter["user"].to_numpy(), inter["item"].to_numpy()
        self.item_count = np.bincount(items, minlength=train.n_items).astype(np.float32)
        self.user_count = np.bincount(users, minlength=train.n_users).astype(np.float32)
        logpop = np.log1p(self.item_count)
        self.user_taste = (np.bincount(users, weights=logpop[items], minlength=train.n_users)
                           / np.maximum(self.user_count, 1)).astype(np.float32)
        self.item_recent = recent_counts(train)
        self.item_age = np.full(train.n_items, -1.0, dtype=np.float32)
        self.user_idle = np.full(train.n_users, -1.0, dtype=np.float32)  # days since the user's latest
        if train.has_timestamps and len(inter):
            ts = inter["timestamp"].to_numpy(np.float64)
            now = ts.max()
            first = np.full(train.n_items, np.inf)
            np.minimum.at(first, items, ts)
            self.item_age = np.where(np.isfinite(first), (now - first) / DAY, -1.0).astype(np.float32)
            latest = np.full(train.n_users, -np.inf)
            np.maximum.at(latest, users, ts)
            self.user_idle = np.where(np.isfinite(latest), (now - latest) / DAY, -1.0).astype(np.float32)
            order = np.lexsort((ts, users))
        else:
            order = np.argsort(users, kind="stable")
        # each user's latest HISTORY items, for the text max-similarity feature
        su, si = users[order], items[order]
        starts = np.searchsorted(su, np.arange(train.n_users))
        ends = np.searchsorted(su, np.arange(train.n_users), side="right")
        self.history = [si[max(s, e - HISTORY):e] for s, e in zip(starts, ends, strict=True)]
        self.vectors = vectors
        self.topics = topics
        if vectors is not None:
            self.item_trend_sim, self.item_neighbour_recent = text_trend(vectors, self.item_count, self.item_recent)
        if topics is not None:
            n_topics = int(topics.max()) + 1
            dist = sp.csr_matrix((np.ones(len(items)), (users, topics[items])), shape=(train.n_users, n_topics))
            dist = np.asarray(dist.todense(), dtype=np.float32)
            self.user_topics = dist / np.maximum(dist.sum(axis=1, keepdims=True), 1)
        self.item_keywords = keywords
        if keywords is not None:  # the share of the user's items that carry each keyword
            seen = (train.matrix("binary") > 0).astype(np.float32)  # one per distinct item
            distinct = np.maximum(np.diff(seen.indptr), 1).astype(np.float32)
            self.user_keywords = sp.csr_matrix(sp.diags(1 / distinct) @ (seen @ keywords))


class LearnedReranker(Recommender):
    """LightGBM LambdaRank over the pooled top-``pool`` of each retriever.

    ``retrievers``: name → unfitted model (default: EASE, RP3beta, Popularity, popularity on the
    user's clock, the MiniLM semantic profile, MiniLM text mapped onto ALS, and TextEASE; the two
    EASE models in single precision). The defaults (``pool=50``, ``n_rankers=3``, single-precision
    EASE) are chosen for cost, so that a catalogue of ten thousand items trains in minutes on two
    cores; ``benchmarks/fusion.py`` states the settings its figures were measured with.
    ``semantic_features``: add, from
    ``encoder``'s item vectors, the highest and mean text similarity of a candidate to the user's
    latest items, the user's share of the candidate's topic, and two text-trend features that
    exist for items nobody has rated yet (cosine to the recent-popularity-weighted mean text
    vector; mean recent popularity of the 10 nearest warm text neighbours: measured on
    ml-latest-small, temporal, NDCG@10 0.4786 → 0.4870); with it off and no text-based retriever
    the re-ranker uses no language model at all (the ablation). Training groups come from
    ``n_folds`` validation splits of ``val_size`` carved from train (``temporal=True``: consecutive
    time windows going back; ``"per-user"``: each user's own latest windows going back; default 3
    for temporal data, where older windows say less about the next one (windows as long as the
    test's horizon learn from what the test asks: with ``val_size`` = the test's share of train and
    ``n_folds=2``, MovieTweetings-100K NDCG@10 with CF + LM features 0.0970 → 0.1062, while the
    CF-only ablation falls 0.0987 → 0.0908), and 8 for random splits, where more groups help:
    ml-100k, NDCG@10 with CF + LM features 0.4398 at 3 folds, 0.4495 at 8, beside EASE's 0.4453,
    under the earlier group-wise early stopping; with TextEASE among the retrievers and the settings below, 0.4557).
    ``keyword_features=True`` (with ``semantic_features``): one more feature from the language
    model's keywords (``fuserec.semantic.keywords.keyword_matrix``: each item's 5 words of the
    catalogue's vocabulary): the mean, over the candidate's keywords, of the share of the user's
    items that carry the keyword.
    ``light_users=True`` is cold-start routing: a second set of rankers is trained on
    ``n_light_splits`` splits in which half the users keep only their first 1..``light_max``
    interactions (the test being the rest of theirs), and users with at most ``light_max``
    training interactions are scored by it. ``n_rankers`` models, each early-stopped on a
    different fifth of the users, are averaged; ``tree_settings`` are (num_leaves,
    min_child_samples) pairs, and the one whose rankers score the best NDCG@10 on their held-out
    users is kept (ml-100k picks the coarser trees, (15, 300)). A retriever that chooses its own
    settings on validation (``TextEASE``) chooses once, on all of train, and keeps them in the
    inner folds.
    ``select_retrievers=True``: drop, one at a time, the retriever whose removal most raises the
    rankers' NDCG@10 on their held-out users (its candidates leave the pool, its scores leave the
    features; a held-out group whose positives all left the pool counts 0), while the gain is at
    least ``DROP_T`` standard errors paired over those groups; ``retriever_scores_`` keeps every
    subset tried, a validation ablation of the retrievers. Off by default: measured, it did not
    help on the test. ml-100k, CF-only retrievers: it dropped Popularity (held-out 0.2040 →
    0.2065) and test NDCG@10 fell 0.4472 → 0.4451; with the language-model retrievers it kept all
    seven (0.4559, unchanged). MovieTweetings, CF-only: it kept popularity on the user's clock
    (held-out 0.3060 with it, 0.2933 without), although on the test the re-ranker without it
    scores 0.1031 against 0.0992 with it.
    ``objective`` is LightGBM's ("lambdarank"; "rank_xendcg" and "binary" measured within noise
    of it on ml-100k).
    """

    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "pool": Range(ge=1), "n_topics": Range(ge=2), "val_size": Range(gt=0, lt=1), "n_folds": Range(ge=1),
        "light_max": Range(ge=1), "n_light_splits": Range(ge=1), "temporal": OneOf(False, True, "per-user"),
        "n_estimators": Range(ge=1), "learning_rate": Range(gt=0), "n_rankers": Range(ge=1),
        "objective": OneOf("lambdarank", "rank_xendcg", "binary"), "random_state": Range(ge=0),
    }

    task = "ranking"

    def __init__(self, retrievers: Mapping[str, Recommender] | None = None, pool: int = 50,
                 semantic_features: bool = True, encoder: str = "minilm", n_topics: int = 20,
                 val_size: float = 0.1, n_folds: int | None = None, light_users: bool = False, light_max: int = 5,
                 n_light_splits: int = 3, temporal: bool | str = False, n_estimators: int = 400,
                 learning_rate: float = 0.05,
                 tree_settings: tuple[tuple[int, int], ...] = ((31, 50), (15, 300)),
                 n_rankers: int = 3, select_retrievers: bool = False, objective: str = "lambdarank",
                 keyword_features: bool = False, random_state: int = 0) -> None:
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
        self.random_state = random_state

    # ---- set-up -------------------------------------------------------------------------------
    def _retrievers(self) -> dict[str, Recommender]:
        if self.retrievers:
            return dict(self.retrievers)
        from fuserec.fusion.content import SemanticProfile
        from fuserec.fusion.text_ease import TextEASE
        from fuserec.fusion.text_to_factors import TextMappedFactors
        from fuserec.models import ALS, EASE, Popularity, RP3beta, UserTimePopularity

        return {"ease": EASE(reg=300.0, dtype="float32"), "rp3beta": RP3beta(), "popularity": Popularity(),
                "user-time-popularity": UserTimePopularity(),
                "semantic": SemanticProfile(self.encoder), "text-als": TextMappedFactors(ALS(factors=64), self.encoder),
                "text-ease": TextEASE(self.encoder, temporal=self.temporal, dtype="float32")}

    @property
    def uses_lm(self) -> bool:
        """Whether any part of this re-ranker reads a language model's output: its own semantic
        features, or a retriever with an ``encoder`` other than TF-IDF (every text-reading model has one)."""
        lm = lambda m: getattr(m, "encoder", None) not in (None, "tfidf")  # noqa: E731
        return (self.semantic_features and self.encoder != "tfidf") or any(map(lm, self._retrievers().values()))

    def feature_names(self) -> list[str]:
        names = []
        for r in self.fitted_:
            names += [f"{r}:z", f"{r}:logrank"]
        names += ["item:logpop", "item:logrecent", "item:age_days", "user:logcount", "user:taste_logpop",
                  "user:idle_days"]
        if self.semantic_features:
            names += ["text:max_sim_history", "text:mean_sim_history", "text:topic_share", "text:trend_sim",
                      "text:neighbour_recent"]
            if self.keyword_features:
                names.append("text:keyword_overlap")
        return names

    # ---- features -----------------------------------------------------------------------------
    def _candidates(self, models: dict[str, Recommender], side: _Side, seen: sp.csr_matrix,
                    users: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Pooled (row, item) pairs for a batch of users, their features, and the fallback scores."""
        zs, ranks = [], []
        pool = np.zeros((len(users), len(side.item_count)), dtype=bool)
        k = min(self.pool, pool.shape[1] - 1)
        for model in models.values():
            z = mask_seen(zscore_rows(model._score_users(users)), seen[users])
            order = np.argsort(-z, axis=1, kind="stable")
            rank = np.empty_like(order)
            np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :], axis=1)
            np.put_along_axis(pool, order[:, :k], True, axis=1)
            zs.append(z)
            ranks.append(rank)
        pool &= np.isfinite(zs[0])
        rows, items = np.nonzero(pool)
        u = users[rows]
        cols = []
        for z, rank in zip(zs, ranks, strict=True):
            cols += [z[rows, items], np.log1p(rank[rows, items].astype(np.float32))]
        cols += [np.log1p(side.item_count[items]), np.log1p(side.item_recent[items]), side.item_age[items],
                 np.log1p(side.user_count[u]), side.user_taste[u], side.user_idle[u]]
        if self.semantic_features:
            max_sim, mean_sim = self._history_sim(side, users, rows, items)
            cols += [max_sim, mean_sim, side.user_topics[u, side.topics[items]], side.item_trend_sim[items],
                     side.item_neighbour_recent[items]]
            if side.item_keywords is not None:
                cols.append(self._keyword_overlap(side, users, rows, items))
        fallback = np.mean([np.where(np.isfinite(z), z, -np.inf) for z in zs], axis=0)
        return rows, items, np.column_stack(cols).astype(np.float32), fallback

    @staticmethod
    def _history_sim(side: _Side, users: np.ndarray, rows: np.ndarray,
                     items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Highest and mean text cosine between each candidate and the user's latest items (0 without history)."""
        out = np.zeros(len(rows), dtype=np.float32)
        mean = np.zeros(len(rows), dtype=np.float32)
        starts = np.searchsorted(rows, np.arange(len(users)))
        ends = np.searchsorted(rows, np.arange(len(users)), side="right")
        for r, user in enumerate(users):  # one matrix product per user, not per pair
            hist = side.history[user]
            if len(hist) and ends[r] > starts[r]:
                sims = side.vectors[items[starts[r]:ends[r]]] @ side.vectors[hist].T
                out[starts[r]:ends[r]] = sims.max(axis=1)
                mean[starts[r]:ends[r]] = sims.mean(axis=1)
        return out, mean

    @staticmethod
    def _keyword_overlap(side: _Side, users: np.ndarray, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Mean, over a candidate's keywords, of the share of the user's items that carry the keyword."""
        mine = side.user_keywords[users].toarray()  # the batch's users × vocabulary
        kw = side.item_keywords[items]
        n = np.diff(kw.indptr)
        pair = np.repeat(np.arange(len(items)), n)
        total = np.bincount(pair, weights=mine[rows[pair], kw.indices], minlength=len(items))
        return (total / np.maximum(n, 1)).astype(np.float32)

    def _side(self, train: Dataset) -> _Side:
        return _Side(train, self.vectors_, self.topics_, self.keywords_)

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
        tuned = {name: clone(m).fit(train) for name, m in base.items() if hasattr(m, "fixed")}
        base = {name: tuned[name].fixed() if name in tuned else m for name, m in base.items()}
        self.tree_scores_: dict[str, dict[tuple[int, int], float]] = {}
        x, y, group, owner, n_pos, self.recall_at_pool_ = self._training_groups(train, base,
                                                                                self._inner_splits(train))
        self.rankers_ = self._train_rankers(x, y, group, owner)
        self.retriever_scores_: dict[tuple[str, ...], float] = {}
        if self.select_retrievers and len(base) > 1:
            keep = self._select(list(base), x, y, group, owner, n_pos, train.n_items)
            base = {name: m for name, m in base.items() if name in keep}
        self.training_rows_ = len(y)
        self.light_rankers_ = None
        if self.light_users:
            x, y, group, owner, _, _ = self._training_groups(train, base, self._light_splits(train),
                                                             "light-user split")
            self.light_rankers_ = self._train_rankers(x, y, group, owner, "light")
        # stage two runs on retrievers refit on all of train
        self.fitted_ = {name: tuned[name] if name in tuned else clone(m).fit(train)
                        for name, m in progress(base.items(), "re-ranker: retrievers on all of train", len(base))}
        self.side_ = self._side(train)

    def _training_groups(self, train: Dataset, base: dict[str, Recommender], splits: Iterable[Split],
                         what: str = "inner split") -> tuple[np.ndarray, ...]:
        """Candidate features, labels, group sizes, each group's user and its number of validation
        positives (pooled or not) from validation ``splits`` carved from ``train``, and the share
        of validation positives found in the pool."""
        xs, ys, groups, owners, positives = [], [], [], [], []
        found = wanted = 0
        for fold, inner in enumerate(splits):
            fitted = {name: clone(m).fit(inner.train)
                      for name, m in progress(base.items(), f"re-ranker: retrievers on {what} {fold + 1}",
                                              len(base))}
            side = self._side(inner.train)
            seen = inner.train.matrix("binary")
            truth = inner.test.matrix("binary")
            n_truth = np.diff(truth.indptr)  # validation positives per user, pooled or not
            users = np.flatnonzero(n_truth > 0)
            wanted += truth[users].sum()
            for start in progress(range(0, len(users), BATCH), f"re-ranker: candidates of {what} {fold + 1}",
                                  -(-len(users) // BATCH)):
                block = users[start:start + BATCH]
                rows, items, x, _ = self._candidates(fitted, side, seen, block)
                y = np.asarray(truth[block[rows], items]).ravel() > 0
                counts = np.bincount(rows, minlength=len(block))
                hits = np.bincount(rows, weights=y, minlength=len(block))
                keep = hits[rows] > 0  # a group with no positive teaches LambdaRank nothing
                xs.append(x[keep])
                ys.append(y[keep].astype(np.int32))
                groups.append(counts[hits > 0])
                owners.append(block[hits > 0])
                positives.append(n_truth[block[hits > 0]])
                found += y.sum()
            del fitted, side  # this fold's retrievers go before the next fold's are fit (memory)
        return (np.vstack(xs), np.concatenate(ys), np.concatenate(groups), np.concatenate(owners),
                np.concatenate(positives), float(found / max(wanted, 1)))

    def _train_rankers(self, x: np.ndarray, y: np.ndarray, group: np.ndarray, owner: np.ndarray,
                       what: str = "main") -> list:
        """The averaged rankers of the ``tree_settings`` pair that does best on held-out users
        (``tree_scores_[what]``: held-out NDCG@10 of each pair)."""
        best, best_score = None, -np.inf
        self.tree_scores_[what] = {}
        for leaves, min_child in progress(self.tree_settings, f"re-ranker: {what} rankers, each tree setting",
                                          len(self.tree_settings)):
            rankers = self._rankers(x, y, group, owner, leaves, min_child)
            score = float(np.mean([r.best_score_["valid_0"]["ndcg@10"] for r in rankers]))
            self.tree_scores_[what][(leaves, min_child)] = score
            if score > best_score:
                best, best_score = rankers, score
        return best

    def _rankers(self, x: np.ndarray, y: np.ndarray, group: np.ndarray, owner: np.ndarray, leaves: int,
                 min_child: int) -> list:
        import lightgbm as lgb

        # n_rankers LambdaRank models, each early-stopped on a different fifth of the users,
        # averaged: one early-stopped ranker keeps only a handful of trees and its choice of them
        # swings with the held-out users. Held out by user, not by group: a user has a group in
        # every fold with near-identical user features, so held-out groups of users seen in
        # training reward trees that memorise users (ml-100k, LM features: early stopping ran to
        # 100-290 trees and NDCG@10 fell to 0.4455; held out by user, 13-58 trees and 0.4525)
        rankers = []
        for seed in self._seeds():
            held = self._held_out(owner, seed)
            row_held = np.repeat(held, group)
            ranker = lgb.LGBMRanker(objective=self.objective, n_estimators=self.n_estimators,
                                    learning_rate=self.learning_rate, num_leaves=leaves,
                                    min_child_samples=min_child, subsample=0.8, subsample_freq=1,
                                    colsample_bytree=0.8, random_state=seed, n_jobs=2, verbose=-1)
            ranker.fit(x[~row_held], y[~row_held], group=group[~held],
                       eval_X=(x[row_held],), eval_y=(y[row_held],),
                       eval_group=[group[held]], eval_at=[10],
                       callbacks=[lgb.early_stopping(30, verbose=False)])
            rankers.append(ranker)
        return rankers

    def _select(self, names: list[str], x: np.ndarray, y: np.ndarray, group: np.ndarray, owner: np.ndarray,
                n_pos: np.ndarray, n_items: int) -> list[str]:
        """Backward elimination of retrievers by held-out NDCG@10 (see ``select_retrievers``).
        Rankers keep the tree size chosen with every retriever; a subset's rankers are trained on
        the candidates its retrievers pool and scored on the same held-out groups as the full
        set's (a group whose positives all left the pool scores 0). A retriever goes only when
        the gain is clear: paired over those groups, at least ``DROP_T`` standard errors."""
        leaves, min_child = max(self.tree_scores_["main"], key=self.tree_scores_["main"].get)
        gid = np.repeat(np.arange(len(group)), group)
        k = min(self.pool, n_items - 1)
        pooled = x[:, 1:2 * len(names):2] < np.log1p(k - 0.5)  # row × retriever: in its top k

        def score(subset: list[str], rankers: list | None = None) -> tuple[np.ndarray, list]:
            cols = [j for j, n in enumerate(names) if n in subset]
            rows = pooled[:, cols].any(axis=1)
            hits = np.bincount(gid[rows], weights=y[rows], minlength=len(group))
            rows &= hits[gid] > 0
            features = np.r_[[c for j in cols for c in (2 * j, 2 * j + 1)], np.arange(2 * len(names), x.shape[1])]
            xs, ys, g = x[np.ix_(rows, features)], y[rows], gid[rows]
            sizes = np.bincount(g, minlength=len(group))
            present = sizes > 0
            if rankers is None:
                rankers = self._rankers(xs, ys, sizes[present], owner[present], leaves, min_child)
            values = self._held_out_ndcg(rankers, xs, ys, g, owner, n_pos)
            self.retriever_scores_[tuple(subset)] = float(np.nanmean(values))
            return values, rankers

        chosen = list(names)
        best, best_rankers = score(chosen, self.rankers_)
        while len(chosen) > 1:
            trials = {name: score([n for n in chosen if n != name]) for name in
                      progress(chosen, f"re-ranker: dropping one of {len(chosen)} retrievers", len(chosen))}
            drop = max(trials, key=lambda n: np.nanmean(trials[n][0]))
            diff = (trials[drop][0] - best)[~np.isnan(best)]
            if diff.mean() < DROP_T * diff.std(ddof=1) / np.sqrt(len(diff)):
                break
            chosen.remove(drop)
            best, best_rankers = trials[drop]
        self.rankers_ = best_rankers
        return chosen

    def _held_out_ndcg(self, rankers: list, x: np.ndarray, y: np.ndarray, gid: np.ndarray, owner: np.ndarray,
                       n_pos: np.ndarray) -> np.ndarray:
        """NDCG@10 of each ranker on each group it held out, as one (rankers × groups) row-major
        vector with NaN where a group was not held out (``gid``: each row's group among all the
        groups; a held-out group without rows scores 0)."""
        from fuserec._core.ranking import ndcg_at_k

        out = np.full((len(rankers), len(owner)), np.nan)
        for r, (ranker, seed) in enumerate(zip(rankers, self._seeds(), strict=True)):
            held = self._held_out(owner, seed)
            out[r, held] = 0.0
            rows = held[gid]
            pred = ranker.predict(x[rows], num_iteration=ranker.best_iteration_)
            order = np.lexsort((-pred, gid[rows]))
            g, label = gid[rows][order], y[rows][order]
            position = np.arange(len(g)) - np.searchsorted(g, g)
            groups = np.unique(g)
            hits = np.zeros((len(groups), 10), dtype=bool)
            top = position < 10
            hits[np.searchsorted(groups, g[top]), position[top]] = label[top] > 0
            out[r, groups] = ndcg_at_k(hits, n_pos[groups], 10)
        return out.ravel()

    def _seeds(self) -> range:
        return range(self.random_state, self.random_state + self.n_rankers)

    @staticmethod
    def _held_out(owner: np.ndarray, seed: int, share: float = 0.2) -> np.ndarray:
        """Which groups are held out for early stopping: every group of a random ``share`` of users."""
        return (np.random.default_rng(seed).random(int(owner.max()) + 1) < share)[owner]

    def _inner_splits(self, train: Dataset):
        """``n_folds`` (train minus validation, validation) pairs carved from ``train``: disjoint
        random folds, or for temporal data consecutive windows going back in time."""
        n_folds = self.n_folds if self.n_folds is not None else (3 if self.temporal else 8)
        if not self.temporal:
            order = np.random.default_rng(self.random_state).permutation(len(train))
            size = int(round(len(train) * self.val_size))
            for fold in range(n_folds):
                test = np.zeros(len(train), dtype=bool)
                test[order[fold * size:(fold + 1) * size]] = True
                if not test.any():
                    return
                yield Split(train.subset(~test), train.subset(test), "random", fold=fold)
            return
        rest = train
        for fold in range(n_folds):
            share = self.val_size / (1 - fold * self.val_size)
            if share >= 1:
                return
            inner = validation_split(rest, share, temporal=self.temporal)  # a global cut, or each user's latest
            yield inner
            rest = inner.train

    def _light_splits(self, train: Dataset):
        """Splits in which half the users with more than ``light_max`` interactions keep only
        their first 1..``light_max``; their test is the rest of theirs (the light-user protocol)."""
        for fold in range(self.n_light_splits):
            yield light_users_split(train, 0.5, self.light_max, seed=self.random_state + 1 + fold)

    def feature_importance(self) -> dict[str, float]:
        """Total gain of each feature in the fitted ranker, largest first."""
        self._check_fitted()
        gain = np.sum([r.booster_.feature_importance("gain") for r in self.rankers_], axis=0)
        pairs = sorted(zip(self.feature_names(), gain, strict=True), key=lambda p: -p[1])
        return {name: float(g) for name, g in pairs}

    # ---- scoring -----------------------------------------------------------------------------
    @staticmethod
    def _predict(rankers: list, x: np.ndarray) -> np.ndarray:
        return np.mean([r.predict(x, num_iteration=r.best_iteration_) for r in rankers], axis=0)

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        out = np.empty((len(users), len(self.side_.item_count)), dtype=np.float32)
        for start in range(0, len(users), BATCH):
            block = users[start:start + BATCH]
            rows, items, x, fallback = self._candidates(self.fitted_, self.side_, self.seen_, block)
            # outside the pool: the retrievers' mean z-score, shifted below every pooled item
            part = fallback - 1e4
            if len(rows):
                part[rows, items] = self._predict(self.rankers_, x)
                if self.light_rankers_ is not None:  # cold-start routing by the user's activity
                    light = self.side_.user_count[block[rows]] <= self.light_max
                    if light.any():
                        part[rows[light], items[light]] = self._predict(self.light_rankers_, x[light])
            out[start:start + len(block)] = part
        return out
