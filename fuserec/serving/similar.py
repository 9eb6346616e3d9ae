"""Items like one item: the model's own similarity for its items, text for items added through the API."""

from __future__ import annotations

from typing import Any

import numpy as np

from fuserec._core import payload
from fuserec._core.topk import top_k
from fuserec.serving.catalogue import Catalogue


class UnknownItemError(KeyError):
    """An item id the service does not know; the message names it."""


def similar(trained: Any, catalogue: Catalogue, item: str, k: int = 10) -> dict[str, Any]:
    """The ``k`` visible items most like ``item`` (`TrainedModel.similarity` for a model item,
    its text vector for a new one), in the shared list shape.

    Raises
    ------
    UnknownItemError
        When the catalogue lacks ``item``.
    """
    i = catalogue.index(item)
    if i is None:
        raise UnknownItemError(f"unknown item {item!r}")
    allowed = catalogue.allowed(None)
    allowed[i] = False
    if i < catalogue.n_base:
        scores, method = trained.similarity(i)
        scores = np.asarray(scores, dtype=np.float64).ravel().copy()
        scores[~allowed[:catalogue.n_base]] = -np.inf
    elif catalogue.vectors is not None:
        scores, method = (catalogue.vectors @ catalogue.vectors[i]).astype(np.float64), "text"
        scores[~allowed] = -np.inf
    else:
        scores, method = np.full(len(catalogue), -np.inf), "none"
    idx, val = top_k(scores, k)
    entries = payload.entries((catalogue.ids[j] for j in idx), (catalogue.titles[j] for j in idx), val, method)
    return payload.similar_items(catalogue.ids[i], catalogue.titles[i], trained.name, trained.version, method,
                                 entries)
