"""The generated log: seeded, shaped as asked, with the structure models learn from, its faults
counted, and loadable as the user's own files."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fuserec.cli import app
from fuserec.data.files import load_files
from fuserec.data.synth import Faults, SynthSpec, synthesize
from fuserec.errors import UsageError

SPEC = SynthSpec(n_users=3000, n_items=800, n_events=40_000, seed=7)


def _events(folder) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted((folder / "events").glob("part-*.parquet"))],
                     ignore_index=True)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    synthesize(SPEC, folder, shard_events=15_000)
    return folder


def test_the_same_seed_writes_the_same_log_and_another_seed_another(clean, tmp_path):
    synthesize(SPEC, tmp_path / "again", shard_events=15_000)
    pd.testing.assert_frame_equal(_events(clean), _events(tmp_path / "again"))
    pd.testing.assert_frame_equal(pd.read_parquet(clean / "items.parquet"),
                                  pd.read_parquet(tmp_path / "again" / "items.parquet"))
    synthesize(SynthSpec(n_users=3000, n_items=800, n_events=40_000, seed=8), tmp_path / "other")
    assert not _events(clean)["item"].equals(_events(tmp_path / "other")["item"])


def test_the_log_has_the_asked_shape_and_the_structure_of_a_shop(clean):
    events = _events(clean)
    assert len(events) == SPEC.n_events and len(list((clean / "events").glob("*.parquet"))) >= 2
    assert events["user"].nunique() == SPEC.n_users and events["item"].max() < SPEC.n_items
    per_item = np.sort(events["item"].value_counts().to_numpy())[::-1]
    assert per_item[: SPEC.n_items // 100].sum() > 0.05 * len(events)  # the top 1% of items: a head
    per_user = events["user"].value_counts()
    assert per_user.max() > 10 * per_user.median()  # a long tail of activity
    items = pd.read_parquet(clean / "items.parquet")
    category = items.set_index("item")["category"]
    top2 = events.assign(c=category.loc[events["item"]].to_numpy()).groupby("user")["c"].agg(
        lambda c: c.value_counts().iloc[:2].sum() / len(c))
    assert top2[per_user.loc[top2.index] >= 10].mean() > 0.6  # users keep to a couple of topics
    # a title shares words with the others in its category: the text says what the topic is
    words = items.groupby("category")["title"].agg(lambda t: len(set(" ".join(t).split())) / max(len(t), 1))
    assert words.median() < 3
    assert (events.groupby("user")["timestamp"].apply(lambda t: t.is_monotonic_increasing)).all()


def test_faults_are_injected_counted_and_found_again_on_loading(tmp_path):
    spec = SynthSpec(n_users=2000, n_items=500, n_events=30_000, seed=3, faults=Faults.all())
    written = synthesize(spec, tmp_path)
    found = written["faults"]
    assert json.loads((tmp_path / "synth.json").read_text())["faults"] == found
    assert found["bad_rows"] > 0 and found["duplicate_events"] > 0 and found["items_without_text"] > 0
    events = _events(tmp_path)
    per_user = events["user"].value_counts()
    bot_ids = np.arange(spec.n_users, spec.n_users + 5)
    assert (per_user.loc[bot_ids] >= 500 * per_user.drop(index=bot_ids).median()).all()
    ds = load_files(tmp_path / "events", tmp_path / "items.parquet", item_id_column="item", rating_scale=(1, 5),
                    invalid="drop")
    assert ds.report["dropped_invalid"] == found["bad_rows"]
    assert ds.report["duplicate_rows"] >= found["duplicate_events"]
    # every user with a valid row is kept, bots included (they are only flagged here)
    assert ds.n_items == spec.n_items and ds.n_users == events.loc[events["rating"].between(1, 5), "user"].nunique()
    assert ds.n_users > spec.n_users


def test_a_spec_that_cannot_make_a_log_is_refused_by_name():
    with pytest.raises(UsageError, match="n_events .* must be at least n_users"):
        SynthSpec(n_users=100, n_items=10, n_events=50).check()
    with pytest.raises(UsageError, match="size must be one of"):
        SynthSpec.named("2M")


def test_the_cli_writes_a_log_and_says_what_it_injected(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["data", "synth", str(tmp_path / "log"), "--users", "500", "--items", "200",
                                 "--events", "6000", "--faults"])
    assert result.exit_code == 0, result.output
    assert "injected" in result.output and (tmp_path / "log" / "items.parquet").exists()
    result = runner.invoke(app, ["data", "synth", str(tmp_path / "x"), "--users", "5"])
    assert result.exit_code != 0 and "--users, --items and --events together" in result.output


def test_every_fault_class_is_reported_and_dropped_rows_go_to_a_file(tmp_path, caplog):
    spec = SynthSpec(n_users=2000, n_items=500, n_events=30_000, seed=4, faults=Faults.all())
    found = synthesize(spec, tmp_path / "log")["faults"]
    rejects = tmp_path / "out" / "rejected.csv"
    with caplog.at_level(logging.WARNING, logger="fuserec.data"):
        ds = load_files(tmp_path / "log" / "events", tmp_path / "log" / "items.parquet", item_id_column="item",
                        rating_scale=(1, 5), invalid="drop", bots="drop", rejects=rejects)
    said = caplog.text
    without_text = f"{found['items_without_text']} items without text"
    for fault in ("invalid rows", "suspected bots", "duplicate rows", without_text):
        assert fault in said, f"no warning about {fault}"
    report = ds.report
    assert report["missing_ratings"] + report["out_of_range_ratings"] == found["bad_rows"]
    assert 0 < report["duplicate_rows"] <= found["duplicate_events"]  # the bots' copies went with them
    assert report["suspected_bots"] == spec.faults.bots and report["items_without_text"] == found["items_without_text"]
    rejected = pd.read_csv(rejects)
    assert set(rejected["reason"]) == {"missing_ratings", "out_of_range_ratings", "suspected_bot"}
    assert (rejected["reason"] == "suspected_bot").sum() == report["suspected_bot_rows"]
    assert ds.n_users == spec.n_users and rejected["line"].is_monotonic_increasing


def test_a_log_with_faults_is_the_clean_log_of_its_seed_with_the_faults_added(tmp_path):
    from dataclasses import replace

    clean = SynthSpec(n_users=1500, n_items=400, n_events=20_000, seed=5)
    synthesize(clean, tmp_path / "clean")
    synthesize(replace(clean, faults=Faults.all()), tmp_path / "faulty")
    a, b = _events(tmp_path / "clean"), _events(tmp_path / "faulty")
    b = b[b["user"] < clean.n_users].drop_duplicates()  # less the bots and the copies
    keys = ["user", "item", "timestamp"]
    pd.testing.assert_frame_equal(a[keys].reset_index(drop=True), b[keys].reset_index(drop=True))
    changed = a["rating"].to_numpy() != b["rating"].to_numpy()
    bad = b["rating"].to_numpy()[changed]
    assert len(bad) and (np.isnan(bad) | (bad > 5)).all()  # only the bad rows differ: missing or off the scale
    items_a, items_b = (pd.read_parquet(tmp_path / f / "items.parquet") for f in ("clean", "faulty"))
    emptied = items_a["title"] != items_b["title"]
    assert emptied.any() and (items_b.loc[emptied, "title"] == "").all()
