"""Typed run configuration in TOML: data, split, model, encoder, k, output.

A run configuration says everything ``fuserec train`` and ``fuserec evaluate --config`` need::

    [data]
    dataset = "ml-latest-small"                    # or interactions = "events.csv", with [data.columns]

    [[data.item_text]]                             # more item text, joined by a key
    path = "{data_dir}/tmdb-overviews/overviews.csv"
    key = "tmdbId"
    columns = ["overview"]
    via = { path = "{dataset_dir}/links.csv", from = "movieId", to = "tmdbId" }

    [split]
    method = "temporal"
    test_size = 0.2

    [model]
    name = "reranker"
    [model.retrievers.ease]
    name = "ease"
    reg = 300.0

    [encoder]
    name = "minilm"

    k = [10]                                       # (top level, before the tables)

Paths are relative to the configuration file; ``{data_dir}`` is the datasets folder
(``data.data_dir``, else ``$FUSEREC_DATA_DIR``) and ``{dataset_dir}`` the named dataset's own
folder. The encoder is given to every model (nested ones too) that reads text and does not name
its own; a model that searches its settings on validation takes ``temporal`` from the split, so
its validation mirrors the test. Every mistake is a ``ConfigError`` naming the file, the key
and what was expected.
"""

from __future__ import annotations

import difflib
import os
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
    item_text: list[ItemTextConfig] = []

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
    """The language model that reads item text (``fuserec.semantic.get_encoder`` names)."""

    name: str = "minilm"


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
        temporal: bool | str = {"temporal": True, "temporal-per-user": "per-user"}.get(self.split.method, False)  # type: ignore[assignment]
        return _fill(self.model, self.encoder.name, temporal)

    def build_model(self):
        from fuserec.registry import build_model

        return build_model(self.model_spec())


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
def _expand(value: str, config: RunConfig, dataset_dir: Path | None) -> Path:
    data_dir = config.data.data_dir or os.environ.get("FUSEREC_DATA_DIR") or ""
    if "{data_dir}" in value and not data_dir:
        raise ConfigError(f"'{value}' uses {{data_dir}}: set data.data_dir or $FUSEREC_DATA_DIR")
    if "{dataset_dir}" in value and dataset_dir is None:
        raise ConfigError(f"'{value}' uses {{dataset_dir}}, which only a named data.dataset has")
    text = value.replace("{data_dir}", str(data_dir)).replace("{dataset_dir}", str(dataset_dir or ""))
    path = Path(text).expanduser()
    base = config._base
    return path if path.is_absolute() or base is None else base / path


def load_data(config: RunConfig):
    """The configured dataset, with the extra item text joined in."""
    from fuserec.data import load_dataset, load_files, locate

    d = config.data
    options = {"duplicates": d.duplicates, "invalid": d.invalid}
    dataset_dir = None
    if d.dataset is not None:
        data_dir = _expand(d.data_dir, config, None) if d.data_dir else None
        dataset_dir = locate(d.dataset, data_dir, download=True)
        ds = load_dataset(d.dataset, data_dir, **options)  # type: ignore[arg-type]
    else:
        columns = {"user": d.columns.user, "item": d.columns.item}
        if d.columns.rating:
            columns["rating"] = d.columns.rating
        if d.columns.timestamp:
            columns["timestamp"] = d.columns.timestamp
        ds = load_files(_expand(d.interactions, config, None),  # type: ignore[arg-type]
                        _expand(d.items, config, None) if d.items else None,
                        _expand(d.users, config, None) if d.users else None,
                        columns=columns, item_id_column=d.item_id_column, user_id_column=d.user_id_column,
                        sep=d.sep, header=d.header, rating_scale=d.rating_scale, **options)
    for extra in d.item_text:
        ds = join_item_text(ds, extra, config, dataset_dir)
    return ds


def _read_table(path: Path, sep: str | None):
    import pandas as pd

    from fuserec.errors import DataError

    if not path.is_file():
        raise DataError("no such file", file=path)
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, sep=sep or ("\t" if path.suffix in (".tsv", ".tab") else ","), dtype=str,
                           keep_default_na=False)
    except (ValueError, OSError) as exc:
        raise DataError(f"cannot be read as a table ({exc})", file=path) from None


def join_item_text(ds, extra: ItemTextConfig, config: RunConfig, dataset_dir: Path | None):
    """``ds`` with ``extra.columns`` of another table added to its item table (and item text)."""
    import pandas as pd

    from fuserec.errors import DataError

    path = _expand(extra.path, config, dataset_dir)
    table = _read_table(path, extra.sep)
    for column in [extra.key, *extra.columns]:
        if column not in table.columns:
            raise DataError(f"no column {column!r} (columns: {', '.join(map(str, table.columns))})", file=path,
                            field=column)
    ids = pd.Series([str(i) for i in ds.items.ids])
    if extra.via is not None:
        via_path = _expand(extra.via.path, config, dataset_dir)
        mapping = _read_table(via_path, extra.via.sep)
        for column in (extra.via.from_, extra.via.to):
            if column not in mapping.columns:
                raise DataError(f"no column {column!r}", file=via_path, field=column)
        mapping = mapping.drop_duplicates(extra.via.from_)
        keys = ids.map(dict(zip(mapping[extra.via.from_].astype(str), mapping[extra.via.to].astype(str),
                                strict=True)))
    else:
        keys = ids
    table = table.assign(_key=table[extra.key].astype(str).str.strip()).drop_duplicates("_key")
    lookup = table.set_index("_key")
    item_table = ds.item_table.copy()
    fields = list(ds.text_fields)
    report = dict(ds.report)
    for column in extra.columns:
        values = keys.map(lookup[column]).fillna("").astype(str).to_numpy()
        name = column if column not in item_table.columns else f"{column}_{extra.key}"
        item_table[name] = values
        fields.append((name, column.replace("_", " ").capitalize()))
        report[f"items_with_{name}"] = int((values != "").sum())
    from dataclasses import replace

    return replace(ds, item_table=item_table, text_fields=tuple(fields), report=report)


def split_data(config: RunConfig, ds):
    """The configured evaluation split(s) of ``ds``."""
    from fuserec.data import locate
    from fuserec.data.split import split

    s = config.split
    folder = None
    if s.method == "predefined" and config.data.dataset:
        folder = locate(config.data.dataset, config.data.data_dir, download=False)
    return split(ds, s.method, test_size=s.test_size, seed=s.seed, folds=s.folds, n=s.leave, val_size=s.val_size,
                 folder=folder)
