"""The ``fuserec`` command, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``timeout`` guards against a hang, not a speed claim: the machine may be shared."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "fuserec.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout)


def test_data_info(datasets_dir):
    r = run("data", "info", "--dataset", "ml-100k", "--data-dir", str(datasets_dir))
    assert r.returncode == 0, r.stderr
    assert "100,000" in r.stdout and "943" in r.stdout and "1,682" in r.stdout


def test_data_validate_reports_duplicates(datasets_dir):
    r = run("data", "validate", "--dataset", "amazon-all-beauty", "--data-dir", str(datasets_dir))
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout and "repeated pairs: 1,177" in r.stdout


def test_data_validate_bad_file_exit_code_and_message(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("user,item,rating\n1,2,4\n1,3,four\n")
    r = run("data", "validate", "--interactions", str(path))
    assert r.returncode == 2
    assert f"{path}, line 3: field 'rating': 'four' is not a number" in r.stderr.replace("\n", "")
    assert "Traceback" not in r.stderr


def test_evaluate_own_file_with_columns(tmp_path):
    path = tmp_path / "events.tsv"
    lines = ["uid\tsku\tstars"]
    lines += [f"u{u}\ti{(u * 7 + j) % 40}\t{1 + (u + j) % 5}" for u in range(60) for j in range(12)]
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "rows.json"
    r = run("evaluate", "--interactions", str(path), "--user-col", "uid", "--item-col", "sku", "--rating-col",
            "stars", "--time-col", "", "--task", "rating", "--split", "kfold", "--folds", "3", "-m", "popularity",
            "-m", "random:random_state=3", "--json", str(out))
    assert r.returncode == 0, r.stderr
    rows = json.loads(out.read_text())["rows"]
    assert len(rows) == 6 and {row["model"] for row in rows} == {"popularity", "random:random_state=3"}
    assert all("rmse" in row["metrics"] and row["split"] == "kfold" for row in rows)


def test_evaluate_dataset_ranking_json(datasets_dir, tmp_path):
    out = tmp_path / "rows.json"
    r = run("evaluate", "--dataset", "ml-latest-small", "--data-dir", str(datasets_dir), "--split", "temporal",
            "--k", "5", "--k", "20", "-m", "popularity", "--json", str(out))
    assert r.returncode == 0, r.stderr
    row = json.loads(out.read_text())["rows"][0]
    assert row["dataset"] == "ml-latest-small" and row["fold"] is None
    assert {"ndcg@5", "ndcg@20", "recall@20"} <= set(row["metrics"])
    assert "popularity" in r.stdout


def test_evaluate_predefined_u1_u5(datasets_dir):
    r = run("evaluate", "-d", "ml-100k", "--data-dir", str(datasets_dir), "--split", "predefined",
            "--task", "rating", "-m", "popularity")
    assert r.returncode == 0, r.stderr
    assert "rmse" in r.stdout and "±" in r.stdout


@pytest.mark.parametrize("args,message", [
    (["-m", "nosuchmodel"], "unknown model"),
    (["-m", "popularity:damping"], "not key=value"),
    (["--split", "sideways"], "unknown split"),
])
def test_evaluate_bad_arguments(datasets_dir, args, message):
    r = run("evaluate", "-d", "ml-100k", "--data-dir", str(datasets_dir), *args)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr


def test_demo_offline_without_data_dir(tmp_path):
    env = {"FUSEREC_DATA_DIR": "", "FUSEREC_CACHE_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    r = run("demo", env=env, timeout=900)  # its time doubles when the 2 cores are shared (300 s ran out once)
    assert r.returncode == 0, r.stderr
    assert "movietweetings-100k" in r.stdout and "ndcg@10" in r.stdout
    assert "top-10 for user" in r.stdout and "(20" in r.stdout  # titles with years
    assert "a new movie, no ratings in train" in r.stdout and "rated it later" in r.stdout
    assert "fused" in r.stdout  # the re-ranker with MiniLM features, beside the classic models
    assert not (tmp_path / "datasets").exists()  # nothing downloaded: the embedded sample was used
    assert {p.name for p in tmp_path.iterdir()} <= {"embeddings.sqlite", "embeddings.sqlite-wal",
                                                    "embeddings.sqlite-shm"}  # only the embedding cache


def test_tune_grid_then_test_once(datasets_dir, tmp_path):
    out = tmp_path / "tune.json"
    r = run("tune", "-d", "ml-100k", "--data-dir", str(datasets_dir), "-m", "ease", "-p", "reg=30,300",
            "--json", str(out))
    assert r.returncode == 0, r.stderr
    result = json.loads(out.read_text())
    assert len(result["trials"]) == 2 and result["best_params"] == {"reg": 300}
    assert result["rows"][0]["metrics"]["ndcg@10"] > 0.4
    bad = run("tune", "-d", "ml-100k", "--data-dir", str(datasets_dir), "-m", "ease", "-p", "nonsense=1")
    assert bad.returncode == 2 and "nonsense" in bad.stderr


def test_semantic_similar_json(datasets_dir, tmp_path):
    env = {"FUSEREC_CACHE_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    r = run("semantic", "similar", "-d", "ml-100k", "--data-dir", str(datasets_dir), "--item", "Star Wars (1977)",
            "--k", "5", "--json", env=env)
    assert r.returncode == 0, r.stderr
    results = json.loads(r.stdout)["results"]
    titles = [x["title"] for x in results]
    assert "Return of the Jedi (1983)" in titles and results[0]["score"] >= results[-1]["score"]
    assert set(results[0]) == {"item_id", "title", "score"}
    r = run("semantic", "similar", "-d", "ml-100k", "--data-dir", str(datasets_dir), "--item", "No Such Film",
            env=env)
    assert r.returncode == 2 and "no item titled" in r.stderr


def test_evaluate_report_html(datasets_dir, tmp_path):
    out = tmp_path / "report.html"
    r = run("evaluate", "--dataset", "ml-100k", "--data-dir", str(datasets_dir), "-m", "popularity", "-m", "ease",
            "--k", "10", "--k", "20", "--report", str(out))
    assert r.returncode == 0, r.stderr
    html = out.read_text()
    assert html.count("data:image/png;base64,") == 4  # ndcg@10, recall@20, popularity, topic map
    assert "ease" in html and "Items by topic" in html
