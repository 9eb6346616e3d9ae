"""The benchmarks build every fuserec model from the registry: each spec they hold must build,
and each row name must be unique where rows are matched (system, model, slice)."""

from __future__ import annotations

import importlib
import os
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from fuserec.models import Recommender
from fuserec.registry import canonical_name, to_spec

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _import(name: str) -> ModuleType:
    """A benchmark script as a module, leaving this process's environment as it was."""
    before = dict(os.environ)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))
        os.environ.clear()
        os.environ.update(before)


@pytest.fixture(scope="module")
def fusion() -> ModuleType:
    return _import("fusion")


@pytest.mark.parametrize("temporal, horizon, keywords", [(False, None, False), (True, 0.2, True),
                                                          ("per-user", None, False)])
def test_fusion_contenders_build_from_the_registry(sample, fusion, temporal, horizon, keywords):
    contenders = fusion.rows(sample, temporal, horizon, keywords=keywords)
    ours = [c for c in contenders if c.system == "fuserec"]
    assert len(ours) >= 15 and all(not callable(c.model) for c in ours)  # specs, not factories
    for c in ours:
        model = c.build()
        assert isinstance(model, Recommender)
        assert model.uses_lm or not c.uses_lm, f"{c.title}: the row says it uses a language model"
        canonical_name(model)
        to_spec(model)  # what an artifact would record
    for slice_name in fusion.SLICES:
        titles = Counter((c.system, c.title, c.uses_lm) for c in contenders if slice_name in c.slices)
        assert max(titles.values()) == 1, f"{slice_name}: rows share a name: {titles.most_common(1)}"


def test_fusion_rerankers_read_keywords_only_when_asked(sample, fusion):
    def keyword_flags(keywords: bool) -> set[bool]:
        return {c.build().keyword_features for c in fusion.rows(sample, False, keywords=keywords)
                if c.system == "fuserec" and c.label.startswith("re-ranker (")}

    assert keyword_flags(False) == {False} and keyword_flags(True) == {True}


def test_fusion_settings_reach_the_models(sample, fusion):
    by_label = {c.label: c for c in fusion.rows(sample, True, 0.2)}
    reranker = by_label["re-ranker (LambdaRank, CF + LM features)"].build()
    assert (reranker.pool, reranker.n_rankers, reranker.n_folds, reranker.temporal) == (100, 5, 2, True)
    assert reranker.val_size == pytest.approx(0.25)
    assert set(reranker.retrievers) >= {"ease", "hybrid", "semantic", "text-als", "text-ease"}
    cf_only = by_label["re-ranker, CF features only"].build()
    assert cf_only.semantic_features is False and "semantic" not in cf_only.retrievers
    assert cf_only.retrievers["hybrid"].encoder is None


def test_rating_and_ranking_models_build_from_the_registry():
    rating = _import("rating_ml100k")
    models = rating.our_models(n_users=1_000)
    assert len(models) == 10
    lm = models["Blend + neural hybrid (LM)"]
    ids_only = models["Blend + neural hybrid, IDs only (no LM)"]
    assert set(lm.models) == set(ids_only.models) == {"mf", "svdpp", "knn-item", "knn-user", "hybrid"}
    assert lm.models["hybrid"].encoder == "minilm" and ids_only.models["hybrid"].encoder is None
    assert "KNNBaseline (user, pearson_baseline)" not in rating.our_models(n_users=rating.MAX_USERS_FOR_USER_KNN + 1)
    ranking = _import("ranking_ml100k")
    ours = [(label, model) for system, label, model, _ in ranking.contenders() if system == "fuserec"]
    assert len(ours) == 8 and all(isinstance(m, Recommender) for _, m in ours)
    blend = dict(ours)["ScoreBlend (EASE + RP3beta + MF-BPR + Pop)"]
    assert list(blend.models) == ["ease", "rp3beta", "mf-bpr", "popularity"]
    assert blend.models["mf-bpr"].loss == "bpr"


def test_the_scale_benchmark_records_each_stage_in_its_own_process_and_resumes(tmp_path):
    import json
    import subprocess

    out = tmp_path / "scale.json"
    command = [sys.executable, str(BENCHMARKS / "scale.py"), "--sizes", "400:120:4000", "--stages", "ingest", "als",
               "implicit-als", "sparse-ease", "recommend", "--work", str(tmp_path / "work"), "--json", str(out)]
    first = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    assert [r["stage"] for r in rows] == ["ingest", "als", "implicit-als", "sparse-ease", "recommend"]
    assert all(r["ok"] and r["metrics"]["seconds"] > 0 and r["metrics"]["peak_rss_gb"] > 0 for r in rows)
    assert rows[0]["metrics"]["interactions"] > 0 and rows[2]["system"] == "implicit"
    assert rows[-1]["metrics"]["rows"] == 400 * 10  # top 10 for every user, written as Parquet
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and ": ingest ..." not in again.stdout  # done stages are not run again
    assert json.loads(out.read_text())["rows"] == rows
