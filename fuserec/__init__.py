"""fuserec: language-model understanding of text fused with recommender systems."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fuserec._version import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from fuserec.artifacts import TrainedModel


def load(path: str | Path) -> TrainedModel:
    """Load and verify a trained model artifact (``fuserec train --out DIR`` writes one).

    See ``fuserec.artifacts.load``.
    """
    from fuserec.artifacts import load as _load

    return _load(path)


__all__ = ["__version__", "load"]
