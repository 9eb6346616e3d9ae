"""Interactions from Parquet or delimited text, read batch by batch into a compact frame.

A log of tens of millions of events does not fit in memory as Python strings: one object per id
and row costs about 60 bytes, so reading the whole file as a string table first takes many
times the memory of the finished dataset. Here each batch of rows is read with pyarrow, its
user and item ids are trimmed and dictionary-encoded in Arrow's own memory, and only the integer
codes are kept; the batches' dictionaries are unified once at the end. The result holds the ids
as ``pandas.Categorical`` (codes plus one copy of each distinct id), ratings as float64 and
timestamps as int64 seconds. Rows keep the file's order and a ``RangeIndex``, so a row's number
in the file (1-based, as Parquet has no lines) is its index plus one: error messages and the
rejected-rows file name it without a column of line numbers. Delimited text is read a piece at
a time by ``fuserec.data.reader.read_table_chunks``, with the same checks as a whole file; its
frame keeps each row's file line in ``_line``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fuserec.errors import DataError
from fuserec.progress import counter, progress

BATCH_ROWS = 1 << 20
"""Rows read at a time: the transient cost of a batch is this many rows of the file's columns."""


def _dataset(path: Path, columns: list[str], optional: list[str]):
    """The Parquet file or folder of shards as a pyarrow dataset, its columns checked."""
    import pyarrow.dataset as pads

    if not path.exists():
        raise DataError("file not found", file=path, expected="an existing file")
    try:
        data = pads.dataset(path, format="parquet")
        names = data.schema.names
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise DataError(f"not a readable Parquet file ({type(exc).__name__}: {exc})", file=path,
                        expected="a Parquet file") from None
    missing = [c for c in columns if c not in names and c not in optional]
    if missing:
        raise DataError("missing column", file=path, field=missing[0],
                        expected=f"columns {columns}; the file has {list(names)}")
    return data


def _batch_frame(batch: pa.RecordBatch, column: str, first_row: int) -> pd.DataFrame:
    """One column of a batch as strings, with ``_line``, for the string parsers' checks."""
    values = pc.fill_null(pc.cast(batch.column(column), pa.string()), "").to_pandas()
    return pd.DataFrame({column: values, "_line": np.arange(first_row + 1, first_row + 1 + len(values))})


def _numbers(batch: pa.RecordBatch, column: str, first_row: int, path: Path) -> np.ndarray:
    """Ratings as float64, NaN where missing; a field that is no number names its row."""
    from fuserec.data.reader import numeric_column

    arr = batch.column(column)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    return numeric_column(_batch_frame(batch, column, first_row), column, path, allow_missing=True)


def _seconds(batch: pa.RecordBatch, column: str, first_row: int, path: Path) -> np.ndarray:
    """Timestamps as int64 seconds since the epoch: integers as they are, Arrow times converted,
    text through the same parser as delimited files."""
    from fuserec.data.files import parse_time

    arr = batch.column(column)
    if arr.null_count:
        i = int(np.flatnonzero(pc.is_null(arr).to_numpy(zero_copy_only=False))[0])
        raise DataError("missing value", file=path, line=first_row + i + 1, field=column,
                        expected="Unix seconds or an ISO-8601 date-time")
    if pa.types.is_integer(arr.type):
        return pc.cast(arr, pa.int64()).to_numpy()
    if pa.types.is_timestamp(arr.type):
        return pc.cast(pc.cast(arr, pa.timestamp("s", tz=arr.type.tz)), pa.int64()).to_numpy()
    return parse_time(_batch_frame(batch, column, first_row), column, path)


def _id_codes(batch: pa.RecordBatch, column: str) -> pa.DictionaryArray:
    """A batch's ids as text, trimmed, missing ones empty, dictionary-encoded within the batch."""
    arr = batch.column(column)
    text = arr if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) else pc.cast(arr, pa.string())
    return pc.utf8_trim_whitespace(pc.fill_null(text, "")).dictionary_encode()


def _categorical(parts: list[pa.DictionaryArray]) -> pd.Categorical:
    """The batches' encoded ids as one categorical; categories in order of first appearance."""
    if not parts:
        return pd.Categorical.from_codes(np.zeros(0, dtype=np.int32), categories=pd.Index([], dtype=object))
    unified = pa.chunked_array([p.dictionary for p in parts]).dictionary_encode()
    codes = np.empty(sum(len(p) for p in parts), dtype=np.int32)
    start = 0
    for part, glob in zip(parts, unified.chunks, strict=True):
        local = part.indices.to_numpy(zero_copy_only=False)
        codes[start:start + len(local)] = glob.indices.to_numpy(zero_copy_only=False)[local]
        start += len(local)
    ids = unified.chunks[0].dictionary.to_numpy(zero_copy_only=False).astype(object)
    return pd.Categorical.from_codes(codes, categories=pd.Index(ids, dtype=object))


def read_parquet_events(path: Path, mapping: dict[str, str], optional: list[str]) -> pd.DataFrame:
    """The interactions in a Parquet file or folder of shards, read ``BATCH_ROWS`` rows at a time.

    Parameters
    ----------
    path : Path
        A ``.parquet`` file, or a folder of them (read as one table, shards in name order).
    mapping : dict
        Role (``user``, ``item``, ``rating``, ``timestamp``) to the file's column name.
    optional : list of str
        Column names that may be absent; their roles are then left out.

    Returns
    -------
    pandas.DataFrame
        ``user`` and ``item`` as categoricals of trimmed text ids, ``rating`` (float64, NaN
        where missing) and ``timestamp`` (int64 seconds) where mapped and present; a
        ``RangeIndex`` whose value plus one is the row's number in the file.
    """
    wanted = list(dict.fromkeys(mapping.values()))
    data = _dataset(path, wanted, optional)
    present = {role: col for role, col in mapping.items() if col in data.schema.names}
    users: list[pa.DictionaryArray] = []
    items: list[pa.DictionaryArray] = []
    try:
        n = data.count_rows()  # from the files' metadata: the numeric columns are filled in place
        numbers = {role: np.empty(n, dtype=np.float64 if role == "rating" else np.int64)
                   for role in ("rating", "timestamp") if role in present}
        rows = 0
        batches = data.to_batches(columns=list(dict.fromkeys(present.values())), batch_size=BATCH_ROWS)
        with counter(f"reading {path.name}", total=n, unit="rows") as bar:  # batches vary in size
            for batch in batches:
                users.append(_id_codes(batch, present["user"]))
                items.append(_id_codes(batch, present["item"]))
                if "rating" in numbers:
                    numbers["rating"][rows:rows + batch.num_rows] = _numbers(batch, present["rating"], rows, path)
                if "timestamp" in numbers:
                    numbers["timestamp"][rows:rows + batch.num_rows] = _seconds(batch, present["timestamp"], rows,
                                                                                path)
                rows += batch.num_rows
                bar.update(batch.num_rows)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"not a readable Parquet file ({type(exc).__name__}: {exc})", file=path,
                        expected="a Parquet file") from None
    frame = pd.DataFrame({"user": _categorical(users), "item": _categorical(items)})
    del users, items
    pa.default_memory_pool().release_unused()  # the batches' buffers, back to the system
    for role, values in numbers.items():
        frame[role] = values
    return frame


def _text_codes(values: pd.Series) -> pa.DictionaryArray:
    """A piece's ids, trimmed, dictionary-encoded within the piece."""
    return pc.utf8_trim_whitespace(pa.array(values, type=pa.string())).dictionary_encode()


def read_delimited_events(path: Path, mapping: dict[str, str], optional: list[str], sep: str, header: bool,
                          encoding: str) -> pd.DataFrame:
    """The interactions in a delimited text file, read ``CHUNK_BYTES`` of it at a time.

    Parameters are those of ``read_parquet_events``, with the file's separator, whether its first
    line is a header, and its encoding. The frame is like ``read_parquet_events``' with a
    ``_line`` column (the row's line in the file, counting the header) and a default index.
    """
    from fuserec.data.files import parse_time
    from fuserec.data.reader import CHUNK_BYTES, numeric_column, read_table_chunks

    wanted = list(dict.fromkeys(mapping.values()))
    users: list[pa.DictionaryArray] = []
    items: list[pa.DictionaryArray] = []
    lines: list[np.ndarray] = []
    numbers: dict[str, list[np.ndarray]] = {}
    pieces = read_table_chunks(path, wanted, sep=sep, header=header, encoding=encoding, quoted=True,
                               optional=optional)
    size = path.stat().st_size if path.is_file() else 0  # a missing file: the reader names it
    pieces_in_file = None if path.suffix == ".gz" else -(-size // CHUNK_BYTES)  # gzip: size is compressed
    for raw in progress(pieces, f"reading {path.name}", total=pieces_in_file):
        present = {role: col for role, col in mapping.items() if col in raw.columns}
        users.append(_text_codes(raw[present["user"]]))
        items.append(_text_codes(raw[present["item"]]))
        lines.append(raw["_line"].to_numpy())
        if "rating" in present:
            numbers.setdefault("rating", []).append(numeric_column(raw, present["rating"], path, allow_missing=True))
        if "timestamp" in present:
            numbers.setdefault("timestamp", []).append(parse_time(raw, present["timestamp"], path))
    frame = pd.DataFrame({"user": _categorical(users), "item": _categorical(items), "_line": np.concatenate(lines)})
    del users, items
    for role, parts in numbers.items():
        frame[role] = np.concatenate(parts)
    return frame
