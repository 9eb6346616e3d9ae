"""Recommender models behind one interface (``Recommender``), and a registry by name."""

from fuserec.models.base import Recommender
from fuserec.models.baselines import Popularity, Random

MODELS: dict[str, type[Recommender]] = {
    "popularity": Popularity,
    "random": Random,
}

__all__ = ["MODELS", "Popularity", "Random", "Recommender"]
