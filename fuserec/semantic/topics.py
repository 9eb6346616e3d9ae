"""Topics: clusters of item vectors (k-means), each labelled by its class-based TF-IDF words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import CountVectorizer

from fuserec.data.dataset import Dataset
from fuserec.semantic.keywords import STOP_WORDS, TOKEN
from fuserec.semantic.language import segment


@dataclass
class Topics:
    labels: np.ndarray  # topic per item index
    words: list[list[str]]  # top c-TF-IDF words per topic
    centroids: np.ndarray

    @property
    def n_topics(self) -> int:
        return len(self.words)


def fit_topics(item_vectors: np.ndarray, texts: Sequence[str], n_topics: int = 20, *, top_words: int = 6,
               seed: int = 0) -> Topics:
    """k-means on the unit item vectors; c-TF-IDF (BERTopic's weighting) names each cluster."""
    km = KMeans(n_clusters=n_topics, n_init=4, random_state=seed).fit(item_vectors)
    labels = km.labels_
    vec = CountVectorizer(stop_words=STOP_WORDS, token_pattern=TOKEN, min_df=2)
    counts = vec.fit_transform([segment(t) for t in texts])
    onehot = sp.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(n_topics, len(labels)))
    per_topic = np.asarray((onehot @ counts).todense(), dtype=np.float64)  # words per cluster
    tf = per_topic / np.maximum(per_topic.sum(axis=1, keepdims=True), 1)
    avg_words = per_topic.sum() / n_topics
    idf = np.log(1 + avg_words / np.maximum(per_topic.sum(axis=0), 1))
    ctfidf = tf * idf
    names = vec.get_feature_names_out()
    words = [[names[j] for j in np.argsort(-row)[:top_words] if row[j] > 0] for row in ctfidf]
    return Topics(labels, words, km.cluster_centers_)


def user_topic_distribution(ds: Dataset, topics: Topics) -> np.ndarray:
    """Share of each user's interactions per topic: [n_users, n_topics], rows sum to 1 (or 0)."""
    inter = ds.interactions
    m = sp.csr_matrix((np.ones(len(inter)), (inter["user"].to_numpy(), topics.labels[inter["item"].to_numpy()])),
                      shape=(ds.n_users, topics.n_topics))
    dense = np.asarray(m.todense())
    return dense / np.maximum(dense.sum(axis=1, keepdims=True), 1)
