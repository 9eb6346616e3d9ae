"""Data layer: load, validate, clean, map ids and split interaction data with item and user tables."""

from fuserec.data.dataset import Dataset, IdMap
from fuserec.data.files import load_files
from fuserec.data.registry import DATASETS, load_dataset, locate
from fuserec.data.split import Split

__all__ = ["DATASETS", "Dataset", "IdMap", "Split", "load_dataset", "load_files", "locate"]
