"""Read delimited text and JSON-lines files into string tables, failing with the file, line and field.

Every loader goes through here, so bad bytes, bad encodings, short lines and non-numeric fields
are caught in one place and reported the same way. Parsing is done by pandas' C reader; the
checks around it are vectorised, so a clean 1M-line file costs little more than ``read_csv``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import warnings
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from fuserec.errors import DataError

_UNIT_SEP = "\x1f"  # stands in for multi-character separators such as MovieLens' '::'
CHUNK_BYTES = 64 << 20
"""Bytes of a file ``read_table_chunks`` parses at a time."""


def read_text(path: str | Path, encoding: str = "utf-8") -> str:
    """Return the decoded text of ``path`` (gzip allowed) with line ends normalised to ``\\n``."""
    path = _existing_file(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"not a valid gzip file ({exc})", file=path, expected="gzip-compressed text") from None
    if not raw.strip():
        raise DataError("file is empty", file=path, line=1, expected="at least one line of data")
    return _decode(raw, path, encoding, 1)


def _existing_file(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", file=path, expected="an existing file")
    if path.is_dir():
        raise DataError("is a folder", file=path, expected="a file")
    return path


def _decode(raw: bytes, path: Path, encoding: str, first_line: int) -> str:
    """``raw``, the file's bytes from line ``first_line`` on, as text with ``\\n`` line ends; a NUL
    byte or bytes not in ``encoding`` name their line."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise DataError(
            "binary data (NUL byte): this is not a text file",
            file=path,
            line=first_line + raw.count(b"\n", 0, nul),
            expected="delimited text",
        )
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = first_line + raw.count(b"\n", 0, exc.start)
        utf8 = encoding.lower().replace("-", "") == "utf8"
        hint = "; the file may be Latin-1: pass encoding='latin-1'" if utf8 else ""
        raise DataError(
            f"bytes {raw[exc.start:exc.start + 4]!r} are not valid {encoding}{hint}",
            file=path,
            line=line,
            expected=f"{encoding} text",
        ) from None
    if first_line == 1 and text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _guess_separator(line: str) -> str | None:
    for cand, name in (("\t", "tab"), ("::", "'::'"), (",", "comma"), (";", "semicolon"), ("|", "'|'")):
        if cand in line:
            return name
    return None


def read_table(
    path: str | Path,
    columns: Sequence[str],
    *,
    sep: str,
    header: bool,
    encoding: str = "utf-8",
    quoted: bool = False,
    optional: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a delimited file into a DataFrame of strings with a ``_line`` column (1-based).

    ``header=False``: the file has exactly ``len(columns)`` fields a line, named ``columns`` in
    order; the trailing ``optional`` columns may be absent from every line.
    ``header=True``: the first line names the fields; ``columns`` must all be among them (the
    others are kept too), ``optional`` may be missing. Blank lines are skipped, but counted, so
    line numbers stay those of the file.
    """
    path = Path(path)
    df = _table(read_text(path, encoding), path, columns, sep, header, quoted, optional, 0)
    if len(df) == 0:
        raise DataError("file has no data lines", file=path, line=2 if header else 1,
                        expected="at least one line of data")
    return df


def read_table_chunks(
    path: str | Path,
    columns: Sequence[str],
    *,
    sep: str,
    header: bool,
    encoding: str = "utf-8",
    quoted: bool = False,
    optional: Sequence[str] = (),
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[pd.DataFrame]:
    """``read_table`` a piece at a time: frames of about ``chunk_bytes`` of the file each, with the
    same columns, checks and file line numbers, so that a file many times the memory's size can be
    read. A piece ends at a line end (a quoted field holding a line break is not split across two).
    """
    path = _existing_file(path)
    opener = gzip.open if path.suffix == ".gz" else open
    rows, empty = 0, True
    try:
        with opener(path, "rb") as f:
            head = f.readline() if header else b""
            title = _decode(head, path, encoding, 1).rstrip("\n") if header else ""
            empty = not head.strip()
            line = 2 if header else 1  # the file's line that the next piece starts at
            while raw := _piece(f, chunk_bytes, quoted):
                text = _decode(raw, path, encoding, line)
                if not raw.strip():  # blank lines only: counted, not parsed
                    line += text.count("\n")
                    continue
                empty = False
                body = text.lstrip("\n")  # a piece may begin with blank lines: pandas needs a first row
                line, text = line + len(text) - len(body), body
                frame = _table(f"{title}\n{text}" if header else text, path, columns, sep, header, quoted, optional,
                               line - 2 if header else line - 1)
                rows += len(frame)
                if len(frame):
                    yield frame
                line += text.count("\n")
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(f"not a valid gzip file ({exc})", file=path, expected="gzip-compressed text") from None
    if empty:
        raise DataError("file is empty", file=path, line=1, expected="at least one line of data")
    if rows == 0:
        raise DataError("file has no data lines", file=path, line=2 if header else 1,
                        expected="at least one line of data")


def _piece(f: gzip.GzipFile | IO[bytes], size: int, quoted: bool) -> bytes:
    """About ``size`` bytes of ``f``, to the end of a line; with ``quoted``, to the end of a line
    outside quotes, so that a quoted field holding a line break stays in one piece."""
    raw = f.read(size)
    if raw and not raw.endswith(b"\n"):
        raw += f.readline()
    odd = quoted and raw.count(b'"') % 2 == 1
    while odd and (line := f.readline()):
        raw += line
        odd ^= line.count(b'"') % 2 == 1
    return raw


def _table(text: str, path: Path, columns: Sequence[str], sep: str, header: bool, quoted: bool,
           optional: Sequence[str], offset: int) -> pd.DataFrame:
    """``text`` parsed and checked as ``read_table`` does, its line ``n`` being the file's line
    ``n + offset``."""
    psep = sep
    if len(sep) > 1:
        text = text.replace(sep, _UNIT_SEP)
        psep = _UNIT_SEP
    df = _parse(text, path, sep, psep, header, quoted, offset)
    start = (2 if header else 1) + offset
    df["_line"] = np.arange(start, start + len(df), dtype=np.int64)
    blank = (df[[c for c in df.columns if c != "_line"]] == "").all(axis=1)
    df = _name_columns(df, columns, optional, header, text.split("\n", 1)[0], path, sep)
    # with a header, every named column present must have a value; without, the non-optional ones
    required_cols = [c for c in columns if c in df.columns] if header else [c for c in columns if c not in optional]
    _check_truncated(df, required_cols, blank, path, sep, None if header else len(columns), text, psep, quoted,
                     offset)
    if blank.any():
        df = df.loc[~blank.to_numpy()]
    return df.reset_index(drop=True)


def _parse(text: str, path: Path, sep: str, psep: str, header: bool, quoted: bool, offset: int = 0) -> pd.DataFrame:
    """The file's fields as strings; a line with a wrong number of fields is a `DataError` naming it."""
    try:
        with warnings.catch_warnings():  # a line with extra fields must be an error, not data silently dropped
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(io.StringIO(text), sep=psep, header=0 if header else None, dtype=str,
                               keep_default_na=False, na_filter=False, skip_blank_lines=False, index_col=False,
                               quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE, engine="c")
    except pd.errors.ParserWarning:
        width = None
        rows = csv.reader(io.StringIO(text), delimiter=psep, quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE)
        for number, fields in enumerate(rows, start=1):
            if not fields:
                continue
            if width is None:
                width = len(fields)
            elif len(fields) != width:
                raise DataError(f"line has {len(fields)} fields", file=path, line=number + offset,
                                expected=f"{width} fields separated by {sep!r}") from None
        raise DataError("lines have more fields than the header", file=path,
                        expected=f"fields separated by {sep!r}") from None
    except pd.errors.ParserError as exc:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if match:
            want, line, saw = (int(g) for g in match.groups())
            raise DataError(f"line has {saw} fields", file=path, line=line + offset,
                            expected=f"{want} fields separated by {sep!r}") from None
        raise DataError(f"cannot parse ({exc})", file=path, expected=f"fields separated by {sep!r}") from None
    except pd.errors.EmptyDataError:
        raise DataError("file has no data", file=path, line=1, expected="at least one line of data") from None


def _name_columns(df: pd.DataFrame, columns: Sequence[str], optional: Sequence[str], header: bool, first: str,
                  path: Path, sep: str) -> pd.DataFrame:
    """``df`` with its columns named ``columns``: checked against the header line, or counted on a
    file without one; a mismatch is a `DataError` that guesses the file's real separator."""
    data_cols = [c for c in df.columns if c != "_line"]
    if header:
        df.columns = [str(c).strip() for c in df.columns]
        missing = [c for c in columns if c not in df.columns and c not in optional]
        if missing:
            found = [c for c in df.columns if c != "_line"]
            guess = _guess_separator(first) if len(found) == 1 else None
            other = guess and guess not in (sep, repr(sep))
            hint = f"; the header looks {guess}-separated, not {sep!r}" if other else ""
            raise DataError(f"missing column; the header has {found}{hint}", file=path, line=1, field=missing[0],
                            expected=f"columns {list(columns)}")
        return df
    n_found = len(data_cols)
    if n_found < len(columns) - len(optional) or n_found > len(columns):
        guess = _guess_separator(first) if n_found == 1 else None
        hint = f"; the line looks {guess}-separated" if guess and guess not in (sep, repr(sep)) else ""
        raise DataError(f"line has {n_found} field{'s' if n_found != 1 else ''}{hint}", file=path,
                        line=int(df["_line"].iloc[0]), expected=f"{len(columns)} fields separated by {sep!r}")
    df.columns = list(columns[:n_found]) + ["_line"]
    return df


def _check_truncated(df: pd.DataFrame, required: list[str], blank: pd.Series, path: Path, sep: str,
                     n_fields: int | None, text: str, psep: str, quoted: bool, offset: int = 0) -> None:
    """A line that ends before a required field.

    A short line parses as empty trailing fields, like a line whose last fields are present but
    empty; the few suspect lines are re-split here to tell the two apart.
    """
    cols = [c for c in df.columns if c != "_line"]
    req_pos = [cols.index(c) for c in required if c in cols]
    if not req_pos or len(df) == 0:
        return
    nonempty = (df[cols] != "").to_numpy()
    last = np.where(nonempty.any(axis=1), nonempty.shape[1] - 1 - np.argmax(nonempty[:, ::-1], axis=1), -1)
    short = ~blank.to_numpy() & (last < max(req_pos))
    if not short.any():
        return
    lines = text.split("\n")
    quoting = csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE
    for i in np.flatnonzero(short)[:10_000]:
        line_text = lines[int(df["_line"].iloc[i]) - 1 - offset]
        n_found = len(next(csv.reader([line_text], delimiter=psep, quoting=quoting)))  # type: ignore[arg-type]
        if n_found > max(req_pos):
            continue  # all fields present, some empty: the value checks report it
        field = next(cols[p] for p in sorted(req_pos) if p >= n_found)
        expected = f"{n_fields} fields separated by {sep!r}" if n_fields else "a value for every column of the header"
        raise DataError(f"line ends after {n_found} field{'s' if n_found != 1 else ''} (truncated?)", file=path,
                        line=int(df["_line"].iloc[i]), field=field, expected=expected)


def numeric_column(
    df: pd.DataFrame,
    column: str,
    path: str | Path,
    *,
    integer: bool = False,
    allow_missing: bool = False,
) -> np.ndarray:
    """Convert a string column of ``read_table``'s output to numbers, naming the first bad line.

    ``integer=True`` returns int64 (exact, also beyond 2**53) unless missing values are allowed
    and present; otherwise float64.
    """
    raw = df[column]
    kind = "an integer" if integer else "a number"
    if integer:
        try:
            return raw.astype(np.int64).to_numpy()
        except (ValueError, TypeError, OverflowError):
            pass  # not all plain integers: find out why below
    try:  # fast path: every field parses (5x quicker than to_numeric on Arrow strings)
        out = raw.astype(np.float64).to_numpy()
        missing = np.isnan(out)  # 'nan'/'NaN' strings
    except (ValueError, TypeError):
        out, missing = _parse_slow(raw, df["_line"], column, path, kind)
    if missing.any() and not allow_missing:
        i = int(np.flatnonzero(missing)[0])
        raise DataError(
            f"missing value ({raw.iloc[i]!r})", file=path, line=int(df["_line"].iloc[i]), field=column, expected=kind
        )
    if not np.isfinite(out[~missing]).all():
        i = int(np.flatnonzero(~np.isfinite(out) & ~missing)[0])
        raise DataError(
            f"{raw.iloc[i]!r} is not finite", file=path, line=int(df["_line"].iloc[i]), field=column, expected=kind
        )
    if integer:
        frac = ~missing & (np.mod(np.nan_to_num(out), 1) != 0)
        if frac.any():
            i = int(np.flatnonzero(frac)[0])
            raise DataError(
                f"{raw.iloc[i]!r} is not an integer", file=path, line=int(df["_line"].iloc[i]), field=column,
                expected=kind,
            )
        if not missing.any():
            return out.astype(np.int64)
    return out


def _parse_slow(raw: pd.Series, lines: pd.Series, column: str, path: str | Path,
                kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse with coercion to find the first field that is not a number; empty/'nan' are missing."""
    values = pd.to_numeric(raw, errors="coerce")
    stripped = raw.str.strip()
    textual_nan = stripped.str.lower().isin(["nan", "na", "null", "none"]).to_numpy()
    missing = (stripped == "").to_numpy() | textual_nan
    bad = values.isna().to_numpy() & ~missing
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{raw.iloc[i]!r} is not a number", file=path, line=int(lines.iloc[i]), field=column,
                        expected=kind)
    return values.to_numpy(dtype=np.float64, na_value=np.nan), missing


def read_json_lines(path: str | Path, fields: Sequence[str], optional: Sequence[str] = ()) -> pd.DataFrame:
    """Read a JSON-lines file (gzip allowed) keeping ``fields``, with a ``_line`` column.

    Each line must be one JSON object holding every required field.
    """
    path = Path(path)
    text = read_text(path)
    rows: list[dict] = []
    lines: list[int] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"invalid JSON ({exc.msg} at column {exc.colno})", file=path, line=number,
                            expected="one JSON object a line") from None
        if not isinstance(obj, dict):
            raise DataError(f"a JSON {type(obj).__name__}", file=path, line=number, expected="one JSON object a line")
        for name in fields:
            if name not in obj and name not in optional:
                raise DataError("missing field", file=path, line=number, field=name,
                                expected=f"fields {list(f for f in fields if f not in optional)}")
        rows.append({name: obj.get(name) for name in fields})
        lines.append(number)
    df = pd.DataFrame(rows, columns=list(fields))
    df["_line"] = np.asarray(lines, dtype=np.int64)
    return df
