"""``fuserec explain`` and ``fuserec recommend --explain`` on a saved artifact, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fuserec.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def artifact(sample, tmp_path_factory):
    from fuserec.artifacts.trained import save
    from fuserec.registry import build_model

    out = tmp_path_factory.mktemp("explain") / "ease"
    model = build_model("ease").fit(sample)
    save(out, model, sample)
    user = int(np.argmax(np.diff(model.seen_.indptr)))
    return out, str(sample.users.ids[user]), model, user


def test_recommend_explain_gives_each_item_reasons_from_the_users_history(artifact, sample):
    out, user, model, index = artifact
    proc = run("recommend", "--model", str(out), "--user", user, "--k", "5", "--explain", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    history = {str(sample.items.ids[i]) for i in model.seen_[index].indices}
    items = json.loads(proc.stdout)["items"]
    assert len(items) == 5
    for entry in items:
        cited = [c["item"] for r in entry["explanation"]["reasons"] if r["kind"] == "history" for c in r["items"]]
        assert cited and set(cited) <= history and entry["explanation"]["item"] == entry["item"]


def test_explain_speaks_chinese_and_names_a_bad_item(artifact):
    out, user, _, _ = artifact
    first = json.loads(run("recommend", "--model", str(out), "--user", user, "--k", "1", "--json").stdout)["items"][0]
    proc = run("explain", "--model", str(out), "--user", user, "--item", first["item"], "--lang", "zh")
    assert proc.returncode == 0 and "因为你喜欢《" in proc.stdout, proc.stderr[-2000:]
    bad = run("explain", "--model", str(out), "--user", user, "--item", "no-such-item")
    assert bad.returncode == 2 and "no-such-item" in bad.stderr


def test_explain_words_with_the_local_model_or_names_a_bad_one(artifact):
    pytest.importorskip("cyllama")
    out, user, _, _ = artifact
    first = json.loads(run("recommend", "--model", str(out), "--user", user, "--k", "1", "--json").stdout)["items"][0]
    proc = run("explain", "--model", str(out), "--user", user, "--item", first["item"], "--llm", "local", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout)[0]
    assert found["wording"] in ("generated", "template") and found["text"]
    assert found["wording"] == "generated" or found["rejected"]          # a refusal says why
    bad = run("explain", "--model", str(out), "--user", user, "--item", first["item"], "--llm", "gpt-nowhere")
    assert bad.returncode == 2 and "gpt-nowhere" in bad.stderr
