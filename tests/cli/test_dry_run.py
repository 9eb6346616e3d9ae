"""``fuserec train --dry-run``: the data read and split for real, each later stage estimated from
its shape, nothing fitted or written, and a fit that the memory budget would stop named first."""

from __future__ import annotations

import json

from .test_cli import run

CONFIG = """
k = [10]
compare = ["popularity"]

[data]
dataset = "movietweetings-100k"

[split]
method = "temporal"

[model]
name = "ease"
form = "{form}"

[output]
dir = "{out}"
"""


def _dry_run(tmp_path, form: str, env: dict | None = None) -> tuple[dict, str]:
    config = tmp_path / f"{form}.toml"
    config.write_text(CONFIG.format(form=form, out=tmp_path / "artifact"))
    report = tmp_path / f"{form}.json"
    result = run("train", "--config", str(config), "--dry-run", "--report", str(report), env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (tmp_path / "artifact").exists()  # nothing fitted, nothing written
    return json.loads(report.read_text()), result.stdout


def test_a_dry_run_measures_reading_and_estimates_each_fit(tmp_path):
    report, stdout = _dry_run(tmp_path, "auto")
    stages = {row["stage"].split(" (")[0]: row for row in report["dry_run"]}
    assert stages["read and check the data"]["how"] == "measured" and stages["read and check the data"]["seconds"] > 0
    fit = stages["fit ease"]
    assert fit["how"] == "estimated" and fit["seconds"] > 0 and "EASE: dense" in fit["note"]
    assert fit["peak_gb"] > stages["read and check the data"]["peak_gb"]  # the weights on top of the data
    assert {"fit popularity", "score ease for 6,263 test users", "refit ease on all the data"} <= set(stages)
    assert "minutes in all" in stdout
    assert report["seconds"] == sum(row["seconds"] for row in report["dry_run"])


def test_past_the_memory_budget_a_dry_run_says_which_path_or_that_it_stops(tmp_path):
    tight = {"FUSEREC_MEMORY_LIMIT": "1MB"}
    report, _ = _dry_run(tmp_path, "auto", tight)
    fit = next(row for row in report["dry_run"] if row["stage"] == "fit ease")
    assert fit["how"] == "estimated" and "EASE: sparse" in fit["note"] and "FUSEREC_MEMORY_LIMIT=1MB" in fit["note"]
    report, _ = _dry_run(tmp_path, "dense", tight)
    fit = next(row for row in report["dry_run"] if row["stage"] == "fit ease")
    assert fit["how"] == "stops" and "form='sparse'" in fit["note"]
