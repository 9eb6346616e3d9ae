"""Delimited text read a piece at a time: the same dataset, checks and line numbers as in one piece."""

import gzip

import pandas as pd
import pytest

from fuserec.data import load_files, reader
from fuserec.data.reader import read_table, read_table_chunks
from fuserec.errors import DataError

TEXT = ("user,item,rating,timestamp\n"
        "u3,7,4,10\n u1,5,3,20\n\nu3,7,5,30\r\nu2,9,2,5\nu1,6,,15\n"  # a blank line, a CRLF, a missing rating
        "u3,5,4,25\nu4,9,5,35\nu1,5,9,40\nu2,7,3,45\nü5,6,4,50\n")


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_pieces_give_the_dataset_and_rejects_of_one_piece(tmp_path, monkeypatch, suffix):
    path = tmp_path / f"r{suffix}"
    path.write_bytes(gzip.compress(TEXT.encode()) if suffix.endswith(".gz") else TEXT.encode())
    options = dict(rating_scale=(1, 5), invalid="drop", duplicates="mean")
    whole = load_files(path, rejects=tmp_path / "whole.csv", **options)
    monkeypatch.setattr(reader, "CHUNK_BYTES", 12)  # about one line a piece
    pieces = load_files(path, rejects=tmp_path / "pieces.csv", **options)
    assert list(pieces.users.ids) == list(whole.users.ids) == ["u3", "u1", "u2", "u4", "ü5"]
    pd.testing.assert_frame_equal(pieces.interactions, whole.interactions)
    assert pieces.report.pop("rejected_rows_file") != whole.report.pop("rejected_rows_file")
    assert pieces.report == whole.report and pieces.report["repeated_pairs"] == 1
    assert (tmp_path / "pieces.csv").read_text() == (tmp_path / "whole.csv").read_text()
    assert pd.read_csv(tmp_path / "pieces.csv")["line"].tolist() == [7, 10]  # file lines, the blank one counted


@pytest.mark.parametrize(("bad", "message", "line"), [
    ("u9,7,four,60\n", "'four' is not a number", 13),
    ("u9,7,4\n", "truncated", 13),
    ("u9,7,4,60,1\n", "line has 5 fields", 13),
    ("u9,7,4,yesterday\n", "'yesterday' is not a", 13),
])
def test_a_bad_line_in_a_later_piece_is_named_by_its_line_in_the_file(tmp_path, bad, message, line):
    path = tmp_path / "r.csv"
    path.write_text(TEXT + bad + "u1,9,4,70\n")
    with pytest.raises(DataError, match=message) as whole:
        load_files(path)
    with pytest.raises(DataError, match=message) as pieces:
        _load_in_pieces(path)
    assert whole.value.line == pieces.value.line == line


def _load_in_pieces(path):
    original = reader.CHUNK_BYTES
    reader.CHUNK_BYTES = 10
    try:
        return load_files(path)
    finally:
        reader.CHUNK_BYTES = original


def test_bad_bytes_in_a_later_piece_name_their_line_and_empty_files_are_named(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(TEXT.encode() + b"u9,\xff\xfe,4,60\n")
    with pytest.raises(DataError, match="not valid utf-8") as info:
        list(read_table_chunks(path, ["user", "item"], sep=",", header=True, chunk_bytes=10))
    assert info.value.line == 13
    (tmp_path / "empty.csv").write_text("\n\n")
    with pytest.raises(DataError, match="file is empty"):
        list(read_table_chunks(tmp_path / "empty.csv", ["user", "item"], sep=",", header=True))
    (tmp_path / "header.csv").write_text("user,item\n\n")
    with pytest.raises(DataError, match="file has no data lines"):
        list(read_table_chunks(tmp_path / "header.csv", ["user", "item"], sep=",", header=True))
    no_header = tmp_path / "plain.tsv"
    no_header.write_text("a\t1\nb\t2\n\nc\t3\n")
    whole = read_table(no_header, ["user", "item"], sep="\t", header=False)
    pieces = pd.concat(read_table_chunks(no_header, ["user", "item"], sep="\t", header=False, chunk_bytes=3))
    pd.testing.assert_frame_equal(pieces.reset_index(drop=True), whole)
    assert whole["_line"].tolist() == [1, 2, 4]


def test_a_quoted_line_break_stays_in_one_piece(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('user,item,note\nu1,5,"two\nlines"\nu2,6,"one ""quoted"" word"\nu3,7,plain\n')
    whole = read_table(path, ["user", "item", "note"], sep=",", header=True, quoted=True)
    for size in (1, 5, 12):
        pieces = pd.concat(read_table_chunks(path, ["user", "item", "note"], sep=",", header=True, quoted=True,
                                             chunk_bytes=size))
        assert pieces["note"].tolist() == whole["note"].tolist() == ["two\nlines", 'one "quoted" word', "plain"]
        assert pieces["user"].tolist() == ["u1", "u2", "u3"]
