"""Property-based: load_files on generated malformed files raises DataError naming the file (and,
for a bad cell, the line and the field), or loads; never another exception."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuserec.data import load_files
from fuserec.errors import DataError

CELL = st.one_of(st.integers(-3, 12).map(str), st.floats(allow_nan=True, allow_infinity=True).map(str),
                 st.text(string.ascii_letters + string.digits + " ,;\"'\t-.:", max_size=6), st.just(""))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(CELL, CELL, CELL, CELL), min_size=0, max_size=8),
       header=st.sampled_from(["user,item,rating,timestamp", "user,item,rating", "u,i,r,t", "user,item", ""]))
def test_generated_interactions_raise_only_data_errors(tmp_path, rows, header):
    path = tmp_path / "events.csv"
    path.write_text("\n".join([header, *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    try:
        load_files(path, rating_scale=(1, 10))
    except DataError as exc:
        assert str(path) in str(exc), str(exc)
        if exc.line is not None:
            assert f"line {exc.line}" in str(exc)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_generated_bytes_raise_only_data_errors(tmp_path, data):
    path = tmp_path / "events.csv"
    path.write_bytes(b"user,item,rating,timestamp\n" + data)
    try:
        load_files(path)
    except DataError as exc:
        assert str(path) in str(exc), str(exc)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(CELL, CELL), min_size=0, max_size=6))
def test_generated_item_tables_raise_only_data_errors(tmp_path, rows):
    events = tmp_path / "events.csv"
    events.write_text("user,item\nu1,a\nu2,b\n", encoding="utf-8")
    items = tmp_path / "items.csv"
    items.write_text("\n".join(["item,title", *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    try:
        load_files(events, items)
    except DataError as exc:
        assert str(items) in str(exc) or str(events) in str(exc), str(exc)
