"""Search by free text: the nearest item texts, Chinese queries through the multilingual index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from fuserec._core import payload
from fuserec.semantic.language import is_chinese
from fuserec.serving.catalogue import Catalogue
from fuserec.serving.multilingual import MultilingualIndex


class Search:
    """Answers search queries over a catalogue's text vectors.

    Parameters
    ----------
    catalogue : Catalogue
        The items searched (hidden ones are left out of answers).
    index : ExactIndex or FaissIndex or None
        The catalogue's vectors under the serving encoder; None turns search off.
    encode : callable or None
        Encodes a query under the serving encoder (``encode([text], query=True)``).
    encoder_id : str or None
        The serving encoder's id, reported with each answer.
    multilingual : MultilingualIndex or None
        Answers Chinese queries, which English encoders cannot read.
    """

    def __init__(self, catalogue: Catalogue, index: Any, encode: Callable[..., np.ndarray] | None,
                 encoder_id: str | None, multilingual: MultilingualIndex | None) -> None:
        self.catalogue, self.index, self.encode = catalogue, index, encode
        self.encoder_id, self.multilingual = encoder_id, multilingual

    def search(self, text: str, k: int, version: str) -> dict[str, Any]:
        """The ``k`` visible items whose text is nearest to ``text``, in the shared list shape.

        Raises
        ------
        LookupError
            When the service has no encoder to read the query with.
        """
        cat = self.catalogue
        extra = int(np.count_nonzero(cat.hidden))
        if self.multilingual is not None and is_chinese(text):
            idx, val = self.multilingual.search(text, k + extra)
            kind, encoder = self.multilingual.kind, self.multilingual.encoder.id
        elif self.index is None or self.encode is None:
            raise LookupError("search needs an encoder: install fuserec[text] or serve a model that reads text")
        else:
            idx, val = self.index.search(self.encode([text], query=True)[0], k + extra)
            idx, val = idx[0], val[0]
            kind, encoder = self.index.kind, self.encoder_id
        hits = [(int(i), float(s)) for i, s in zip(idx, val, strict=True)
                if 0 <= i < len(cat) and not cat.hidden[i]][:k]
        entries = payload.entries((cat.ids[i] for i, _ in hits), (cat.titles[i] for i, _ in hits),
                                  (s for _, s in hits), "text")
        return {"query": text, "model_version": version, "retrieval": kind, "encoder": encoder, "items": entries}
