"""Recommender models behind one interface (``Recommender``), and a registry by name."""

from fuserec.models.base import Recommender
from fuserec.models.baseline import BaselineOnly
from fuserec.models.baselines import Popularity, Random, UserTimePopularity
from fuserec.models.blend import Blend, ScoreBlend
from fuserec.models.ease import EASE, TextEASE
from fuserec.models.graph import RP3beta
from fuserec.models.implicit_models import ALS, BPR, ItemKNN
from fuserec.models.knn import KNNBaseline
from fuserec.models.mf import BiasedMF, SVDpp
from fuserec.models.social import SocialNeighbours
from fuserec.models.text_mf import TextRegularizedALS

MODELS: dict[str, type[Recommender]] = {
    "popularity": Popularity,
    "random": Random,
    "user-time-popularity": UserTimePopularity,
    "baseline": BaselineOnly,
    "knn-baseline": KNNBaseline,
    "mf": BiasedMF,
    "svdpp": SVDpp,
    "blend": Blend,
    "score-blend": ScoreBlend,
    "ease": EASE,
    "text-ease": TextEASE,
    "rp3beta": RP3beta,
    "als": ALS,
    "text-regularized-als": TextRegularizedALS,
    "bpr": BPR,
    "itemknn": ItemKNN,
    "social": SocialNeighbours,
}

__all__ = ["ALS", "BPR", "EASE", "MODELS", "BaselineOnly", "BiasedMF", "Blend", "ItemKNN", "KNNBaseline", "Popularity",
           "RP3beta", "Random", "Recommender", "SVDpp", "ScoreBlend", "SocialNeighbours", "TextEASE",
           "TextRegularizedALS",
           "UserTimePopularity"]
