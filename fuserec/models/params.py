"""Typed, range-checked hyper-parameters for every model, validated by pydantic.

A model's parameters are its ``__init__`` arguments (scikit-learn's convention). Their types
come from the signature's annotations; what the annotation cannot say (a ridge strength must be
positive, a loss one of three names) a class states in ``param_rules``::

    class EASE(Recommender):
        param_rules = {"reg": Range(gt=0)}

``validate_params`` checks a mapping of values against both and raises ``ParamError`` naming the
model, the parameter and what was expected, so ``ease:reg=abc`` fails as
``model 'ease': parameter 'reg': expected a number > 0, got 'abc'`` rather than deep inside numpy.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from fuserec.errors import ParamError
from fuserec.models.base import Recommender


@dataclass(frozen=True)
class Range:
    """A numeric interval: ``Range(gt=0)``, ``Range(ge=0, lt=1)``, ..."""

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    def field_args(self) -> dict[str, float]:
        return {k: v for k, v in vars(self).items() if v is not None}

    def describe(self) -> str:
        words = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}
        return ", ".join(f"{words[k]} {v:g}" for k, v in self.field_args().items())


@dataclass(frozen=True)
class OneOf:
    """One of a fixed set of values: ``OneOf("softmax", "bpr", "mse")``."""

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", tuple(values))

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class ParamSpec:
    """One hyper-parameter: its name, type (as written), default and allowed values."""

    name: str
    type: str
    default: Any
    rule: Range | OneOf | None = None

    @property
    def allowed(self) -> str | None:
        return None if self.rule is None else self.rule.describe()


def _is_model_class(obj: Any) -> bool:
    """Whether ``obj`` is ``Recommender`` or a subclass of it."""
    return isinstance(obj, type) and issubclass(obj, Recommender)


def _hints(cls: type) -> dict[str, Any]:
    module = inspect.getmodule(cls)
    namespace = dict(vars(module)) if module else {}
    # annotations that name the model interface resolve even where it is imported for typing only
    namespace["Recommender"] = Recommender
    return typing.get_type_hints(cls.__init__, globalns=namespace)  # type: ignore[misc]


def _type_text(hint: Any) -> str:
    text = str(hint) if not isinstance(hint, type) else hint.__name__
    return (text.replace("typing.", "").replace("collections.abc.", "")
            .replace("fuserec.models.base.", ""))


def _maps_models(hint: Any) -> bool:
    """Whether the annotation is a mapping of models (``Mapping[str, Recommender] | None``)."""
    import collections.abc

    return any(typing.get_origin(a) in (collections.abc.Mapping, dict, typing.Mapping)
               for a in (hint, *typing.get_args(hint)))


def _names_model(hint: Any) -> bool:
    return hint is Recommender or any(
        _names_model(a) for a in typing.get_args(hint))


@functools.cache
def param_specs(cls: type) -> tuple[ParamSpec, ...]:
    """Every hyper-parameter of ``cls`` in signature order."""
    hints = _hints(cls)
    rules = getattr(cls, "param_rules", {})
    out = []
    for name, p in inspect.signature(cls.__init__).parameters.items():  # type: ignore[misc]
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = None if p.default is inspect.Parameter.empty else p.default
        out.append(ParamSpec(name, _type_text(hints.get(name, Any)), default, rules.get(name)))
    unknown = set(rules) - {s.name for s in out}
    if unknown:
        raise TypeError(f"{cls.__name__}.param_rules names {sorted(unknown)}, which are not parameters")
    return tuple(out)


def _model_value(value: Any, build: Callable[[Any], Any] | None) -> Any:
    """A nested model given as a spec (``"ease"`` or ``{"name": "ease", "reg": 300}``) becomes a
    model through ``build`` (the registry's); a model stays one."""
    if value is None or _is_model_class(type(value)):
        return value
    if build is not None and isinstance(value, (str, Mapping)):
        return build(value)
    raise ValueError(f"expected a model (a name, or a table with 'name'), got {value!r}")


@functools.cache
def _schema(cls: type) -> type[BaseModel]:
    """The pydantic model of ``cls``'s parameters (nested models are checked by the registry)."""
    hints = _hints(cls)
    fields: dict[str, Any] = {}
    for spec in param_specs(cls):
        hint = hints.get(spec.name, Any)
        if _names_model(hint):
            hint = Any  # a model or a mapping of them: see _model_value
        extra: dict[str, Any] = {}
        if isinstance(spec.rule, Range):
            extra = spec.rule.field_args()
        elif isinstance(spec.rule, OneOf):
            hint = typing.Literal[spec.rule.values]
        fields[spec.name] = (hint, Field(spec.default, **extra))
    return create_model(f"{cls.__name__}Params", __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True),
                        **fields)


def _describe_expected(cls: type, name: str, error: Mapping[str, Any]) -> str:
    spec = next((s for s in param_specs(cls) if s.name == name), None)
    if spec is None:
        return error["msg"]
    kind = error["type"]
    if spec.rule is not None and (kind in ("literal_error",) or kind.startswith(("greater", "less"))):
        return spec.rule.describe() if isinstance(spec.rule, OneOf) else f"a number {spec.rule.describe()}"
    text = f"{spec.type}"
    if spec.rule is not None:
        text += f" ({spec.rule.describe()})"
    return text


def validate_params(cls: type, params: Mapping[str, Any], label: str | None = None,
                    build: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """``params`` checked against ``cls``'s types and rules; returns them converted
    (``"300"`` → ``300.0`` for a float), with nested model specs built into models by ``build``
    (``fuserec.registry.build_model``; without it a nested value must already be a model).

    Raises
    ------
    ParamError
        Naming ``label`` (default: the class name), the parameter, what was expected and what came.
    """
    label = label or cls.__name__
    known = [s.name for s in param_specs(cls)]
    for key in params:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParamError(f"model {label!r}: unknown parameter {key!r}{hint}; known: {', '.join(known)}")
    try:
        checked = _schema(cls).model_validate(dict(params))
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "?"
        where = ".".join(str(p) for p in error["loc"])
        raise ParamError(f"model {label!r}: parameter {where!r}: expected {_describe_expected(cls, name, error)}, "
                         f"got {error.get('input')!r}") from None
    out = {k: getattr(checked, k) for k in params}
    hints = _hints(cls)
    for key in out:
        if _names_model(hints.get(key, Any)) and out[key] is not None:
            value = out[key]
            try:
                if isinstance(value, Mapping) and _maps_models(hints[key]):
                    out[key] = {str(n): _model_value(m, build) for n, m in value.items()}
                else:
                    out[key] = _model_value(value, build)
            except ParamError as exc:
                raise ParamError(f"model {label!r}: parameter {key!r}: {exc}") from None
            except ValueError as exc:
                raise ParamError(f"model {label!r}: parameter {key!r}: {exc}") from None
    return out
