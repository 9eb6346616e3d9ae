"""A Parquet log read straight into user-grouped CSR arrays, checked and cleaned on the way.

Two passes over the file, a batch at a time, and no frame of the whole log:

1. each batch's ids are dictionary-encoded in Arrow's memory, its rows checked (missing or
   out-of-range ratings, unknown items, empty ids, unreadable times), the ids of its good rows
   given global indices in order of first appearance, and each user's good rows counted;
2. with the counts known (and suspected bots found from them), every kept row is written at its
   place in the final arrays; rejected rows go to the rejects file as they pass.

Repeated (user, item) pairs are then resolved a block of users at a time (``event_rows``). The
peak is the final arrays plus one batch and the id maps, which is why a log larger than memory
as a frame still loads. The checks, the report's keys and the error messages are those of
``fuserec.data.validate``, so the delimited-text path and this one report a file the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fuserec.data import streaming
from fuserec.data.event_rows import EventRows, resolve_repeats
from fuserec.data.rejects import RejectsFile
from fuserec.data.streaming import batch_ids, batch_numbers, batch_seconds, parquet_dataset
from fuserec.data.validate import BOT_FACTOR, rating_checks
from fuserec.errors import DataError, UsageError
from fuserec.progress import counter

log = logging.getLogger("fuserec.data")


@dataclass
class Policies:
    """What to do with bad rows, repeated pairs and suspected bots (``build_dataset``'s options)."""

    rating_scale: tuple[float, float] | None = None
    known_items: pa.Array | None = None  # the item table's ids (text): interactions must use these
    items_path: Path | None = None
    duplicates: str = "keep-last"
    invalid: str = "error"
    bots: str = "keep"
    rejects: Path | None = None

    def __post_init__(self) -> None:
        if self.duplicates not in ("keep-last", "mean", "error"):
            raise UsageError(f"duplicates must be 'keep-last', 'mean' or 'error', not {self.duplicates!r}")
        if self.invalid not in ("error", "drop"):
            raise UsageError(f"invalid must be 'error' or 'drop', not {self.invalid!r}")
        if self.bots not in ("keep", "drop"):
            raise UsageError(f"bots must be 'keep' or 'drop', not {self.bots!r}")


class _Registry:
    """Distinct ids in order of first use, and each batch's dictionary mapped onto them.

    Each batch gives the entries its good rows use (``add``); ``unify`` then encodes them all at
    once, so that one hash table is built rather than one per batch.
    """

    def __init__(self, first: pa.Array | None) -> None:
        self.known = pa.array([], type=pa.string()) if first is None else first
        self.n_first = len(self.known)
        self.maps: list[np.ndarray] = []
        self._parts: list[tuple[pa.Array, np.ndarray, int]] = []

    def add(self, dictionary: pa.Array, used: np.ndarray) -> None:
        """A batch's dictionary and the entries of it that good rows use, in order of first use."""
        self._parts.append((dictionary.take(pa.array(used)), used.astype(np.int32), len(dictionary)))

    def unify(self) -> list[np.ndarray]:
        """Index every id; ``maps[b]`` gives batch ``b``'s dictionary entries their index (-1: unused).
        Returns, per batch, the index of each used entry."""
        chunks = [self.known] + [values for values, _, _ in self._parts]
        encoded = pa.chunked_array(chunks, type=pa.string()).dictionary_encode()
        if encoded.num_chunks:
            self.known = encoded.chunks[0].dictionary
        flat = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in encoded.chunks] or [[]])
        ends = np.cumsum([len(c) for c in chunks])
        index = np.split(flat.astype(np.int32), ends[:-1])[1:]  # Arrow may drop empty chunks: split by length
        for (_, used, size), glob in zip(self._parts, index, strict=True):
            local = np.full(size, -1, dtype=np.int32)
            local[used] = glob
            self.maps.append(local)
        self._parts = []
        pa.default_memory_pool().release_unused()  # the encoding's hash table, back to the system
        return index

    def ids(self, keep: np.ndarray) -> pd.Series:
        """The ids under ``keep``, as text held by Arrow (no Python string per id)."""
        return self.known.filter(pa.array(keep)).to_pandas()


@dataclass
class _Batch:
    """One batch's ids (dictionary-encoded), numbers and row checks."""

    first_row: int
    users: pa.DictionaryArray
    items: pa.DictionaryArray
    numbers: dict[str, np.ndarray]
    checks: list[tuple[str, np.ndarray, str, str]] = field(default_factory=list)

    @property
    def valid(self) -> np.ndarray:
        bad = np.zeros(len(self.users), dtype=bool)
        for _, mask, _, _ in self.checks:
            bad |= mask
        return ~bad


def _first_use(codes: np.ndarray, size: int, every_row: bool) -> np.ndarray:
    """Distinct codes in order of first occurrence. Codes of every row of a batch are all of its
    dictionary's ``size`` entries, in order (a dictionary lists values as they first occur)."""
    if every_row:
        return np.arange(size)
    uniq, first = np.unique(codes, return_index=True)
    return uniq[np.argsort(first)]


def _read(path: Path, mapping: dict[str, str], optional: list[str]):
    """The file as a pyarrow dataset, and the roles its columns fill."""
    wanted = list(dict.fromkeys(mapping.values()))
    data = parquet_dataset(path, wanted, optional)
    present = {role: col for role, col in mapping.items() if col in data.schema.names}
    return data, present


def _batches(data: Any, present: dict[str, str], path: Path, policies: Policies, description: str,
             listed: bool = True):
    """Each batch, parsed and checked, with a progress bar over the file's rows."""
    n = data.count_rows()
    rows = 0
    pool = pa.default_memory_pool()
    try:
        with counter(description, total=n, unit="rows") as bar:
            for batch in _file_batches(data, list(dict.fromkeys(present.values()))):
                numbers = {}
                if "rating" in present:
                    numbers["rating"] = batch_numbers(batch, present["rating"], rows, path)
                if "timestamp" in present:
                    numbers["timestamp"] = batch_seconds(batch, present["timestamp"], rows, path)
                parsed = _Batch(rows, _text_ids(batch, present["user"]), _text_ids(batch, present["item"]), numbers)
                parsed.checks = _checks(parsed, policies, listed)
                yield parsed
                del parsed
                pool.release_unused()  # the batch's buffers, back to the system: the pool would keep them
                rows += batch.num_rows
                bar.update(batch.num_rows)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"not a readable Parquet file ({type(exc).__name__}: {exc})", file=path,
                        expected="a Parquet file") from None


def _file_batches(data: Any, columns: list[str]) -> Any:
    """The shards' batches in order, one file at a time and nothing read ahead: a dataset scan
    reads ahead in background threads, which holds many batches whole while each is processed."""
    import pyarrow.parquet as pq

    for file in data.files:
        with pq.ParquetFile(file) as shard:
            yield from shard.iter_batches(batch_size=streaming.BATCH_ROWS, columns=columns)


def _text_ids(batch: pa.RecordBatch, column: str) -> pa.DictionaryArray:
    """A batch's ids dictionary-encoded as (32-bit) text, whatever string type the file used."""
    ids = batch_ids(batch, column)
    return ids if ids.type.value_type == pa.string() else ids.cast(pa.dictionary(ids.type.index_type, pa.string()))


def _checks(batch: _Batch, policies: Policies, listed: bool = True) -> list[tuple[str, np.ndarray, str, str]]:
    """``(report key, row mask, field, what was expected)`` per kind of invalid row, as ``validate``.

    ``listed=False`` leaves out the check against the item table (found as none failing: see
    ``_first_pass``).
    """
    rating = batch.numbers.get("rating")
    checks = [] if rating is None else rating_checks(rating, policies.rating_scale)
    if policies.known_items is not None and not listed:
        checks.append(("unknown_items", np.zeros(len(batch.items), dtype=bool), "item", ""))
    elif policies.known_items is not None:
        in_table = pc.is_in(batch.items.dictionary, value_set=policies.known_items).to_numpy(zero_copy_only=False)
        where = f" of {policies.items_path}" if policies.items_path else ""
        checks.append(("unknown_items", ~in_table[_codes(batch.items)], "item",
                       f"an item id listed in the item table{where}"))
    for role, ids in (("user", batch.users), ("item", batch.items)):
        blank = pc.equal(ids.dictionary, "").to_numpy(zero_copy_only=False)
        checks.append((f"empty_{role}_ids", blank[_codes(ids)], role, f"a {role} id"))
    return checks


def _codes(ids: pa.DictionaryArray) -> np.ndarray:
    return ids.indices.to_numpy(zero_copy_only=False)


def _value(batch: _Batch, fieldname: str, i: int) -> Any:
    if fieldname in ("user", "item"):
        ids = batch.users if fieldname == "user" else batch.items
        return ids.dictionary[_codes(ids)[i]].as_py()
    value = batch.numbers[fieldname][i]
    return value.item() if isinstance(value, np.generic) else value


@dataclass
class ParquetRows:
    """What ``read_parquet_rows`` returns: the events, the ids in index order, the report."""

    rows: EventRows
    user_ids: pd.Series  # the user table's ids first, then ids seen only in the log
    item_ids: pd.Series
    report: dict[str, Any]


def id_array(ids: pd.Series | None) -> pa.Array | None:
    """A table's ids as Arrow text, the form the batches' ids are matched against."""
    return None if ids is None else pa.array([str(x) for x in ids], type=pa.string())


def read_parquet_rows(path: Path, mapping: dict[str, str], optional: list[str], policies: Policies,
                      user_ids: pa.Array | None = None, item_ids: pa.Array | None = None) -> ParquetRows:
    """The interactions of a Parquet file or folder of shards as user-grouped CSR arrays.

    Parameters
    ----------
    path, mapping, optional
        As ``fuserec.data.streaming.read_parquet_events``.
    policies : Policies
        The cleaning options; the report and errors are those of ``validate.clean_interactions``.
    user_ids, item_ids : pyarrow.Array, optional
        The user and item tables' ids: they take the first indices, in table order.

    Returns
    -------
    ParquetRows
        Events grouped by user, in the file's order within each user; ids seen only in the log
        follow the tables' ids in order of first appearance among the kept rows' first pass.
    """
    data, present = _read(path, mapping, optional)
    users, items = _Registry(user_ids), _Registry(item_ids)
    found = _first_pass(data, present, path, policies, users, items, listed=False)
    if found is None:  # some rows name items the table lacks: check each batch against the table
        users, items = _Registry(user_ids), _Registry(item_ids)
        found = _first_pass(data, present, path, policies, users, items, listed=True)
        assert found is not None
    else:  # every row's item is listed: the second pass need not look
        policies = replace(policies, known_items=None)
    counts, report = found
    bots = _suspected_bots(counts, users.n_first, path, policies, report)
    if policies.bots == "drop":
        counts[bots] = 0
    rows, lines = _second_pass(data, present, path, policies, (users, items), (counts, bots), report)
    _resolve(rows, (users, items), lines, path, policies, report)
    report["rows_kept"] = rows.n_events
    keep_users = (rows.counts() > 0) | (np.arange(rows.n_users) < users.n_first)
    rows.drop_users(keep_users)
    occurs = rows.item_counts(len(items.known)) > 0
    keep_items = occurs | (np.arange(len(items.known)) < items.n_first)
    rows.renumber_items(keep_items)
    return ParquetRows(rows, users.ids(keep_users), items.ids(keep_items), report)


def _first_pass(data: Any, present: dict[str, str], path: Path, policies: Policies, users: _Registry,
                items: _Registry, listed: bool) -> tuple[np.ndarray, dict[str, Any]] | None:
    """Check every row, index the good rows' ids, count each user's good rows; raise or report.

    Matching each batch's items against a big item table costs a hash table of the table per
    batch, so with ``listed=False`` the items are indexed with the table's ids first and a row
    names an unlisted item exactly when its item's index falls past them. Where none does, the
    pass is exact; otherwise it returns None, and the caller runs it again with ``listed=True``.
    """
    per_user: list[np.ndarray] = []  # each batch: good rows of each user entry it uses
    bad: dict[str, list[Any]] = {}  # key -> [count, field, expected, first line, first value]
    n_rows = 0
    for batch in _batches(data, present, path, policies, f"checking {path.name}", listed):
        for key, mask, fieldname, expected in batch.checks:
            entry = bad.setdefault(key, [0, fieldname, expected, None, None])
            hits = np.flatnonzero(mask)
            if len(hits) and entry[3] is None:
                entry[3], entry[4] = batch.first_row + int(hits[0]) + 1, _value(batch, fieldname, int(hits[0]))
            entry[0] += len(hits)
        valid = batch.valid
        ucodes, icodes = _codes(batch.users)[valid], _codes(batch.items)[valid]
        every_row = bool(valid.all())
        used = _first_use(ucodes, len(batch.users.dictionary), every_row)
        users.add(batch.users.dictionary, used)
        items.add(batch.items.dictionary, _first_use(icodes, len(batch.items.dictionary), every_row))
        per_user.append(np.bincount(ucodes, minlength=len(batch.users.dictionary))[used].astype(np.int32))
        n_rows = batch.first_row + len(batch.users)
    index = users.unify()
    unlisted = any((found >= items.n_first).any() for found in items.unify())
    if unlisted and not listed and policies.known_items is not None:
        return None
    counts = np.bincount(np.concatenate(index or [np.zeros(0, np.int32)]),
                         weights=np.concatenate(per_user or [np.zeros(0)]), minlength=len(users.known)).astype(np.int64)
    report: dict[str, Any] = {"rows_read": n_rows}
    for key, (n, fieldname, expected, line, value) in bad.items():
        report[key] = n
        if n and policies.invalid == "error":
            raise DataError(f"{key.replace('_', ' ')[:-1]} {value!r} ({n:,} such rows in the file)", file=path,
                            line=line, field=fieldname, expected=expected)
    dropped = n_rows - int(counts.sum())
    if dropped:
        log.warning("%s: dropped %d invalid rows (%s)", path, dropped,
                    ", ".join(f"{k}={report[k]}" for k in bad if report[k]))
    report["dropped_invalid"] = dropped
    return counts, report


def _suspected_bots(counts: np.ndarray, n_first: int, path: Path, policies: Policies,
                    report: dict[str, Any]) -> np.ndarray:
    """Users with over ``BOT_FACTOR`` × the median active user's good rows (as ``validate``)."""
    active = counts[counts > 0]
    bots = counts > BOT_FACTOR * max(float(np.median(active)), 1.0) if len(active) else counts > 0
    report["suspected_bots"], report["suspected_bot_rows"] = int(bots.sum()), int(counts[bots].sum())
    if bots.any():
        log.warning("%s: %d suspected bots (over %d× the median user's interactions, %d rows); %s", path,
                    int(bots.sum()), BOT_FACTOR, report["suspected_bot_rows"],
                    "dropped" if policies.bots == "drop" else "kept (bots='drop' drops them)")
    return bots


def _second_pass(data: Any, present: dict[str, str], path: Path, policies: Policies,
                 ids: tuple[_Registry, _Registry], users_rows: tuple[np.ndarray, np.ndarray],
                 report: dict[str, Any]) -> tuple[EventRows, np.ndarray | None]:
    """Every kept row written at its place: user ``u``'s rows at ``indptr[u]`` on, in file order."""
    users, items = ids
    counts, bots = users_rows
    indptr = np.concatenate([[0], np.cumsum(counts)])
    nnz = int(indptr[-1])
    rows = EventRows(indptr, np.empty(nnz, dtype=np.int32),
                     np.empty(nnz, dtype=np.float32) if "rating" in present else None,
                     np.empty(nnz, dtype=np.int64) if "timestamp" in present else None)
    lines = np.empty(nnz, dtype=np.int64) if policies.duplicates == "error" else None
    fill = indptr[:-1].copy()
    rejects = RejectsFile(policies.rejects)
    for b, batch in enumerate(_batches(data, present, path, policies, f"placing {path.name}")):
        umap, imap = users.maps[b], items.maps[b]
        users.maps[b] = items.maps[b] = np.zeros(0, dtype=np.int32)  # used once: freed as the pass goes
        valid = batch.valid
        user = np.where(valid, umap[_codes(batch.users)], 0)
        kept = valid & ~bots[user] if policies.bots == "drop" else valid
        rejects.add(batch, kept, bots[user] & valid)
        user = user[kept]
        order = np.argsort(user, kind="stable")
        sorted_users = user[order]
        starts = np.flatnonzero(np.append(True, sorted_users[1:] != sorted_users[:-1]))
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.append(starts, len(order))))
        dest = np.empty(len(order), dtype=np.int64)
        dest[order] = fill[sorted_users] + rank
        fill += np.bincount(user, minlength=len(fill))
        rows.items[dest] = imap[_codes(batch.items)[kept]]
        for role, target in (("rating", rows.ratings), ("timestamp", rows.timestamps)):
            if target is not None:
                target[dest] = batch.numbers[role][kept]
        if lines is not None:
            lines[dest] = batch.first_row + 1 + np.flatnonzero(kept)
    rejects.close(report)
    return rows, lines


def _resolve(rows: EventRows, ids: tuple[_Registry, _Registry], lines: np.ndarray | None, path: Path,
             policies: Policies, report: dict[str, Any]) -> None:
    """Repeated (user, item) pairs found and resolved under the policy, as ``validate``."""
    users, items = ids
    found = resolve_repeats(rows, len(items.known), policies.duplicates, lines)
    report["duplicate_rows"] = found.exact_copies
    report["repeated_pairs"] = found.repeated_pairs
    if not found.repeated_pairs:
        return
    if policies.duplicates == "error" and found.first_repeat is not None and lines is not None:
        at = found.first_repeat
        user = users.known[int(np.searchsorted(rows.indptr, at, side="right") - 1)].as_py()
        item = items.known[int(rows.items[at])].as_py()
        raise DataError(f"user {user!r} and item {item!r} appear again "
                        f"({found.repeated_pairs:,} repeated pairs)", file=path, line=int(lines[at]),
                        expected="each (user, item) pair once, or duplicates='keep-last'/'mean'")
    log.warning("%s: %d duplicate rows (%d exact copies); policy %s", path, found.repeated_pairs,
                found.exact_copies, policies.duplicates)
    rows.keep(found.keep)
