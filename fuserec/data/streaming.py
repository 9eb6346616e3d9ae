"""Interactions read a batch at a time: Parquet batches parsed in Arrow, delimited text into a compact frame.

A log of tens of millions of events does not fit in memory as Python strings: one object per id
and row costs about 60 bytes, so reading the whole file as a string table first takes many
times the memory of the finished dataset. Here each batch's user and item ids are trimmed and
dictionary-encoded in Arrow's own memory, so that only integer codes and one copy of each
distinct id are kept. The Parquet helpers below parse one batch (a row's number in the file is
1-based, as Parquet has no lines); ``fuserec.data.parquet_rows`` reads the file with them.
Delimited text is read a piece at a time by ``fuserec.data.reader.read_table_chunks``, with the
same checks as a whole file, into a frame with ids as ``pandas.Categorical`` and each row's file
line in ``_line``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fuserec.errors import DataError
from fuserec.progress import progress

BATCH_ROWS = 1 << 20
"""Rows read at a time: the transient cost of a batch is this many rows of the file's columns."""


def parquet_dataset(path: Path, columns: list[str], optional: list[str]):
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


def batch_numbers(batch: pa.RecordBatch, column: str, first_row: int, path: Path) -> np.ndarray:
    """Ratings as float64, NaN where missing; a field that is no number names its row."""
    from fuserec.data.reader import numeric_column

    arr = batch.column(column)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    return numeric_column(_batch_frame(batch, column, first_row), column, path, allow_missing=True)


def batch_seconds(batch: pa.RecordBatch, column: str, first_row: int, path: Path) -> np.ndarray:
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


def batch_ids(batch: pa.RecordBatch, column: str) -> pa.DictionaryArray:
    """A batch's ids as text, trimmed, missing ones empty, dictionary-encoded within the batch.

    The raw values are encoded first and only the distinct ones are turned into trimmed text (a
    batch repeats its ids many times); ids that differ only by spaces then share one entry.
    """
    arr = batch.column(column)
    if arr.null_count:  # a missing id is an empty one: the column as text first (the rare, slow way)
        arr = pc.fill_null(arr if _is_text(arr.type) else pc.cast(arr, pa.string()), "")
    encoded = arr if pa.types.is_dictionary(arr.type) else arr.dictionary_encode()
    values = encoded.dictionary if _is_text(encoded.dictionary.type) else pc.cast(encoded.dictionary, pa.string())
    text = pc.utf8_trim_whitespace(values).dictionary_encode()
    return pa.DictionaryArray.from_arrays(pc.take(text.indices, encoded.indices), text.dictionary)


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


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
