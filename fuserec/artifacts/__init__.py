"""Model artifacts: a fitted model written as data (no pickle), versioned, verified on load."""

from fuserec.artifacts.store import resolve, set_current, verify, versions, write_version
from fuserec.artifacts.trained import TrainedModel, load, save

__all__ = ["TrainedModel", "load", "resolve", "save", "set_current", "verify", "versions", "write_version"]
