"""A Parquet log read straight into user-grouped CSR arrays: the dataset, report and rejected rows
of the frame path, and a dataset that builds its frame only when asked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fuserec.data import load_files, streaming
from fuserec.data.event_rows import EventRows, resolve_repeats
from fuserec.data.synth import Faults, SynthSpec, synthesize
from fuserec.errors import DataError

OPTIONS = {"rating_scale": (1, 5), "invalid": "drop", "bots": "drop", "duplicates": "mean"}


def _external(ds: object) -> pd.DataFrame:
    inter = ds.interactions
    out = inter.assign(user=ds.users.to_external(inter["user"]), item=ds.items.to_external(inter["item"]))
    return out.sort_values(["user", "item"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """A generated log with every fault, as Parquet shards and as one CSV file of the same rows."""
    folder = tmp_path_factory.mktemp("faulty")
    synthesize(SynthSpec(n_users=2000, n_items=500, n_events=30_000, seed=3, faults=Faults.all()), folder,
               shard_events=7_000)
    rows = pd.concat([pd.read_parquet(p) for p in sorted((folder / "events").glob("*.parquet"))], ignore_index=True)
    rows.to_csv(folder / "events.csv", index=False)
    return folder


@pytest.mark.parametrize("duplicates", ["mean", "keep-last"])
def test_a_faulty_log_gives_the_frame_paths_dataset_report_and_rejects(faulty, tmp_path, monkeypatch, duplicates):
    monkeypatch.setattr(streaming, "BATCH_ROWS", 4_000)  # ids unified across batches and shards
    options = {**OPTIONS, "duplicates": duplicates}
    text = load_files(faulty / "events.csv", faulty / "items.parquet", item_id_column="item",
                      rejects=tmp_path / "text.csv", **options)
    columnar = load_files(faulty / "events", faulty / "items.parquet", item_id_column="item",
                          rejects=tmp_path / "columnar.csv", **options)
    report = {k: v for k, v in columnar.report.items() if k != "rejected_rows_file"}
    assert report == {k: v for k, v in text.report.items() if k != "rejected_rows_file"}
    assert report["suspected_bots"] > 0 and report["repeated_pairs"] > 0 and report["dropped_invalid"] > 0
    pd.testing.assert_frame_equal(_external(columnar), _external(text))
    assert list(columnar.items.ids[:500]) == list(text.items.ids[:500])  # the item table's order
    rejected = pd.read_csv(tmp_path / "text.csv")
    rejected["line"] -= 1  # a text file's lines count its header; a Parquet row's number does not
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "columnar.csv"), rejected)
    assert (columnar.matrix() != text.matrix()[text.users.to_index(columnar.users.ids)]).nnz == 0


@pytest.mark.parametrize("invalid", ["drop", "error"])
def test_items_missing_from_the_table_are_found_as_on_the_frame_path(tmp_path, invalid):
    rows = pd.DataFrame({"user": ["a", "b", "c", "a"], "item": ["x", "y", "q", "q"], "rating": [1.0, 2, 3, 4]})
    rows.to_csv(tmp_path / "r.csv", index=False)
    rows.to_parquet(tmp_path / "r.parquet")
    pd.DataFrame({"item": ["x", "y", "z"], "title": ["X", "Y", "Z"]}).to_csv(tmp_path / "items.csv", index=False)
    if invalid == "error":
        with pytest.raises(DataError, match="unknown item 'q'") as info:
            load_files(tmp_path / "r.parquet", tmp_path / "items.csv", invalid="error")
        assert info.value.line == 3
        return
    text = load_files(tmp_path / "r.csv", tmp_path / "items.csv", invalid="drop")
    columnar = load_files(tmp_path / "r.parquet", tmp_path / "items.csv", invalid="drop")
    assert columnar.report == text.report and columnar.report["unknown_items"] == 2
    assert list(columnar.users.ids) == ["a", "b"] and list(columnar.items.ids) == ["x", "y", "z"]
    pd.testing.assert_frame_equal(_external(columnar), _external(text))


def test_repeats_under_error_name_the_first_repeat_in_the_file(tmp_path):
    rows = pd.DataFrame({"user": ["a", "b", "b", "a"], "item": ["x", "y", "y", "x"], "timestamp": [1, 2, 3, 4]})
    rows.to_parquet(tmp_path / "r.parquet")
    with pytest.raises(DataError, match="user 'b' and item 'y' appear again") as info:
        load_files(tmp_path / "r.parquet", duplicates="error")
    assert info.value.line == 3  # b's repeat comes before a's in the file, though a is user 0


def test_a_dataset_of_rows_counts_and_builds_the_matrix_and_frame(tmp_path):
    rows = pd.DataFrame({"user": ["a", "b", "a", "c"], "item": ["x", "y", "z", "x"], "rating": [1.0, 2, 3, 4],
                         "timestamp": [4, 3, 2, 1]})
    rows.to_parquet(tmp_path / "r.parquet")
    ds = load_files(tmp_path / "r.parquet")
    assert (len(ds), ds.has_ratings, ds.has_timestamps) == (4, True, True)
    assert ds.user_counts().tolist() == [2, 1, 1] and ds.item_counts().tolist() == [2, 1, 1]
    assert ds.column("timestamp").tolist() == [4, 2, 3, 1]  # grouped by user, file order within
    assert ds.matrix().toarray().tolist() == [[1, 0, 3], [0, 2, 0], [4, 0, 0]]
    assert ds.interactions["user"].tolist() == [0, 0, 1, 2]
    later = ds.subset(ds.interactions["timestamp"].to_numpy() > 1)
    assert len(later) == 3 and later.matrix().nnz == 3 and later.n_users == 3
    assert "3/3 users" in repr(ds)


def test_resolving_repeats_a_block_at_a_time(monkeypatch):
    import fuserec.data.event_rows as event_rows

    monkeypatch.setattr(event_rows, "BLOCK_EVENTS", 3)  # users spread over several blocks
    rows = EventRows(np.array([0, 3, 5, 8]), np.array([1, 2, 1, 0, 0, 2, 2, 2], dtype=np.int32),
                     np.array([1, 2, 3, 4, 4, 5, 1, 3], dtype=np.float32), np.array([5, 6, 5, 7, 7, 1, 9, 2]))
    found = resolve_repeats(rows, 3, "keep-last")
    # user 0: item 1 twice at time 5, the later read wins; user 1: an exact copy, the later kept;
    # user 2: item 2 three times, the latest (time 9) kept
    assert found.keep.tolist() == [False, True, True, False, True, False, True, False]
    assert (found.repeated_pairs, found.exact_copies) == (4, 1)
    rows.keep(found.keep)
    assert rows.indptr.tolist() == [0, 2, 3, 4] and rows.items.tolist() == [2, 1, 0, 2]
    assert rows.timestamps.tolist() == [6, 5, 7, 9]
