"""Every model by name: one registry for the classic, text-reading and fused recommenders.

Each concrete ``Recommender`` subclass has one canonical name; a *preset* is a name for a class
with some parameters fixed (``tfidf-profile`` is ``semantic-profile`` with ``encoder="tfidf"``).
The command line (``-m NAME:key=value``), the TOML run configuration, the artifacts and the
service all build models through ``build_model``, so a parameter is checked the same way
everywhere (``fuserec.models.params``).
"""

from __future__ import annotations

import ast
import functools
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fuserec.errors import ParamError
from fuserec.fusion import (
    Blend,
    LearnedReranker,
    NeuralHybrid,
    ScoreBlend,
    SemanticProfile,
    TextEASE,
    TextMappedFactors,
    TextRegularizedALS,
    TextTrend,
)
from fuserec.models import (
    ALS,
    BPR,
    EASE,
    BaselineOnly,
    BiasedMF,
    ItemKNN,
    KNNBaseline,
    Popularity,
    Random,
    Recommender,
    RP3beta,
    SASRec,
    SocialNeighbours,
    SVDpp,
    UserTimePopularity,
)
from fuserec.models.base import nested_models
from fuserec.models.params import param_specs, validate_params


@dataclass(frozen=True)
class ModelEntry:
    """A registered name: the class it builds and, for a preset, the parameters it fixes."""

    name: str
    cls: type[Recommender]
    preset: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def is_preset(self) -> bool:
        return bool(self.preset) or bool(self.note)

    def build(self, check_installed: bool = True, **params: Any) -> Recommender:
        """The unfitted model; raises ``MissingExtraError`` when it, or a model inside it, needs
        an extra that is not installed (``check_installed=False`` leaves that to ``fit``)."""
        model = self.cls(**{**self._preset_values(), **params})
        if check_installed:
            model.check_installed(f"model {self.name!r}")
        return model

    def _preset_values(self) -> dict[str, Any]:
        return {k: (v() if callable(v) else v) for k, v in self.preset.items()}


def _cf_retrievers() -> dict[str, Recommender]:
    return {"ease": EASE(reg=300.0), "rp3beta": RP3beta(), "popularity": Popularity(),
            "user-time-popularity": UserTimePopularity()}


CLASSES: dict[str, type[Recommender]] = {
    "popularity": Popularity,
    "random": Random,
    "user-time-popularity": UserTimePopularity,
    "baseline": BaselineOnly,
    "knn-baseline": KNNBaseline,
    "mf": BiasedMF,
    "svdpp": SVDpp,
    "als": ALS,
    "bpr": BPR,
    "itemknn": ItemKNN,
    "ease": EASE,
    "rp3beta": RP3beta,
    "social": SocialNeighbours,
    "sasrec": SASRec,
    "semantic-profile": SemanticProfile,
    "text-trend": TextTrend,
    "text-ease": TextEASE,
    "text-mapped-factors": TextMappedFactors,
    "text-regularized-als": TextRegularizedALS,
    "neural-hybrid": NeuralHybrid,
    "blend": Blend,
    "score-blend": ScoreBlend,
    "reranker": LearnedReranker,
}

PRESETS: dict[str, ModelEntry] = {
    "tfidf-profile": ModelEntry("tfidf-profile", SemanticProfile, {"encoder": "tfidf"},
                                "semantic-profile on TF-IDF vectors: the content baseline with no language model"),
    "reranker-cf": ModelEntry("reranker-cf", LearnedReranker,
                              {"retrievers": _cf_retrievers, "semantic_features": False},
                              "reranker over the collaborative retrievers only, no text features: the no-LM "
                              "ablation"),
}

REGISTRY: dict[str, ModelEntry] = {name: ModelEntry(name, cls) for name, cls in CLASSES.items()} | PRESETS


def names() -> list[str]:
    """Every registered name, canonical names first."""
    return list(REGISTRY)


def entry(name: str) -> ModelEntry:
    """The registry entry of ``name`` (case-insensitive; ``_`` and ``-`` alike).

    Raises
    ------
    ParamError
        For an unknown name; the message lists the known ones.
    """
    key = str(name).strip().lower().replace("_", "-")
    if key not in REGISTRY:
        import difflib

        close = difflib.get_close_matches(key, list(REGISTRY), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParamError(f"unknown model {name!r}{hint}; known: {', '.join(REGISTRY)}")
    return REGISTRY[key]


def canonical_name(model: Recommender | type[Recommender]) -> str:
    """The canonical registry name of a model or model class.

    Raises
    ------
    ParamError
        When the class is not registered.
    """
    cls = model if isinstance(model, type) else type(model)
    for name, registered in CLASSES.items():
        if registered is cls:
            return name
    raise ParamError(f"{cls.__name__} is not in the model registry")


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return {"true": True, "false": False, "none": None}.get(text.lower(), text)


def parse_spec(text: str) -> tuple[str, dict[str, Any]]:
    """``"name"`` or ``"name:key=value,key=value"`` (values read as Python literals where they
    parse as one, else as strings) → (name, raw parameters)."""
    name, _, args = str(text).partition(":")
    params: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in args.split(","))):
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise ParamError(f"model {name.strip()!r}: option {part!r} is not key=value")
        if key.strip() in params:
            raise ParamError(f"model {name.strip()!r}: parameter {key.strip()!r} is given twice")
        params[key.strip()] = _literal(value.strip())
    return name.strip(), params


def build_model(spec: str | Mapping[str, Any] | Recommender, label: str | None = None, *,
                check_installed: bool = True) -> Recommender:
    """An unfitted model from a spec: a name (``"ease"``), a command-line spec
    (``"ease:reg=500"``), or a mapping with ``name`` and parameters
    (``{"name": "reranker", "retrievers": {"ease": {"name": "ease"}}}``). Parameters are
    type- and range-checked; nested models are built the same way.

    Raises
    ------
    ParamError
        Naming the model, the parameter and what was expected.
    MissingExtraError
        When the model or one inside it needs an optional package that is not installed; the
        message names the extras to install.
    """
    if isinstance(spec, Recommender):
        return spec
    if isinstance(spec, Mapping):
        params = dict(spec)
        if "name" not in params:
            raise ParamError(f"a model table needs a 'name' (one of {', '.join(REGISTRY)}); got keys "
                             f"{', '.join(map(str, params)) or 'none'}")
        name = params.pop("name")
    else:
        name, params = parse_spec(spec)
    e = entry(name)
    nested = functools.partial(build_model, check_installed=False)  # the outer model checks them all
    checked = validate_params(e.cls, params, label or e.name, build=nested)
    return e.build(check_installed, **checked)


def to_spec(model: Recommender) -> dict[str, Any]:
    """The mapping ``build_model`` turns back into an equal unfitted model: ``name`` plus every
    parameter, nested models as specs too (what an artifact's resolved configuration holds)."""
    out: dict[str, Any] = {"name": canonical_name(model)}
    for key, value in model.get_params(deep=False).items():
        if isinstance(value, Recommender):
            value = to_spec(value)
        elif isinstance(value, Mapping) and any(isinstance(v, Recommender) for v in value.values()):
            value = {k: to_spec(v) for k, v in value.items()}
        out[key] = value
    return out


def _summary(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    first = doc.split("\n\n")[0].replace("\n", " ").strip()
    return first or cls.__name__


def _jsonable(value: Any) -> Any:
    if isinstance(value, Recommender):
        return to_spec(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if callable(value):
        return _jsonable(value())
    return value


def describe(name: str) -> dict[str, Any]:
    """What ``fuserec models NAME --json`` prints: name, class, task, summary, whether it uses a
    language model, the capabilities it supports, and each parameter's name, type, default and
    allowed values."""
    e = entry(name)
    model = e.build()
    defaults = e._preset_values()
    params = [{"name": s.name, "type": s.type, "default": _jsonable(defaults.get(s.name, s.default)),
               "allowed": s.allowed, "fixed_by_preset": s.name in e.preset}
              for s in param_specs(e.cls)]
    out = {"name": e.name, "class": f"{e.cls.__module__}.{e.cls.__qualname__}", "task": model.task,
           "summary": e.note or _summary(e.cls), "uses_lm": bool(model.uses_lm),
           "capabilities": [c.__name__ for c in model.capabilities() if model.supports(c)], "params": params}
    if e.is_preset:
        out["preset_of"] = canonical_name(e.cls)
    return out


__all__ = ["CLASSES", "PRESETS", "REGISTRY", "ModelEntry", "build_model", "canonical_name", "describe", "entry",
           "names", "nested_models", "parse_spec", "to_spec"]
