"""Collaborative and classic recommenders behind one interface (``Recommender``).

Models that read text, blends and re-rankers live in ``fuserec.fusion``; names for every model
live in ``fuserec.registry``. What a model can do beyond scoring it declares through the protocols
of ``fuserec.models.capabilities``.
"""

from fuserec.models.base import Recommender
from fuserec.models.biases import BaselineOnly
from fuserec.models.capabilities import (
    Attributes,
    ExplainsItems,
    FoldsIn,
    ReadsOrder,
    ReadsText,
    SimilarItems,
    Tunes,
)
from fuserec.models.ease import EASE
from fuserec.models.graph import RP3beta
from fuserec.models.implicit_models import ALS, BPR, ItemKNN
from fuserec.models.knn import KNNBaseline
from fuserec.models.mf import BiasedMF, SVDpp
from fuserec.models.popularity import Popularity, Random, UserTimePopularity
from fuserec.models.sasrec import SASRec
from fuserec.models.social import SocialNeighbours

__all__ = ["ALS", "BPR", "EASE", "Attributes", "BaselineOnly", "BiasedMF", "ExplainsItems", "FoldsIn", "ItemKNN",
           "KNNBaseline", "Popularity", "RP3beta", "Random", "ReadsOrder", "ReadsText", "Recommender", "SASRec",
           "SVDpp", "SimilarItems", "SocialNeighbours", "Tunes", "UserTimePopularity"]
