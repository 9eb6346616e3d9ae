"""A sequence model through the product loop: `fuserec train` from a config with a leave-last
split, then `fuserec recommend` from the artifact gives the loaded model's own top-10."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import fuserec

pytest.importorskip("torch")

CONFIG = """k = [10]
[data]
dataset = "movietweetings-100k"
[split]
method = "leave-last"
[model]
name = "sasrec"
factors = 16
epochs = 3
"""


def test_a_trained_sasrec_recommends_from_its_artifact_as_in_process(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text(CONFIG, encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "fuserec.cli", "train", "--config", str(config), "--out", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    trained = fuserec.load(out)
    assert trained.manifest["model"]["name"] == "sasrec"
    for user in trained.users()[:3]:
        args = ["recommend", "--model", str(out), "--user", str(user), "--k", "10", "--json"]
        cli = subprocess.run([sys.executable, "-m", "fuserec.cli", *args], capture_output=True, text=True, timeout=300)
        assert cli.returncode == 0, cli.stderr[-3000:]
        listed = [e["item"] for e in json.loads(cli.stdout)["items"]]
        ids, _ = trained.model.recommend(user, k=10)
        assert listed == [str(i) for i in ids]
