"""Bad input raises DataError naming the file, the line and the field, and saying what was expected."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest

from fuserec.data import load_files
from fuserec.data.lastfm import load_lastfm
from fuserec.data.movielens import load_ml100k
from fuserec.data.movietweetings import load_movietweetings
from fuserec.errors import DataError

GOOD = "user,item,rating,timestamp\n1,10,4,100\n2,10,5,200\n"

# (case id, file content, loader options, expected line, expected field or None, text in the message)
CSV_CASES = [
    ("truncated-line", "user,item,rating,timestamp\n1,10,4,100\n2,11\n3,12,5,300\n", {}, 3, "rating", "truncated"),
    ("too-many-fields", "user,item,rating,timestamp\n1,10,4,100\n2,11,3,200,extra\n", {}, 3, None, "5 fields"),
    ("non-numeric-rating", "user,item,rating,timestamp\n1,10,4,100\n2,11,great,200\n", {}, 3, "rating",
     "'great' is not a number"),
    ("nan-rating", "user,item,rating,timestamp\n1,10,4,100\n2,11,NaN,200\n", {}, 3, "rating", "missing rating"),
    ("empty-rating", "user,item,rating,timestamp\n1,10,4,100\n2,11,,200\n", {}, 3, "rating", "missing rating"),
    ("out-of-range", "user,item,rating,timestamp\n1,10,4,100\n2,11,7,200\n", {"rating_scale": (1, 5)}, 3, "rating",
     "between 1 and 5"),
    ("infinite-rating", "user,item,rating,timestamp\n1,10,inf,100\n", {}, 2, "rating", "not finite"),
    ("bad-timestamp", "user,item,rating,timestamp\n1,10,4,100\n2,11,3,yesterday\n", {}, 3, "timestamp",
     "'yesterday' is not a number"),
    ("bad-date", "user,item,rating,timestamp\n1,10,4,2024-01-01\n2,11,3,yesterday\n", {}, 3, "timestamp",
     "not a time"),
    ("missing-column", "user,item,score\n1,10,4\n", {"columns": {"user": "user", "item": "item", "rating": "rating"}},
     1, "rating", "missing column"),
    ("wrong-separator", "user;item;rating;timestamp\n1;10;4;100\n", {}, 1, "user", "semicolon-separated"),
    ("empty-user-id", "user,item,rating,timestamp\n1,10,4,100\n ,11,3,200\n", {}, 3, "user", "empty user id"),
    ("duplicate-pair-error", "user,item,rating,timestamp\n1,10,4,100\n1,10,5,200\n", {"duplicates": "error"}, 3, None,
     "appear again"),
    ("header-only", "user,item,rating,timestamp\n", {}, 2, None, "no data"),
]


@pytest.mark.parametrize("case,content,options,line,field,message", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_csv_cases(tmp_path, case, content, options, line, field, message):
    path = tmp_path / f"{case}.csv"
    path.write_text(content)
    with pytest.raises(DataError) as info:
        load_files(path, **options)
    err = info.value
    assert err.file == str(path)
    assert err.line == line
    assert err.field == field
    assert message in str(err)
    assert str(path) in str(err) and f"line {line}" in str(err)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataError, match="file is empty") as info:
        load_files(path)
    assert (info.value.file, info.value.line) == (str(path), 1)


def test_nonexistent_path(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(DataError, match="file not found") as info:
        load_files(path)
    assert info.value.file == str(path)


def test_binary_garbage(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"user,item\n1,2\n" + bytes(range(256)) * 4)
    with pytest.raises(DataError, match="binary data") as info:
        load_files(path)
    assert info.value.line == 3


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "r.csv.gz"
    path.write_bytes(gzip.compress(b"user,item\n1,2\n")[:-8] + b"xxxx")
    with pytest.raises(DataError, match="gzip") as info:
        load_files(path)
    assert info.value.file == str(path)


def test_wrong_encoding_names_line(tmp_path):
    path = tmp_path / "items.csv"
    path.write_bytes("item,title\n1,Amélie\n2,Les Misérables\n".encode("latin-1"))
    inter = tmp_path / "r.csv"
    inter.write_text("user,item\n1,1\n")
    with pytest.raises(DataError, match="not valid utf-8.*latin-1") as info:
        load_files(inter, path)
    assert (info.value.file, info.value.line) == (str(path), 2)


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "r.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match="Parquet") as info:
        load_files(path)
    assert info.value.file == str(path)


def test_parquet_missing_column(tmp_path):
    path = tmp_path / "r.parquet"
    pd.DataFrame({"u": [1], "item": [2]}).to_parquet(path)
    with pytest.raises(DataError, match="missing column") as info:
        load_files(path)
    assert info.value.field == "user"


def test_unknown_item_names_items_file(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text("item,title\n10,A\n11,B\n")
    inter = tmp_path / "r.csv"
    inter.write_text("user,item,rating\n1,10,4\n1,99,3\n")
    with pytest.raises(DataError, match="unknown item '99'") as info:
        load_files(inter, items)
    err = info.value
    assert (err.file, err.line, err.field) == (str(inter), 3, "item")
    assert str(items) in str(err)


def test_duplicate_id_in_item_table(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text("item,title\n10,A\n10,B\n")
    inter = tmp_path / "r.csv"
    inter.write_text("user,item\n1,10\n")
    with pytest.raises(DataError, match="listed twice") as info:
        load_files(inter, items)
    assert (info.value.file, info.value.line, info.value.field) == (str(items), 3, "id")


@pytest.fixture
def ml100k_copy(datasets_dir, tmp_path) -> Path:
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    for name in ("u.data", "u.item", "u.user"):
        shutil.copy(datasets_dir / "ml-100k" / name, folder / name)
    return folder


def test_ml100k_truncated_line(ml100k_copy):
    lines = (ml100k_copy / "u.data").read_text().splitlines()
    lines[41] = "196\t242"  # line 42 cut short
    (ml100k_copy / "u.data").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as info:
        load_ml100k(ml100k_copy)
    assert (info.value.line, info.value.field) == (42, "rating")
    assert "truncated" in str(info.value)


def test_ml100k_item_file_wrong_encoding_hint(ml100k_copy):
    # u.item re-encoded as UTF-8 is fine for us only if read as such; garbage bytes are reported
    raw = (ml100k_copy / "u.item").read_bytes()
    (ml100k_copy / "u.item").write_bytes(raw[:500] + b"\x00" + raw[500:])
    with pytest.raises(DataError, match="binary data") as info:
        load_ml100k(ml100k_copy)
    assert info.value.file.endswith("u.item") and info.value.line == raw.count(b"\n", 0, 500) + 1


def test_ml100k_unknown_item(ml100k_copy):
    with open(ml100k_copy / "u.data", "a") as fh:
        fh.write("1\t99999\t3\t881250949\n")
    with pytest.raises(DataError, match="unknown item 99999") as info:
        load_ml100k(ml100k_copy)
    assert (info.value.line, info.value.field) == (100_001, "item")


def test_movietweetings_wrong_separator(tmp_path):
    (tmp_path / "movies.dat").write_text("0001::A (1999)::Drama\n")
    (tmp_path / "ratings.dat").write_text("1\t0001\t8\t1365029107\n")
    with pytest.raises(DataError, match=r"1 field; the line looks tab-separated") as info:
        load_movietweetings(tmp_path)
    assert info.value.file.endswith("ratings.dat") and info.value.line == 1


def test_lastfm_non_numeric_count(datasets_dir, tmp_path):
    for name in ("artists.dat", "user_artists.dat"):
        shutil.copy(datasets_dir / "lastfm-hetrec2011-2k" / name, tmp_path / name)
    path = tmp_path / "user_artists.dat"
    text = path.read_bytes().replace(b"2\t52\t11690", b"2\t52\tlots", 1)
    path.write_bytes(text)
    with pytest.raises(DataError, match="'lots' is not a number") as info:
        load_lastfm(tmp_path)
    assert (info.value.line, info.value.field) == (3, "weight")


def test_nothing_written_on_error(tmp_path):
    """A failed load leaves the input untouched and writes nothing beside it."""
    path = tmp_path / "r.csv"
    path.write_text(GOOD + "3,12,oops,300\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(DataError):
        load_files(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert path.read_text() == GOOD + "3,12,oops,300\n"
