"""The run configuration's typed sections, and reading one from TOML with errors that name the key."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from fuserec.data.split import METHODS
from fuserec.errors import ConfigError, ParamError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ColumnsConfig(_Strict):
    """Which column of ``data.interactions`` holds each role ('' or omitted for none)."""

    user: str = "user"
    item: str = "item"
    rating: str | None = "rating"
    timestamp: str | None = "timestamp"


class MappingTable(_Strict):
    """A table that maps the item id (``from``) to another table's key (``to``)."""

    path: str
    from_: str = Field(alias="from")
    to: str
    sep: str | None = None


class ItemTextConfig(_Strict):
    """Extra item text: ``columns`` of the table at ``path``, joined on its ``key`` column to the
    item id (or to the id's ``via`` mapping)."""

    path: str
    key: str
    columns: list[str] = Field(min_length=1)
    via: MappingTable | None = None
    sep: str | None = None


class EventsConfig(_Strict):
    """The service's event store as more training data: its events (weighed by ``weights``) join
    the interactions and the items added through the service join the catalogue."""

    store: str
    weights: dict[str, float] | None = None


class DataConfig(_Strict):
    """A known dataset by name, or the user's own interactions file (with optional tables)."""

    dataset: str | None = None
    data_dir: str | None = None
    interactions: str | None = None
    items: str | None = None
    users: str | None = None
    columns: ColumnsConfig = ColumnsConfig()
    item_id_column: str = "item"
    user_id_column: str = "user"
    sep: str | None = None
    header: bool = True
    rating_scale: tuple[float, float] | None = None
    duplicates: Literal["keep-last", "mean", "error"] = "keep-last"
    invalid: Literal["error", "drop"] = "error"
    bots: Literal["keep", "drop"] = "keep"  # users with over BOT_FACTOR × the median's interactions
    rejects: str | None = None  # a CSV file for the rows dropped (invalid, or a dropped bot's), with line and reason
    item_text: list[ItemTextConfig] = []
    events: EventsConfig | None = None

    @field_validator("dataset")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        from fuserec.data import DATASETS

        if value is not None and value not in DATASETS:
            raise ValueError(f"unknown dataset {value!r}; known: {', '.join(DATASETS)}")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> DataConfig:
        if (self.dataset is None) == (self.interactions is None):
            raise ValueError("give either dataset = NAME or interactions = FILE")
        return self


class SplitConfig(_Strict):
    """How the evaluation splits the data (``fuserec.data.split.split``)."""

    method: Literal[METHODS] = "temporal"  # type: ignore[valid-type]
    test_size: float = Field(0.2, gt=0, lt=1)
    seed: int = Field(0, ge=0)
    val_size: float | None = Field(None, gt=0, lt=1)
    folds: int = Field(5, ge=2)
    leave: int = Field(1, ge=1)


class EncoderConfig(_Strict):
    """The language model that reads item text (``fuserec.semantic.get_encoder`` names), or
    ``"auto"``: MiniLM up to ``fuserec.semantic.encoders.STATIC_FROM_ITEMS`` items, the static
    encoder distilled from it past that (chosen once the data is loaded)."""

    name: str = "auto"

    def for_items(self, n_items: int) -> str:
        """The encoder this setting means for a catalogue of ``n_items`` items."""
        if self.name != "auto":
            return self.name
        from fuserec.semantic.encoders import STATIC_FROM_ITEMS

        return "static" if n_items > STATIC_FROM_ITEMS else "minilm"


class OutputConfig(_Strict):
    """Where ``fuserec train`` writes the artifact, and whether it refits on all the data."""

    dir: str | None = None
    refit: bool = True


class RunConfig(_Strict):
    """One run: data, split, model (a registry name and its parameters), encoder, task, k, output."""

    data: DataConfig
    split: SplitConfig = SplitConfig()
    model: dict[str, Any]
    encoder: EncoderConfig = EncoderConfig()
    task: Literal["ranking", "rating"] = "ranking"
    k: list[int] = Field(default_factory=lambda: [10], min_length=1)
    min_rating: float | None = None
    threads: int | None = Field(None, ge=1)
    eval_users: int | None = Field(10_000, ge=1)  # test users measured at most (a seeded sample); none: all
    compare: list[str | dict[str, Any]] = []  # models measured beside on the same split and users, paired-tested
    output: OutputConfig = OutputConfig()
    _base: Path | None = PrivateAttr(None)  # the configuration file's folder: relative paths start there

    @field_validator("k", mode="before")
    @classmethod
    def _k_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("k")
    @classmethod
    def _k_positive(cls, value: list[int]) -> list[int]:
        if any(k < 1 for k in value):
            raise ValueError("every k must be at least 1")
        return value

    # ---- what the run builds ------------------------------------------------------------
    def model_spec(self) -> dict[str, Any]:
        """The model table with the encoder and the split's time rule filled in where unset."""
        return _fill(self.model, self.encoder.for_items(0), self._temporal())

    def _temporal(self) -> bool | str:
        """The time rule models that carve their own validation take from the split method."""
        return {"temporal": True, "temporal-per-user": "per-user"}.get(self.split.method, False)  # type: ignore[return-value]

    def for_data(self, n_items: int) -> RunConfig:
        """This configuration with ``encoder = "auto"`` resolved for a catalogue of ``n_items``."""
        return self.model_copy(update={"encoder": EncoderConfig(name=self.encoder.for_items(n_items))})

    def build_model(self):
        from fuserec.registry import build_model

        return build_model(self.model_spec())

    def comparison_models(self) -> dict[str, Any]:
        """The ``compare`` models, unfitted, by label (their registry name, numbered if repeated)."""
        from fuserec.registry import build_model

        temporal = self._temporal()
        out: dict[str, Any] = {}
        for spec in self.compare:
            filled = _fill(spec, self.encoder.for_items(0), temporal)
            label = filled["name"] if filled["name"] not in out else f"{filled['name']} ({len(out) + 1})"
            out[label] = build_model(filled)
        return out


def _fill(spec: Any, encoder: str, temporal: bool | str) -> Any:
    """``spec`` with ``encoder`` and ``temporal`` set in every model table that has those
    parameters and does not set them, nested tables included."""
    from fuserec.models.params import param_specs
    from fuserec.registry import entry

    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or "name" not in spec:
        return spec
    out = dict(spec)
    e = entry(out["name"])
    params = {s.name for s in param_specs(e.cls)}
    if "encoder" in params and "encoder" not in out and "encoder" not in e.preset:
        out["encoder"] = encoder
    if "temporal" in params and "temporal" not in out:
        out["temporal"] = temporal
    for key, value in out.items():
        if isinstance(value, dict) and "name" in value:
            out[key] = _fill(value, encoder, temporal)
        elif isinstance(value, dict) and key != "name":
            out[key] = {k: _fill(v, encoder, temporal) for k, v in value.items()}
    return out


def _message(error: Mapping[str, Any], model_cls: type[BaseModel]) -> str:
    loc = [str(p) for p in error["loc"]]
    key = ".".join(loc)
    if error["type"] == "extra_forbidden":
        known = _known_keys(model_cls, loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key {key!r}{hint}; known here: {', '.join(known)}"
    if error["type"] == "missing":
        return f"key {key!r} is required"
    got = error.get("input")
    text = error["msg"].removeprefix("Value error, ")
    return f"key {key!r}: {text[0].lower() + text[1:]}" + (f", got {got!r}" if not isinstance(got, dict) else "")


def _known_keys(model_cls: type[BaseModel], path: list[str]) -> list[str]:
    cls: Any = model_cls
    for part in path:
        if part.isdigit():
            continue
        field = cls.model_fields.get(part) if hasattr(cls, "model_fields") else None
        if field is None:
            return []
        ann = field.annotation
        for arg in (ann, *getattr(ann, "__args__", ())):
            for inner in (arg, *getattr(arg, "__args__", ())):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    cls = inner
                    break
    if not hasattr(cls, "model_fields"):
        return []
    return [f.alias or name for name, f in cls.model_fields.items()]


def parse_config(data: dict[str, Any], source: str = "<config>") -> RunConfig:
    """Validate a configuration mapping (what a TOML file holds); the model is built once to
    check its parameters.

    Raises
    ------
    ConfigError
        Naming ``source``, the key and what was expected.
    """
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_message(exc.errors()[0], RunConfig)}") from None
    try:
        config.build_model()
    except ParamError as exc:
        raise ConfigError(f"{source}: [model] {exc}") from None
    return config


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a TOML run configuration; relative paths in it become relative to its folder.

    Raises
    ------
    ConfigError
        For a file that is missing, not TOML, or has a key that is unknown, of the wrong type or
        out of range (the message names the file and the key).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    config = parse_config(data, str(path))
    config._base = path.resolve().parent
    return config


def config_schema() -> dict[str, Any]:
    """The JSON schema of a run configuration (``fuserec config schema``)."""
    return RunConfig.model_json_schema(by_alias=True)


# ---- data --------------------------------------------------------------------------------------
