"""The configured data: the dataset (or the user's files) with extra item text joined in, and its split."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fuserec.config.schema import ItemTextConfig, RunConfig
from fuserec.errors import ConfigError


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
    """The configured dataset, with the extra item text joined in and the event store's events added."""
    from fuserec.data import load_dataset, load_files, locate

    d = config.data
    options: dict[str, Any] = {"duplicates": d.duplicates, "invalid": d.invalid, "bots": d.bots}
    if d.rejects:
        options["rejects"] = _expand(d.rejects, config, None)
    dataset_dir = None
    if d.dataset is not None:
        data_dir = _expand(d.data_dir, config, None) if d.data_dir else None
        dataset_dir = locate(d.dataset, data_dir, download=True)
        ds = load_dataset(d.dataset, data_dir, **options)
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
    if d.events is not None:
        from fuserec.events import with_store_events

        store = d.events.store
        target = store if "://" in store and not store.startswith("sqlite:///") else \
            _expand(store.removeprefix("sqlite:///"), config, dataset_dir)
        ds = with_store_events(ds, target, d.events.weights)
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
