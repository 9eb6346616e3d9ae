"""Recommender models behind one interface (``Recommender``), and a registry by name."""

from fuserec.models.base import Recommender
from fuserec.models.baseline import BaselineOnly
from fuserec.models.baselines import Popularity, Random
from fuserec.models.blend import Blend
from fuserec.models.knn import KNNBaseline
from fuserec.models.mf import BiasedMF, SVDpp

MODELS: dict[str, type[Recommender]] = {
    "popularity": Popularity,
    "random": Random,
    "baseline": BaselineOnly,
    "knn-baseline": KNNBaseline,
    "mf": BiasedMF,
    "svdpp": SVDpp,
    "blend": Blend,
}

__all__ = ["MODELS", "BaselineOnly", "BiasedMF", "Blend", "KNNBaseline", "Popularity", "Random", "Recommender",
           "SVDpp"]
