"""Sequence files as the sequential-recommendation literature ships them: one user per line.

Each line is ``user item item ...``, the user's items in time order, with no timestamps,
ratings or text. This is the form of the S3-Rec preprocessing of the Amazon 2014 5-core
categories (Beauty, Sports_and_Outdoors, ...) that S3-Rec, ICLRec, TIGER and eSASRec report on.
An item's position in its line becomes its timestamp, so every time-based split and every
sequence model reads the order the file gives, and a leave-last split takes each line's last
items.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuserec.data._build import build_dataset, loader_options
from fuserec.data.dataset import Dataset
from fuserec.errors import DataError


def read_sequences(path: str | Path) -> pd.DataFrame:
    """Rows ``user``, ``item``, ``timestamp`` (the item's position in its line) and ``_line``.

    Raises
    ------
    DataError
        On a line with a user and no items, naming the file and the line.
    """
    path = Path(path)
    users: list[str] = []
    items: list[str] = []
    positions: list[int] = []
    lines: list[int] = []
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            tokens = text.split()
            if not tokens:
                continue
            if len(tokens) == 1:
                raise DataError(f"user {tokens[0]!r} has no items", file=path, line=number, field="items",
                                expected="a user id followed by at least one item id")
            seq = tokens[1:]
            users += [tokens[0]] * len(seq)
            items += seq
            positions += range(len(seq))
            lines += [number] * len(seq)
    return pd.DataFrame({"user": users, "item": items, "timestamp": np.asarray(positions, dtype=np.int64),
                         "_line": np.asarray(lines, dtype=np.int64)})


def load_sequences(path: str | Path, name: str | None = None, **options: Any) -> Dataset:
    """A sequence file as an implicit Dataset whose timestamps are positions within each line.

    Parameters
    ----------
    path : str or Path
        The file (``user item item ...`` per line).
    name : str, optional
        The dataset's name; default: the file's stem.
    **options
        Cleaning options of ``build_dataset`` (``duplicates``, ``invalid``, ``bots``, ``rejects``).
    """
    path = Path(path)
    frame = read_sequences(path)
    return build_dataset(name or path.stem, frame, path, **loader_options(options))


def load_s3rec(folder: str | Path, file: str, name: str, **options: Any) -> Dataset:
    """One category of the S3-Rec Amazon 2014 sequences from ``folder``."""
    return load_sequences(Path(folder) / file, name, **options)
