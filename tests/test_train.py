"""The fused re-ranker with the language model, trained from examples/ml-latest-small.toml: the
artifact read by ``fuserec recommend`` and a model fitted in a fresh process from the configuration
the artifact recorded (with the settings the evaluation chose) give the same top-10 for 100
sampled users (slow: three fits of the re-ranker)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FRESH = """
import json, sys
from pathlib import Path
from fuserec.config import load_config, load_data
from fuserec.registry import build_model
from fuserec.train import threads
config = load_config(sys.argv[1])
spec = json.loads(Path(sys.argv[3]).read_text())["model"]  # as the artifact recorded it
with threads(config.threads):
    ds = load_data(config)
    model = build_model(spec).fit(ds)
    ids, _ = model.recommend(json.loads(sys.argv[2]), k=10)
print(json.dumps([[str(i) for i in row] for row in ids]))
"""


@pytest.mark.slow
def test_ml_latest_small_artifact_matches_a_fresh_fit(datasets_dir, tmp_path):
    config = ROOT / "examples" / "ml-latest-small.toml"
    out = tmp_path / "mls"
    train = subprocess.run([sys.executable, "-m", "fuserec.cli", "train", "--config", str(config), "--out", str(out)],
                           capture_output=True, text=True, timeout=3600)
    assert train.returncode == 0, train.stderr[-3000:]
    import fuserec

    trained = fuserec.load(out)
    assert trained.manifest["model"]["name"] == "reranker" and trained.manifest["model"]["uses_lm"]
    assert trained.manifest["encoder"]["id"] == "all-MiniLM-L6-v2"
    users = np.random.default_rng(0).choice(trained.users(), 100, replace=False).tolist()
    listed = tmp_path / "users.txt"
    listed.write_text("\n".join(map(str, users)) + "\n")
    recs = tmp_path / "recs.parquet"
    cli = subprocess.run([sys.executable, "-m", "fuserec.cli", "recommend", "--model", str(out), "--users",
                          str(listed), "--out", str(recs)], capture_output=True, text=True, timeout=600)
    assert cli.returncode == 0, cli.stderr[-3000:]
    import pandas as pd

    frame = pd.read_parquet(recs)
    assert not frame["fallback"].any()
    from_cli = [frame.loc[frame["user"] == str(u)].sort_values("rank")["item"].tolist() for u in users]
    fresh = subprocess.run([sys.executable, "-c", FRESH, str(config), json.dumps([int(u) for u in users]),
                            str(out / "current" / "config.json")],
                           capture_output=True, text=True, timeout=3600)
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert json.loads(fresh.stdout.strip().splitlines()[-1]) == from_cli
