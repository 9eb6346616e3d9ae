"""Peer libraries behind fuserec's model interface, so every system is scored by the same code
(full ranking over all items, train items excluded) on the same splits.

Each adapter fits the peer's own model and exposes its own scores; nothing of ours is used inside.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from fuserec.data.dataset import Dataset
from fuserec.models.base import Recommender


class ImplicitPeer(Recommender):
    """implicit's AlternatingLeastSquares, BayesianPersonalizedRanking, CosineRecommender, BM25Recommender."""

    task = "ranking"

    def __init__(self, algorithm: str = "als", params: dict | None = None) -> None:
        self.algorithm = algorithm
        self.params = params

    def _fit(self, train: Dataset) -> None:
        import implicit

        cls = {"als": implicit.als.AlternatingLeastSquares, "bpr": implicit.bpr.BayesianPersonalizedRanking,
               "cosine": implicit.nearest_neighbours.CosineRecommender,
               "bm25": implicit.nearest_neighbours.BM25Recommender}[self.algorithm]
        params = dict(self.params or {})
        if self.algorithm in ("als", "bpr"):
            params.setdefault("random_state", 0)
        self.model_ = cls(**params)
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model_.fit(sp.csr_matrix(self.seen_, dtype=np.float32), show_progress=False)

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        if self.algorithm in ("als", "bpr"):
            return np.asarray(self.model_.user_factors)[users] @ np.asarray(self.model_.item_factors).T
        return (self.seen_[users] @ self.model_.similarity).toarray()


class CornacPeer(Recommender):
    """A Cornac model (EASE, BPR, ...) fitted on Cornac's own Dataset of the train interactions."""

    task = "ranking"

    def __init__(self, algorithm: str = "EASE", params: dict | None = None) -> None:
        self.algorithm = algorithm
        self.params = params

    def _fit(self, train: Dataset) -> None:
        import cornac

        inter = train.interactions
        triples = list(zip(inter["user"].astype(str), inter["item"].astype(str), np.ones(len(inter)), strict=True))
        data = cornac.data.Dataset.from_uir(triples, seed=0)
        params = dict(self.params or {})
        params.setdefault("verbose", False)
        if self.algorithm != "EASE":
            params.setdefault("seed", 0)
        self.model_ = getattr(cornac.models, self.algorithm)(**params)
        self.model_.fit(data)
        self.user_map_ = np.array([data.uid_map.get(str(u), -1) for u in range(train.n_users)])
        self.item_map_ = np.array([data.iid_map.get(str(i), -1) for i in range(train.n_items)])

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        known = self.item_map_ >= 0
        out = np.full((len(users), len(self.item_map_)), -np.inf, dtype=np.float32)
        for row, u in enumerate(users):  # Cornac scores one user at a time
            cu = self.user_map_[u]
            if cu >= 0:
                out[row, known] = np.ravel(self.model_.score(int(cu)))[self.item_map_[known]]
        return out


class LightFMPeer(Recommender):
    """LightFM (Kula 2015) with the WARP loss on interactions only (no features)."""

    task = "ranking"

    def __init__(self, no_components: int = 64, learning_rate: float = 0.05, item_alpha: float = 0.0,
                 epochs: int = 30, random_state: int = 0) -> None:
        self.no_components = no_components
        self.learning_rate = learning_rate
        self.item_alpha = item_alpha
        self.epochs = epochs
        self.random_state = random_state

    def _fit(self, train: Dataset) -> None:
        from lightfm import LightFM

        self.model_ = LightFM(loss="warp", no_components=self.no_components, learning_rate=self.learning_rate,
                              item_alpha=self.item_alpha, random_state=self.random_state)
        self.model_.fit(sp.coo_matrix(self.seen_), epochs=self.epochs, num_threads=2)
        ib, iv = self.model_.get_item_representations()
        ub, uv = self.model_.get_user_representations()
        self.item_vectors_, self.item_biases_, self.user_vectors_ = iv, ib, uv

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return self.user_vectors_[users] @ self.item_vectors_.T + self.item_biases_[None, :]


class LightFMHybrid(Recommender):
    """LightFM WARP with item features = identity + binary bag of words of the item text (its
    paper's hybrid setting); the text is fuserec's item text of the training dataset, the same
    text every fused model reads."""

    task = "ranking"

    def __init__(self, no_components: int = 64, epochs: int = 30, random_state: int = 0) -> None:
        self.no_components = no_components
        self.epochs = epochs
        self.random_state = random_state

    def _fit(self, train: Dataset) -> None:
        from lightfm import LightFM
        from sklearn.feature_extraction.text import CountVectorizer

        from fuserec.semantic.text import item_texts

        texts = [t if t.strip() else "(no text)" for t in item_texts(train)]
        words = CountVectorizer(binary=True, min_df=2).fit_transform(texts)
        self.features_ = sp.hstack([sp.identity(train.n_items, format="csr"), words], format="csr")
        self.model_ = LightFM(loss="warp", no_components=self.no_components, random_state=self.random_state)
        self.model_.fit(sp.coo_matrix(self.seen_), item_features=self.features_, epochs=self.epochs, num_threads=2)
        self.item_bias_, self.item_vectors_ = self.model_.get_item_representations(self.features_)
        _, self.user_vectors_ = self.model_.get_user_representations()

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return self.user_vectors_[users] @ self.item_vectors_.T + self.item_bias_[None, :]
