"""A fitted model as plain data: a JSON tree, one ``.npz`` of arrays, and LightGBM's model text.

Nothing here pickles. Every value in a model's ``get_state()`` is written as one of a closed set
of kinds (numbers, strings, lists, tuples, mappings, numpy arrays, scipy sparse matrices, id
maps, nested models by their registry name, LightGBM boosters, and a short allow-list of plain
state classes). Reading builds only those kinds, with ``np.load(allow_pickle=False)``, so an
artifact from elsewhere cannot run code when it is loaded. A value of any other kind is refused
when the artifact is written, naming the attribute that holds it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from fuserec.data.dataset import IdMap
from fuserec.errors import ArtifactError
from fuserec.models.base import Recommender

STATE_JSON = "model.json"
STATE_ARRAYS = "model.npz"
BLOBS = "blobs"
RAGGED_MIN = 8  # a list of at least this many 1-d arrays of one dtype is stored as one ragged array


class BoosterRanker:
    """A trained LightGBM ranker read back from its model text: ``predict`` as the fitted
    ``LGBMRanker`` does, with the early-stopped number of trees kept.

    Parameters
    ----------
    booster : lightgbm.Booster
        The trees.
    best_iteration : int
        Trees used by ``predict`` unless told otherwise (0 or less: all).
    """

    def __init__(self, booster: Any, best_iteration: int) -> None:
        self.booster_ = booster
        self.best_iteration_ = best_iteration

    def predict(self, x: np.ndarray, num_iteration: int | None = None) -> np.ndarray:
        return self.booster_.predict(x, num_iteration=num_iteration)


def _state_classes() -> dict[str, type]:
    """Plain classes whose instance attributes may be stored (an allow-list, by stable name)."""
    from sklearn.linear_model import Ridge

    from fuserec.fusion.rerank import Side
    from fuserec.models.item_item import FactoredWeights

    return {"factored-weights": FactoredWeights, "rerank-side": Side, "sklearn-ridge": Ridge}


class _Writer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.arrays: dict[str, np.ndarray] = {}
        self.blobs: dict[str, str] = {}
        self.classes = {cls: name for name, cls in _state_classes().items()}

    def array(self, value: np.ndarray, where: str) -> dict[str, Any]:
        node: dict[str, Any] = {}
        if value.dtype == object:
            flat = value.ravel().tolist()
            if all(isinstance(v, str) for v in flat):
                value = value.astype(str)
            elif all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in flat):
                value = value.astype(np.int64)
            else:
                raise ArtifactError(f"{where}: an object array of mixed types cannot be stored as data")
            node["object"] = True
        key = f"a{len(self.arrays)}"
        self.arrays[key] = np.ascontiguousarray(value)
        node["$array"] = key
        return node

    def encode(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
            return int(value)
        if isinstance(value, (float, np.floating)):
            value = float(value)
            return value if math.isfinite(value) else {"$float": repr(value)}
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if sp.issparse(value):
            fmt = value.format
            node = {"$sparse": fmt, "class": type(value).__name__, "shape": list(value.shape)}
            parts = {"csr": ("data", "indices", "indptr"), "csc": ("data", "indices", "indptr"),
                     "coo": ("data", "row", "col")}.get(fmt)
            if parts is None:
                value, fmt = value.tocsr(), "csr"
                node["$sparse"], parts = "csr", ("data", "indices", "indptr")
            for part in parts:
                node[part] = self.array(np.asarray(getattr(value, part)), where)
            return node
        if isinstance(value, IdMap):
            return {"$idmap": self.array(np.asarray(value.ids), where)}
        if isinstance(value, Recommender):
            from fuserec.registry import canonical_name

            node = {"$model": canonical_name(value),
                    "params": self.encode(value.get_params(deep=False), f"{where}.params")}
            if value.is_fitted:
                node["state"] = self.encode(value.get_state(), f"{where}")
            return node
        if type(value).__name__ == "LGBMRanker" or isinstance(value, BoosterRanker):
            name = f"{BLOBS}/ranker-{len(self.blobs)}.txt"
            self.blobs[name] = value.booster_.model_to_string()
            return {"$lightgbm": name, "best_iteration": int(value.best_iteration_ or 0)}
        if type(value) in self.classes:
            return {"$object": self.classes[type(value)],
                    "attrs": {k: self.encode(v, f"{where}.{k}") for k, v in vars(value).items()}}
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, list):
            if (len(value) >= RAGGED_MIN and all(isinstance(v, np.ndarray) and v.ndim == 1 for v in value)
                    and len({v.dtype for v in value}) == 1):
                lengths = np.array([len(v) for v in value], dtype=np.int64)
                values = np.concatenate(value) if len(value) else np.zeros(0)
                return {"$ragged": self.array(values, where), "lengths": self.array(lengths, where)}
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value):
                return {"$dict": {k: self.encode(v, f"{where}.{k}") for k, v in value.items()}}
            return {"$pairs": [[self.encode(k, where), self.encode(v, f"{where}[{k!r}]")] for k, v in value.items()]}
        raise ArtifactError(f"{where}: a {type(value).__module__}.{type(value).__qualname__} cannot be stored as "
                            "data (give the model get_state/set_state that turn it into arrays)")


class _Reader:
    def __init__(self, folder: Path, arrays: Any) -> None:
        self.folder = folder
        self.arrays = arrays
        self.classes = _state_classes()

    def array(self, node: dict[str, Any]) -> np.ndarray:
        value = self.arrays[node["$array"]]
        return value.astype(object) if node.get("object") else value

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or len(node) == 0:
            raise ArtifactError(f"{STATE_JSON}: unexpected entry {node!r}")
        kind = next(iter(node))
        handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "$float": lambda n: float(n["$float"]),
            "$array": self.array,
            "$sparse": self._sparse,
            "$idmap": lambda n: IdMap(self.array(n["$idmap"])),
            "$model": self._model,
            "$lightgbm": self._lightgbm,
            "$object": self._object,
            "$tuple": lambda n: tuple(self.decode(v) for v in n["$tuple"]),
            "$ragged": self._ragged,
            "$dict": lambda n: {k: self.decode(v) for k, v in n["$dict"].items()},
            "$pairs": lambda n: {_hashable(self.decode(k)): self.decode(v) for k, v in n["$pairs"]},
        }
        if kind not in handlers:
            raise ArtifactError(f"{STATE_JSON}: unknown entry kind {kind!r}")
        return handlers[kind](node)

    def _sparse(self, node: dict[str, Any]) -> Any:
        fmt, shape = node["$sparse"], tuple(node["shape"])
        cls = getattr(sp, node["class"], None)
        if cls is None or not isinstance(cls, type) or not node["class"].endswith(("_matrix", "_array")):
            raise ArtifactError(f"{STATE_JSON}: unknown sparse class {node['class']!r}")
        if fmt == "coo":
            return cls((self.array(node["data"]), (self.array(node["row"]), self.array(node["col"]))), shape=shape)
        return cls((self.array(node["data"]), self.array(node["indices"]), self.array(node["indptr"])), shape=shape)

    def _model(self, node: dict[str, Any]) -> Recommender:
        from fuserec.registry import CLASSES

        cls = CLASSES.get(node["$model"])
        if cls is None:
            raise ArtifactError(f"{STATE_JSON}: unknown model {node['$model']!r}")
        model = cls(**self.decode(node["params"]))
        if "state" in node:
            model.set_state(self.decode(node["state"]))
        return model

    def _lightgbm(self, node: dict[str, Any]) -> BoosterRanker:
        from fuserec._core.extras import require

        require("lightgbm", what="loading a re-ranker artifact")
        import lightgbm as lgb

        text = (self.folder / node["$lightgbm"]).read_text(encoding="utf-8")
        return BoosterRanker(lgb.Booster(model_str=text), node["best_iteration"])

    def _object(self, node: dict[str, Any]) -> Any:
        cls = self.classes.get(node["$object"])
        if cls is None:
            raise ArtifactError(f"{STATE_JSON}: unknown state class {node['$object']!r}")
        obj: Any = object.__new__(cls)
        vars(obj).update({k: self.decode(v) for k, v in node["attrs"].items()})
        return obj

    def _ragged(self, node: dict[str, Any]) -> list[np.ndarray]:
        values, lengths = self.array(node["$ragged"]), self.array(node["lengths"])
        return np.split(values, np.cumsum(lengths)[:-1]) if len(lengths) else []


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, (list, tuple)) else value


def write_model(model: Recommender, folder: str | Path) -> list[Path]:
    """Write a fitted ``model`` into ``folder`` as data; returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writer = _Writer(folder)
    tree = writer.encode(model, "model")
    files = [folder / STATE_JSON, folder / STATE_ARRAYS]
    (folder / STATE_JSON).write_text(json.dumps(tree, ensure_ascii=False), encoding="utf-8")
    with open(folder / STATE_ARRAYS, "wb") as fh:
        np.savez(fh, **writer.arrays)  # type: ignore[arg-type]
    for name, text in writer.blobs.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


def read_model(folder: str | Path) -> Recommender:
    """The model ``write_model`` wrote into ``folder`` (no pickle is read)."""
    folder = Path(folder)
    try:
        tree = json.loads((folder / STATE_JSON).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{folder / STATE_JSON}: cannot be read ({exc})") from None
    with np.load(folder / STATE_ARRAYS, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    model = _Reader(folder, arrays).decode(tree)
    if not isinstance(model, Recommender):
        raise ArtifactError(f"{folder / STATE_JSON} does not hold a model")
    return model
