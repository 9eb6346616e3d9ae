"""Collaborative and classic recommenders behind one interface (``Recommender``).

Models that read text, blends and re-rankers live in ``fuserec.fusion``; names for every model
live in ``fuserec.registry``.
"""

from typing import Any

from fuserec._core.deprecation import moved
from fuserec.models.base import Recommender
from fuserec.models.baseline import BaselineOnly
from fuserec.models.baselines import Popularity, Random, UserTimePopularity
from fuserec.models.ease import EASE
from fuserec.models.graph import RP3beta
from fuserec.models.implicit_models import ALS, BPR, ItemKNN
from fuserec.models.knn import KNNBaseline
from fuserec.models.mf import BiasedMF, SVDpp
from fuserec.models.social import SocialNeighbours

_moved = moved(__name__, {"Blend": "fuserec.fusion.blend", "ScoreBlend": "fuserec.fusion.blend",
                          "TextEASE": "fuserec.fusion.text_ease", "TextRegularizedALS": "fuserec.fusion.text_mf"},
               stacklevel=3)


def __getattr__(name: str) -> Any:
    """Forward names that moved to ``fuserec.fusion`` (and ``MODELS``) with a ``DeprecationWarning``."""
    if name == "MODELS":
        import importlib
        import warnings

        warnings.warn("fuserec.models.MODELS is deprecated: use fuserec.registry (CLASSES, build_model)",
                      DeprecationWarning, stacklevel=2)
        return importlib.import_module("fuserec.registry").CLASSES
    return _moved(name)


__all__ = ["ALS", "BPR", "EASE", "BaselineOnly", "BiasedMF", "ItemKNN", "KNNBaseline", "Popularity",
           "RP3beta", "Random", "Recommender", "SVDpp", "SocialNeighbours", "UserTimePopularity"]
