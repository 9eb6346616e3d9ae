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


def _cornac_data(train: Dataset):
    """Cornac's own Dataset of the train interactions (all weight 1; our indices as raw ids) and,
    for each of our users, their Cornac index (-1: none)."""
    import cornac

    inter = train.interactions
    triples = list(zip(inter["user"].astype(str), inter["item"].astype(str), np.ones(len(inter)), strict=True))
    data = cornac.data.Dataset.from_uir(triples, seed=0)
    return data, np.array([data.uid_map.get(str(u), -1) for u in range(train.n_users)])


class CornacPeer(Recommender):
    """A Cornac model (EASE, BPR, ...) fitted on Cornac's own Dataset of the train interactions."""

    task = "ranking"

    def __init__(self, algorithm: str = "EASE", params: dict | None = None) -> None:
        self.algorithm = algorithm
        self.params = params

    def _fit(self, train: Dataset) -> None:
        import cornac

        data, self.user_map_ = _cornac_data(train)
        params = dict(self.params or {})
        params.setdefault("verbose", False)
        if self.algorithm != "EASE":
            params.setdefault("seed", 0)
        self.model_ = getattr(cornac.models, self.algorithm)(**params)
        self.model_.fit(data)
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


class CornacCTR(Recommender):
    """Cornac's Collaborative Topic Regression (Wang & Blei 2011): matrix factorisation whose item
    factors are pulled toward the item's LDA topic proportions, learned together. Settings and text
    handling as in Cornac's own CTR example (k 50, 50 iterations, λ_v 1; bag of words with English
    stop words, 8,000 words, words in over half the items dropped); the text is fuserec's item text,
    the same every fused model reads, and its vocabulary is built over all items.

    Cornac scores only items it was trained on. Items without a train interaction get the paper's
    out-of-matrix prediction, r = u·θ_j, with θ_j inferred from the item's words under the learned
    topics (the LDA E-step with the topics fixed); this is the one thing added here. (The paper's
    λ_v = 100 instead of the example's 1: ml-100k random 80/20 NDCG@10 0.075 vs 0.166, cold items on
    ml-latest-small Recall@20 0.0141 vs 0.0138; the example's setting stays.)"""

    task = "ranking"

    def __init__(self, k: int = 50, max_iter: int = 50, lambda_v: float = 1.0, seed: int = 0) -> None:
        self.k = k
        self.max_iter = max_iter
        self.lambda_v = lambda_v
        self.seed = seed

    def _fit(self, train: Dataset) -> None:
        import cornac
        from cornac.data import TextModality
        from cornac.data.text import BaseTokenizer

        from fuserec.semantic.text import item_texts

        data, self.user_map_ = _cornac_data(train)
        known = np.array([int(raw) for raw in data.iid_map], dtype=np.int64)  # ours, in Cornac's order
        cold = np.setdiff1d(np.arange(train.n_items), known)
        texts = item_texts(train)
        # rows 0..len(known)-1 are Cornac's items in its own order (what CTR reads); the cold items follow
        text = TextModality(corpus=[texts[i] for i in np.concatenate([known, cold])],
                            tokenizer=BaseTokenizer(sep=" ", stop_words="english"), max_vocab=8000, max_doc_freq=0.5)
        text.build()
        data.add_modalities(item_text=text)
        self.model_ = cornac.models.CTR(k=self.k, max_iter=self.max_iter, lambda_v=self.lambda_v, seed=self.seed,
                                        verbose=False)
        with threadpool_limits(1, "blas"):  # k × k solves one at a time: threads only add overhead
            self.model_.fit(data)
        vectors = np.zeros((train.n_items, self.k))
        vectors[known] = self.model_.V
        vectors[cold] = self._infer_topics(text.count_matrix[len(known):], self.model_.model.beta)
        self.item_vectors_ = vectors

    @staticmethod
    def _infer_topics(counts: sp.csr_matrix, beta: np.ndarray, n_iter: int = 30) -> np.ndarray:
        """θ of each row's document under fixed topics ``beta`` (words × topics): alternate the
        words' topic responsibilities and the document's topic proportions."""
        theta = np.full((counts.shape[0], beta.shape[1]), 1.0 / beta.shape[1])
        for d in range(counts.shape[0]):
            lo, hi = counts.indptr[d], counts.indptr[d + 1]
            if lo == hi:
                continue  # no known word: uniform
            words, n = counts.indices[lo:hi], counts.data[lo:hi]
            for _ in range(n_iter):
                phi = theta[d] * beta[words] + 1e-100
                phi /= phi.sum(1, keepdims=True)
                theta[d] = n @ phi
                theta[d] /= theta[d].sum()
        return theta

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        cu = self.user_map_[users]
        out = np.zeros((len(users), self.item_vectors_.shape[0]), dtype=np.float32)
        have = cu >= 0  # a user without train interactions has no factors: all items tie
        out[have] = self.model_.U[cu[have]] @ self.item_vectors_.T
        return out
