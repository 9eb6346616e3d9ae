"""One metric registry: tuning, tables and the CLI pick the lowest error and the highest accuracy."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fuserec.evaluation.metrics import DIRECTION, direction, lower_is_better
from fuserec.tuning import tune


def test_directions():
    assert lower_is_better("rmse") and lower_is_better("mae") and lower_is_better("mse")
    assert not lower_is_better("ndcg@10") and direction("coverage@10") is None
    with pytest.raises(ValueError, match="unknown metric"):
        direction("accuracy")
    assert set(DIRECTION) >= {"precision", "recall", "ndcg", "map", "mrr", "hitrate", "f1"}


@pytest.mark.parametrize("metric", ["mae", "rmse", "mse"])
def test_tune_picks_the_lowest_error(sample, metric):
    from fuserec.models import Popularity

    result = tune(Popularity(), sample, {"damping": [0.0, 5.0, 500.0]}, task="rating", metric=metric, verbose=False)
    scores = {t["params"]["damping"]: t["score"] for t in result.trials}
    assert len(set(scores.values())) == 3
    assert result.best_score == min(scores.values())
    assert result.best_params["damping"] == min(scores, key=scores.get)


def test_cli_tune_mae_picks_the_lowest(tmp_path):
    out = tmp_path / "tune.json"
    proc = subprocess.run([sys.executable, "-m", "fuserec.cli", "tune", "-d", "movietweetings-100k", "-m", "popularity",
                           "-p", "damping=0,5,500", "--task", "rating", "--metric", "mae", "--split", "temporal",
                           "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())
    best = min(data["trials"], key=lambda t: t["score"])
    assert data["best_params"] == best["params"]
