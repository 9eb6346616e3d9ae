"""The in-memory dataset every stage shares: interactions, item and user tables, id maps, CSR matrix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import InitVar, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from fuserec.data.event_rows import EventRows
from fuserec.errors import DataError, UnknownIdError, UsageError


class IdMap:
    """Two-way map between external ids (any hashable: str, int) and contiguous indices 0..n-1."""

    def __init__(self, ids: Iterable[Any], *, check: bool = True) -> None:
        """``check=False`` where the caller already knows the ids are distinct: the check builds the
        hash table of every id, which a big id map only needs once ids are looked up."""
        index = pd.Index(list(ids) if not isinstance(ids, (pd.Index, np.ndarray, pd.Series)) else ids)
        if check and index.has_duplicates:
            dup = index[index.duplicated()][0]
            raise DataError(f"id {dup!r} appears twice in the id map", expected="unique ids")
        self._index = index
        self._ids: np.ndarray | None = None

    @property
    def ids(self) -> np.ndarray:
        """External ids in index order (made once: an Arrow-backed index converts on every call)."""
        ids = getattr(self, "_ids", None)  # None also on an IdMap unpickled from before the cache
        if ids is None:
            ids = self._ids = self._index.to_numpy()
            ids.flags.writeable = False
        return ids

    def __len__(self) -> int:
        return len(self._index)

    @property
    def nbytes(self) -> int:
        """Bytes the map holds: its ids (each Python string, where they are objects) and, once
        built, the external-id array."""
        ids = getattr(self, "_ids", None)
        extra = ids.nbytes if ids is not None and ids.dtype != object else 0
        return int(self._index.memory_usage(deep=True)) + extra

    def __contains__(self, external_id: Any) -> bool:
        return external_id in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdMap) and self._index.equals(other._index)

    def __repr__(self) -> str:
        return f"IdMap({len(self)} ids)"

    def to_index(self, external_ids: Any, *, missing: str = "raise", what: str = "id") -> np.ndarray:
        """Indices of ``external_ids`` (scalar or array). ``missing='raise'`` or ``'ignore'`` (-1)."""
        scalar = np.ndim(external_ids) == 0
        values = [external_ids] if scalar else external_ids
        idx = self._index.get_indexer(pd.Index(values))
        if missing == "raise" and (idx < 0).any():
            bad = pd.Index(values)[idx < 0][0]
            bad = bad.item() if isinstance(bad, np.generic) else bad
            raise UnknownIdError(f"unknown {what} {bad!r}")
        return idx[0] if scalar else idx

    def position(self, external_id: Any) -> int | None:
        """Index of one external id, or None when it is not in the map (a hash lookup)."""
        try:
            return int(self._index.get_loc(external_id))
        except (KeyError, TypeError):
            return None

    def to_external(self, indices: Any) -> np.ndarray:
        """External ids of ``indices`` (array of ints)."""
        return self.ids[np.asarray(indices)]


@dataclass
class Dataset:
    """Interactions plus item and user tables over shared id maps.

    ``interactions`` has integer columns ``user`` and ``item`` (indices into ``users`` and
    ``items``), and optionally ``rating`` (float) and ``timestamp`` (int seconds). ``items`` and
    ``users`` are the whole catalogue and user base: after a split, train and test share them, so
    an index means the same thing on both sides, and a cold item is one with no train rows.
    ``item_table``/``user_table`` hold one row per index (column ``id`` is the external id).
    ``rating_scale`` is (min, max) for explicit data, None for implicit.

    A dataset read from a big file holds its interactions as user-grouped CSR arrays
    (``EventRows``, given as ``rows`` with ``interactions=None``); ``interactions`` then builds
    the frame the first time a stage reads it, while the counts, ``matrix`` and ``column`` read
    the arrays directly.
    """

    name: str
    interactions: pd.DataFrame
    users: IdMap
    items: IdMap
    item_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    user_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    rating_scale: tuple[float, float] | None = None
    social: pd.DataFrame | None = None  # user-user edges (columns user, friend), indices
    report: dict[str, Any] = field(default_factory=dict)  # what cleaning did
    # extra (column, label) pairs of ``item_table`` that go into each item's text after the
    # dataset's own template (e.g. plot overviews joined from another table)
    text_fields: tuple[tuple[str, str], ...] = ()
    rows: InitVar[EventRows | None] = None

    # ---- shape -------------------------------------------------------------------------------
    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_interactions(self) -> int:
        rows = self._unread_rows
        return rows.n_events if rows is not None else len(self.interactions)

    @property
    def has_ratings(self) -> bool:
        rows = self._unread_rows
        return rows.ratings is not None if rows is not None else "rating" in self.interactions.columns

    @property
    def has_timestamps(self) -> bool:
        rows = self._unread_rows
        return rows.timestamps is not None if rows is not None else "timestamp" in self.interactions.columns

    @property
    def _unread_rows(self) -> EventRows | None:
        """The CSR arrays while no stage has asked for the frame, else None."""
        return self.__dict__.get("_rows") if self.__dict__.get("_frame") is None else None

    @property
    def event_rows(self) -> EventRows | None:
        """The user-grouped CSR arrays the interactions were read into, while no stage has built
        the frame from them; None for a dataset held as a frame."""
        return self._unread_rows

    def column(self, name: str) -> np.ndarray:
        """One interactions column as an array, without building the frame where there is none."""
        rows = self._unread_rows
        if rows is not None:
            return rows.column(name)
        if name not in self.interactions.columns:
            raise UsageError(f"the interactions have no column {name!r}")
        return self.interactions[name].to_numpy()

    def __len__(self) -> int:
        return self.n_interactions

    def __repr__(self) -> str:
        active_u = int(np.count_nonzero(self.user_counts()))
        active_i = int(np.count_nonzero(self.item_counts()))
        return (
            f"Dataset({self.name!r}: {self.n_interactions:,} interactions, "
            f"{active_u:,}/{self.n_users:,} users, {active_i:,}/{self.n_items:,} items active)"
        )

    # ---- views -------------------------------------------------------------------------------
    def matrix(self, values: str = "rating") -> sp.csr_matrix:
        """The user×item CSR matrix over the whole id space.

        ``values='rating'`` uses ratings (1 where there are none), ``'binary'`` uses 1.
        """
        key = ("matrix", values)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        rows = self._unread_rows
        if rows is not None:
            m = self._cache[key] = rows.matrix(values, self.n_items)
            return m
        inter = self.interactions
        if values == "rating" and self.has_ratings:
            data = inter["rating"].to_numpy(dtype=np.float32)
        elif values in ("rating", "binary"):
            data = np.ones(len(inter), dtype=np.float32)
        else:
            raise UsageError(f"values must be 'rating' or 'binary', not {values!r}")
        m = sp.csr_matrix(
            (data, (inter["user"].to_numpy(), inter["item"].to_numpy())),
            shape=(self.n_users, self.n_items),
            dtype=np.float32,
        )
        m.sum_duplicates()
        self._cache[key] = m
        return m

    def item_counts(self) -> np.ndarray:
        """Interactions per item index (length ``n_items``)."""
        rows = self._unread_rows
        if rows is not None:
            return rows.item_counts(self.n_items)
        return np.bincount(self.interactions["item"].to_numpy(), minlength=self.n_items)

    def user_counts(self) -> np.ndarray:
        """Interactions per user index (length ``n_users``)."""
        rows = self._unread_rows
        if rows is not None:
            return rows.counts()
        return np.bincount(self.interactions["user"].to_numpy(), minlength=self.n_users)

    def item_titles(self, indices: Sequence[int] | np.ndarray) -> list[str]:
        """Titles of item indices (external ids where the table has no title)."""
        indices = np.asarray(indices)
        if "title" in self.item_table.columns:
            return self.item_table["title"].to_numpy()[indices].astype(str).tolist()
        return [str(x) for x in self.items.to_external(indices)]

    def subset(self, mask: np.ndarray | pd.Series, name: str | None = None) -> Dataset:
        """The same dataset (same id maps and tables) with only the interactions under ``mask``."""
        inter = self.interactions.loc[np.asarray(mask)].reset_index(drop=True)
        return self.with_interactions(inter, name=name)

    def with_interactions(self, interactions: pd.DataFrame, name: str | None = None) -> Dataset:
        """A copy sharing id maps and tables but holding ``interactions``."""
        out = replace(self, interactions=interactions, name=name or self.name, report=dict(self.report))
        out._cache = {}
        return out

    def __post_init__(self, rows: EventRows | None) -> None:
        self._cache: dict[Any, Any] = {}
        if rows is not None:
            if self.__dict__.get("_frame") is not None:
                raise UsageError("give a dataset either interactions or rows, not both")
            if rows.n_users != len(self.users) or (rows.n_events and int(rows.items.max()) >= len(self.items)):
                raise DataError("interaction index outside the id map", expected="indices from the id maps")
            self.__dict__["_rows"] = rows
            return
        inter = self.interactions
        for col in ("user", "item"):
            if col not in inter.columns:
                raise DataError(f"interactions lack column '{col}'", field=col)
        inter["user"] = inter["user"].astype(np.int32)
        inter["item"] = inter["item"].astype(np.int32)
        if len(inter) and (inter["user"].max() >= len(self.users) or inter["item"].max() >= len(self.items)):
            raise DataError("interaction index outside the id map", expected="indices from the id maps")

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        name: str,
        frame: pd.DataFrame,
        *,
        item_table: pd.DataFrame | None = None,
        user_table: pd.DataFrame | None = None,
        rating_scale: tuple[float, float] | None = None,
        report: dict[str, Any] | None = None,
    ) -> Dataset:
        """Build from a frame with external ``user``/``item`` ids (plus ``rating``/``timestamp``).

        Item and user id maps cover the tables' ``id`` columns first (the whole catalogue, also
        items nobody interacted with) and then any id only seen in the interactions.
        """
        item_table = _id_table(item_table, frame["item"])
        user_table = _id_table(user_table, frame["user"])
        items, users = IdMap(item_table["id"]), IdMap(user_table["id"])
        inter = pd.DataFrame({"user": _indices(users, frame["user"]), "item": _indices(items, frame["item"])})
        if "rating" in frame.columns:
            inter["rating"] = frame["rating"].to_numpy(dtype=np.float32)
        if "timestamp" in frame.columns:
            inter["timestamp"] = frame["timestamp"].to_numpy(dtype=np.int64)
        return cls(
            name=name,
            interactions=inter,
            users=users,
            items=items,
            item_table=item_table,
            user_table=user_table,
            rating_scale=rating_scale,
            report=report or {},
        )


    @classmethod
    def from_rows(cls, name: str, rows: EventRows, *, item_table: pd.DataFrame, user_table: pd.DataFrame,
                  rating_scale: tuple[float, float] | None = None, report: dict[str, Any] | None = None,
                  check: bool = True) -> Dataset:
        """Build from user-grouped CSR arrays over the tables' ids (column ``id``, in index order);
        ``check=False`` where the reader already made the ids distinct (see ``IdMap``)."""
        users, items = IdMap(user_table["id"], check=check), IdMap(item_table["id"], check=check)
        return cls(name=name, interactions=None, users=users, items=items,
                   item_table=item_table, user_table=user_table, rating_scale=rating_scale, report=report or {},
                   rows=rows)


def _get_interactions(self: Dataset) -> pd.DataFrame:
    frame = self.__dict__.get("_frame")
    if frame is None:
        rows = self.__dict__.get("_rows")
        if rows is None:
            raise UsageError("the dataset has neither interactions nor rows")
        frame = self.__dict__["_frame"] = rows.frame()
    return frame


def _set_interactions(self: Dataset, frame: pd.DataFrame | None) -> None:
    self.__dict__["_frame"] = frame
    self.__dict__["_rows"] = None


Dataset.interactions = property(
    _get_interactions, _set_interactions,
    doc="The interactions frame (columns ``user``, ``item``, optional ``rating``/``timestamp``); built "
        "from the CSR arrays on first use where the dataset was read into them.")


def _indices(ids: IdMap, values: pd.Series) -> np.ndarray:
    """int32 indices of external ids; a categorical is looked up once per distinct id."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return ids.to_index(values.cat.categories, missing="ignore").astype(np.int32)[values.cat.codes.to_numpy()]
    return ids.to_index(values.to_numpy()).astype(np.int32)


def _unique(values: pd.Series) -> np.ndarray:
    """Distinct values in order of first appearance (of a categorical: its categories that occur)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.categories.to_numpy()[pd.unique(values.cat.codes.to_numpy())]
    return pd.unique(values.to_numpy())


def _id_table(table: pd.DataFrame | None, seen: pd.Series) -> pd.DataFrame:
    """The table with one row per id: its own rows, then ids seen only in interactions."""
    seen_ids = _unique(seen)
    if table is None or len(table) == 0:
        return pd.DataFrame({"id": seen_ids})
    table = table.reset_index(drop=True)
    extra = pd.Index(seen_ids).difference(pd.Index(table["id"]), sort=False)
    if len(extra):
        table = pd.concat([table, pd.DataFrame({"id": extra.to_numpy()})], ignore_index=True)
    return table
