"""The product loop from the command line: train from a config → artifact → recommend (one user,
a batch, an unknown user) and similar items; the same through fuserec.load."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

import fuserec
from fuserec.artifacts.trained import lookup

CONFIG = """k = [10]
[data]
dataset = "movietweetings-100k"
[split]
method = "temporal"
[model]
name = "itemknn"
similarity = "bm25"
"""


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fuserec.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    config = root / "run.toml"
    config.write_text(CONFIG, encoding="utf-8")
    proc = run("train", "--config", str(config), "--out", str(root / "out"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ndcg@10" in proc.stdout
    return root / "out"


def test_manifest_records_what_was_trained(trained):
    model = fuserec.load(trained)
    m = model.manifest
    assert m["refit"] is True and m["model"]["name"] == "itemknn"
    assert m["data"]["interactions"] == 100_000 and len(m["data"]["sha256"]) == 64
    assert m["metrics"][0]["metrics"]["ndcg@10"] > 0
    assert {"numpy", "lightgbm", "torch"} <= set(m["dependencies"])
    config = json.loads((model.folder / "config.json").read_text())
    assert config["model"] == {"name": "itemknn", "k": 100, "similarity": "bm25", "k1": 1.2, "b": 0.75}


def test_recommend_one_user_json(trained):
    user = str(fuserec.load(trained).users()[0])
    proc = run("recommend", "--model", str(trained), "--user", user, "--k", "5", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["fallback"] is False and len(payload["items"]) == 5
    assert [e["rank"] for e in payload["items"]] == [1, 2, 3, 4, 5]
    scores = [e["score"] for e in payload["items"]]
    assert scores == sorted(scores, reverse=True) and all(e["title"] for e in payload["items"])
    model = fuserec.load(trained).model
    mine = {str(i) for i in model.items_.to_external(model.seen_[lookup(model.users_, user)].indices)}
    assert not mine & {str(e["item"]) for e in payload["items"]}
    seen = run("recommend", "--model", str(trained), "--user", user, "--k", "50", "--include-seen", "--json")
    assert mine & {str(e["item"]) for e in json.loads(seen.stdout)["items"]}


def test_unknown_user_gets_the_flagged_fallback(trained):
    proc = run("recommend", "--model", str(trained), "--user", "no-such-user", "--json")
    payload = json.loads(proc.stdout)
    assert payload["fallback"] is True and payload["fallback_reason"] == "unknown user"
    assert len(payload["items"]) == 10


def test_batch_recommendations_to_parquet(trained, tmp_path):
    ids = tmp_path / "users.txt"
    users = [str(u) for u in fuserec.load(trained).users()[:300]]
    ids.write_text("\n".join(users + ["ghost"]) + "\n")
    out = tmp_path / "recs.parquet"
    proc = run("recommend", "--model", str(trained), "--users", str(ids), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_parquet(out)
    assert frame["user"].nunique() == 301 and (frame.groupby("user").size() == 10).all()
    assert frame.loc[frame["user"] == "ghost", "fallback"].all() and not frame.loc[frame["user"] != "ghost",
                                                                                     "fallback"].any()
    single = fuserec.load(trained).recommend(users[7], 10)
    assert frame.loc[frame["user"] == users[7], "item"].tolist() == [str(e["item"]) for e in single["items"]]
    every = run("recommend", "--model", str(trained), "--all", "--out", str(tmp_path / "all.parquet"))
    assert every.returncode == 0 and pd.read_parquet(tmp_path / "all.parquet")["user"].nunique() > 1000


def test_similar_items(trained):
    model = fuserec.load(trained)
    item = str(model.model.items_.ids[int(model.model.seen_.getnnz(axis=0).argmax())])
    proc = run("similar", "--model", str(trained), "--item", item, "--k", "5", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["method"] == "item-item weights" and len(payload["items"]) == 5
    assert all(str(e["item"]) != item for e in payload["items"])
    bad = run("similar", "--model", str(trained), "--item", "nope")
    assert bad.returncode == 2 and "unknown item" in bad.stderr


def test_evaluate_config_and_missing_artifact(trained, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(CONFIG.replace('"itemknn"', '"popularity"').replace('similarity = "bm25"\n', ""))
    proc = run("evaluate", "--config", str(config), "--json", str(tmp_path / "rows.json"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "rows.json").read_text())["rows"][0]["model"] == "popularity"
    missing = run("recommend", "--model", str(tmp_path / "nothing"), "--user", "1")
    assert missing.returncode == 2 and "no such artifact" in missing.stderr


def test_compared_models_are_measured_on_the_same_users_and_paired_tested(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text(CONFIG.replace("k = [10]", 'k = [10]\ncompare = ["popularity", "random"]\neval_users = 300'),
                      encoding="utf-8")
    proc = run("train", "--config", str(config), "--out", str(tmp_path / "out"), "--report", str(tmp_path / "r.json"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "itemknn against popularity: ndcg@10" in proc.stdout and "paired t-test p =" in proc.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert [r["model"] for r in report["rows"]] == ["itemknn", "popularity", "random"]
    assert {r["users"] for r in report["rows"]} == {300}
    against_random = report["paired_tests"][1]
    assert against_random["other"] == "random" and against_random["users"] == 300
    assert against_random["ratio"] > 1 and against_random["p"] < 0.01  # item kNN beats a random order
    manifest = tmp_path / "out" / "current" / "manifest.json"
    assert {r["model"] for r in json.loads(manifest.read_text())["metrics"]} == {"itemknn"}  # its own rows only


def test_a_refit_reuses_the_settings_the_evaluation_chose(tmp_path):
    from fuserec.config import load_config
    from fuserec.train import train

    config = tmp_path / "run.toml"
    config.write_text(CONFIG.replace('name = "itemknn"\nsimilarity = "bm25"',
                                     'name = "text-ease"\nencoder = "tfidf"\nregs = [100.0, 1000.0]\n'
                                     'alphas = [0.0, 2.0]\npowers = [3]\nn_val = 1'), encoding="utf-8")
    done = train(load_config(config), tmp_path / "out")
    assert "refit" in done.seconds
    model = fuserec.load(done.path).model
    # the refit searched nothing: it was given the setting the evaluation's fit chose
    assert model.validation_ == []
    assert (model.reg, model.alpha, model.power) == (model.reg_, model.alpha_, model.power_)
    assert model.reg_ in (100.0, 1000.0) and model.alpha_ in (0.0, 2.0)
    recorded = json.loads((done.path / "config.json").read_text())["model"]  # what was fit, settings written in
    assert (recorded["reg"], recorded["alpha"], recorded["power"]) == (model.reg_, model.alpha_, model.power_)
