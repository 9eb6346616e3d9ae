"""Sequence files (one user per line, items in time order) and the ordered histories built from them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fuserec.data import Dataset
from fuserec.data.sequences import load_sequences
from fuserec.data.split import leave_last_split
from fuserec.errors import DataError
from fuserec.models.sequences import drop_last, length_batches, padded, user_sequences


def test_positions_in_a_line_become_its_order_and_the_last_item_is_the_test(tmp_path):
    path = tmp_path / "Tiny.txt"
    path.write_text("1 10 11 12\n2 12 10\n3 11\n")
    ds = load_sequences(path)
    assert ds.name == "Tiny" and len(ds) == 6
    indptr, items = user_sequences(ds)
    seqs = {ds.users.ids[u]: list(ds.items.to_external(items[indptr[u]:indptr[u + 1]])) for u in range(ds.n_users)}
    assert seqs == {"1": ["10", "11", "12"], "2": ["12", "10"], "3": ["11"]}
    split = leave_last_split(ds, 1)
    test = split.test.interactions
    got = set(zip(ds.users.to_external(test["user"]), ds.items.to_external(test["item"]), strict=True))
    assert got == {("1", "12"), ("2", "10")}  # user 3 has one item: it stays in train


def test_a_user_with_no_items_is_refused_naming_the_file_and_line(tmp_path):
    path = tmp_path / "Bad.txt"
    path.write_text("1 10 11\n2\n")
    with pytest.raises(DataError, match=r"Bad.txt, line 2.*items"):
        load_sequences(path)


def test_ties_in_time_keep_the_order_of_the_rows():
    frame = pd.DataFrame({"user": ["a"] * 4, "item": ["x", "y", "z", "w"], "timestamp": [5, 1, 5, 1]})
    ds = Dataset.from_frame("ties", frame)
    indptr, items = user_sequences(ds)
    assert list(ds.items.to_external(items)) == ["y", "w", "x", "z"]


def test_the_validation_target_is_each_sequences_last_item():
    indptr, items = np.array([0, 3, 3, 4]), np.array([5, 6, 7, 8])
    trimmed, rest, last = drop_last(indptr, items)
    assert list(trimmed) == [0, 2, 2, 2] and list(rest) == [5, 6] and list(last) == [7, -1, 8]


def test_a_batch_is_padded_to_its_longest_history_not_to_the_window():
    indptr, items = np.array([0, 5, 7]), np.arange(7)
    window, lengths = padded(indptr, items, np.array([1]), 50, -1)
    assert window.shape == (1, 2) and list(window[0]) == [5, 6]
    window, lengths = padded(indptr, items, np.array([0, 1]), 3, -1)
    assert window.tolist() == [[2, 3, 4], [5, 6, -1]] and list(lengths) == [3, 2]


def test_length_batches_group_similar_lengths_and_cover_every_user_once():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 50, 1000)
    batches = length_batches(lengths, 100, rng)
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < 0.25 * np.ptp(lengths)
