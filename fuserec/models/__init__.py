"""Recommender models behind one interface (``Recommender``); names for them live in ``fuserec.registry``."""

from fuserec.models.base import Recommender
from fuserec.models.baseline import BaselineOnly
from fuserec.models.baselines import Popularity, Random, UserTimePopularity
from fuserec.fusion.blend import Blend, ScoreBlend
from fuserec.models.ease import EASE, TextEASE
from fuserec.models.graph import RP3beta
from fuserec.models.implicit_models import ALS, BPR, ItemKNN
from fuserec.models.knn import KNNBaseline
from fuserec.models.mf import BiasedMF, SVDpp
from fuserec.models.social import SocialNeighbours
from fuserec.fusion.text_mf import TextRegularizedALS


def __getattr__(name: str):
    """``MODELS`` moved to ``fuserec.registry.CLASSES`` (which also holds the fused models)."""
    if name == "MODELS":
        import warnings

        warnings.warn("fuserec.models.MODELS is deprecated: use fuserec.registry (CLASSES, build_model)",
                      DeprecationWarning, stacklevel=2)
        from fuserec.registry import CLASSES

        return CLASSES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ALS", "BPR", "EASE", "BaselineOnly", "BiasedMF", "Blend", "ItemKNN", "KNNBaseline", "Popularity",
           "RP3beta", "Random", "Recommender", "SVDpp", "ScoreBlend", "SocialNeighbours", "TextEASE",
           "TextRegularizedALS",
           "UserTimePopularity"]
