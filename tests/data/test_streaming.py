"""Parquet read batch by batch gives the dataset the delimited-text path gives, and names bad rows."""

import numpy as np
import pandas as pd
import pytest

from fuserec.data import load_files, streaming
from fuserec.errors import DataError

ROWS = pd.DataFrame({
    "user": ["u3", " u1", "u3", "u2", "u1", "u3", "u4", "u1", "u2", "u5"],
    "item": [7, 5, 7, 9, 6, 5, 9, 5, 7, 6],
    "rating": [4.0, 3.0, 5.0, 2.0, 1.0, 4.0, 5.0, 2.0, 3.0, 4.0],
    "timestamp": [10, 20, 30, 5, 15, 25, 35, 40, 45, 50],
})


def _both(tmp_path, frame, **options):
    """The dataset from the same rows as CSV and as a folder of Parquet shards read 3 rows at a time."""
    frame.to_csv(tmp_path / "r.csv", index=False)
    (tmp_path / "shards").mkdir()
    for i, start in enumerate(range(0, len(frame), 4)):
        frame.iloc[start:start + 4].to_parquet(tmp_path / "shards" / f"part-{i}.parquet", index=False)
    return load_files(tmp_path / "r.csv", **options), load_files(tmp_path / "shards", **options)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(streaming, "BATCH_ROWS", 3)  # ids must be unified across batches and shards


def _by_id(ds):
    """The interactions with external ids, in one order whatever order the dataset holds them in."""
    inter = ds.interactions
    out = inter.assign(user=ds.users.to_external(inter["user"]), item=ds.items.to_external(inter["item"]))
    return out.sort_values(["user", "item"]).reset_index(drop=True)


@pytest.mark.parametrize("duplicates", ["keep-last", "mean"])
def test_parquet_batches_give_the_csv_dataset(tmp_path, duplicates):
    text, columnar = _both(tmp_path, ROWS, duplicates=duplicates)
    assert set(columnar.users.ids) == set(text.users.ids) == {"u1", "u2", "u3", "u4", "u5"}
    assert set(columnar.items.ids) == set(text.items.ids)
    pd.testing.assert_frame_equal(_by_id(columnar), _by_id(text))
    assert columnar.report == text.report and columnar.report["repeated_pairs"] == 2
    # ids are indexed in order of first appearance among the rows that pass the row checks
    assert list(columnar.users.ids) == ["u3", "u1", "u2", "u4", "u5"]
    assert list(columnar.items.ids) == ["7", "5", "9", "6"]


def test_parquet_keeps_each_users_events_in_file_order(tmp_path):
    _, ds = _both(tmp_path, ROWS, duplicates="mean")
    u3 = ds.interactions[ds.interactions["user"] == ds.users.to_index("u3")]
    assert u3["timestamp"].tolist() == [30, 25]  # (u3, 7) merged at its first row, with its latest time
    assert u3["rating"].tolist() == [4.5, 4.0]
    assert ds.matrix().has_sorted_indices and ds.matrix().nnz == len(ds)


def test_parquet_rejects_name_row_numbers(tmp_path):
    faulty = ROWS.assign(rating=[4.0, np.nan, 5.0, 2.0, 9.0, 4.0, 5.0, 2.0, 3.0, 4.0])
    rejects = tmp_path / "rejected.csv"
    _, ds = _both(tmp_path, faulty, rating_scale=(1, 5), invalid="drop", rejects=rejects)
    assert ds.report["missing_ratings"] == 1 and ds.report["out_of_range_ratings"] == 1
    dropped = pd.read_csv(rejects)
    assert dropped["line"].tolist() == [2, 5]  # the rows' numbers in the file, 1-based
    assert dropped["user"].tolist() == ["u1", "u1"] and dropped["reason"].tolist() == ["missing_ratings",
                                                                                       "out_of_range_ratings"]


def test_parquet_bad_field_names_its_row(tmp_path):
    path = tmp_path / "r.parquet"
    ROWS.assign(rating=ROWS["rating"].astype(str).where(ROWS.index != 7, "four")).to_parquet(path)
    with pytest.raises(DataError, match="'four' is not a number") as info:
        load_files(path)
    assert (info.value.line, info.value.field) == (8, "rating")


def test_parquet_missing_time_names_its_row(tmp_path):
    path = tmp_path / "r.parquet"
    ROWS.assign(timestamp=ROWS["timestamp"].astype("Int64").where(ROWS.index != 4)).to_parquet(path)
    with pytest.raises(DataError, match="missing value") as info:
        load_files(path)
    assert (info.value.line, info.value.field) == (5, "timestamp")


def test_parquet_missing_id_is_an_empty_id(tmp_path):
    path = tmp_path / "r.parquet"
    ROWS.assign(user=ROWS["user"].where(ROWS.index != 6)).to_parquet(path)
    with pytest.raises(DataError, match="empty user id") as info:
        load_files(path)
    assert info.value.line == 7
    assert len(load_files(path, invalid="drop")) == len(ROWS) - 1 - 2  # the empty id, two repeated pairs


def test_parquet_time_types(tmp_path):
    when = pd.to_datetime(ROWS["timestamp"], unit="s", utc=True)
    for i, column in enumerate([when, when.dt.strftime("%Y-%m-%dT%H:%M:%SZ")]):
        path = tmp_path / f"r{i}.parquet"
        ROWS.assign(timestamp=column).to_parquet(path)
        got = load_files(path).interactions["timestamp"]
        assert sorted(got) == sorted(load_files(_csv(tmp_path)).interactions["timestamp"])


def _csv(tmp_path):
    path = tmp_path / "plain.csv"
    ROWS.to_csv(path, index=False)
    return path
