"""Peers' SASRec implementations for the sequential benchmark (S3-Rec Amazon files, leave-one-out).

``run_peer(name, train, users, budget_s, k, seed)`` fits one peer on ``train`` (user id -> ordered
training item ids, the test target already removed) and returns its top-``k`` items for ``users``,
ranked over every item the peer knows (all items of ``train``) with the user's training items
excluded. Peers use no validation data, so nothing beyond ``train`` is seen.

Settings are the published tuned SASRec ones (``PUBLISHED``): 64 factors, 1 block, 1 head,
dropout 0.2, max length 50, 256 sampled negatives, lr 1e-3, batch 128. Epochs follow the budget:
a 1-epoch probe fit is timed (data preparation included, so the estimate errs long), then
``epochs = min(200, max(1, floor(budget_s / probe_seconds)))`` and a fresh model is fitted for that
many epochs (the probe model is kept when that is 1). Torch uses both cores.

* ``cornac-sasrec``: ``cornac.models.SASRec`` (Cornac 3.0.1, benchmarks/requirements.txt) on a
  ``SequentialDataset`` with one session per user, timestamps = positions. Loss ``"softmax"``:
  full softmax cross-entropy over the batch's 128 positives plus 256 shared negatives sampled by
  popularity**0.5 (Cornac's default ``sample_alpha``). Cornac makes one example per prefix, so an
  epoch covers the same next-item targets as the all-positions objective RecTools uses, in several
  times more steps. Scores come from the fitted
  ``SASRecModel.predict`` (what ``SASRec.score`` calls), batched over users with the same left
  padding and truncation.
* ``rectools-sasrec``: ``rectools.models.SASRecModel`` (RecTools 0.19) with ``loss="sampled_softmax"``
  and ``n_negatives=256`` (uniform over the catalogue, per position). RecTools pins numpy<2 and
  attrs<24, so it runs in its own venv (benchmarks/install_rectools.sh builds
  benchmarks/.venv-rectools) through benchmarks/rectools_child.py, which exchanges JSON files.

Items seen only as test targets are unknown to both peers.

Smoke run (quick, tiny budget)::

    python benchmarks/sequential_peers.py PATH/Beauty.txt --peer cornac-sasrec --budget 60
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RECTOOLS_PY = HERE / ".venv-rectools" / "bin" / "python"
RECTOOLS_CHILD = HERE / "rectools_child.py"
PEERS = ("cornac-sasrec", "rectools-sasrec")
MAX_EPOCHS = 200
THREADS = len(os.sched_getaffinity(0))  # the cores this process may use, as our SASRec sets its own
PUBLISHED: dict[str, Any] = {"factors": 64, "blocks": 1, "heads": 1, "dropout": 0.2, "max_len": 50,
                             "negatives": 256, "lr": 1e-3, "batch_size": 128}


def epochs_for_budget(budget_s: float, seconds_per_epoch: float) -> int:
    """Epochs that fit in ``budget_s`` at ``seconds_per_epoch``, between 1 and ``MAX_EPOCHS``."""
    return min(MAX_EPOCHS, max(1, math.floor(budget_s / max(seconds_per_epoch, 1e-9))))


def run_peer(name: str, train: dict[str, list[str]], users: list[str], budget_s: float, k: int = 10,
             seed: int = 0) -> dict[str, Any]:
    """Fit peer ``name`` on ``train`` within ``budget_s`` and recommend ``k`` unseen items to ``users``.

    Returns ``{"recommendations": {user: [item, ...]}, "epochs", "fit_seconds", "settings", "version"}``
    (plus ``probe_seconds``, the timed 1-epoch fit). Users without training items get ``[]``.
    """
    if name == "cornac-sasrec":
        return _run_cornac(train, users, budget_s, k, seed)
    if name == "rectools-sasrec":
        return _run_rectools(train, users, budget_s, k, seed)
    raise ValueError(f"unknown peer {name!r}; choose from {PEERS}")


# --- Cornac ---------------------------------------------------------------------------------------

def _cornac_settings(seed: int) -> dict[str, Any]:
    """Cornac SASRec's keyword arguments for the published settings (epochs set later)."""
    p = PUBLISHED
    return {"embedding_dim": p["factors"], "num_blocks": p["blocks"], "num_heads": p["heads"],
            "dropout": p["dropout"], "max_len": p["max_len"], "n_sample": p["negatives"], "loss": "softmax",
            "learning_rate": p["lr"], "batch_size": p["batch_size"], "use_pos_emb": True, "use_biases": False,
            "model_selection": "last", "seed": seed, "verbose": False}


def _cornac_dataset(train: dict[str, list[str]]):
    """Cornac ``SequentialDataset``: one session per user, in order, timestamp = position."""
    from cornac.data import SequentialDataset

    rows = [(u, u, item, pos) for u, items in train.items() for pos, item in enumerate(items)]
    return SequentialDataset.build(rows, fmt="USIT", seed=0)


def _cornac_fit(data, settings: dict[str, Any], epochs: int):
    """A Cornac SASRec fitted for ``epochs`` epochs, and its wall seconds."""
    import cornac

    model = cornac.models.SASRec(n_epochs=epochs, **settings)
    start = time.perf_counter()
    model.fit(data)
    return model, time.perf_counter() - start


def _cornac_histories(model, train: dict[str, list[str]], users: list[str]) -> list[list[int]]:
    """Each user's training items as Cornac item indices (unknown items dropped)."""
    return [[model.iid_map[i] for i in train.get(u, []) if i in model.iid_map] for u in users]


def _cornac_scores(model, histories: list[list[int]]):
    """Scores over all of Cornac's items for each history, as ``SASRec.score`` pads and truncates them."""
    import numpy as np
    import torch

    n = model.max_len
    seqs = np.full((len(histories), n), model.pad_idx, dtype=np.int64)
    for row, hist in enumerate(histories):
        tail = hist[-n:]
        if tail:
            seqs[row, n - len(tail):] = tail
    model.model.eval()
    return np.atleast_2d(model.model.predict(None, torch.from_numpy(seqs)))


def _top_k(scores, histories: list[list[int]], k: int):
    """Indices of the ``k`` best items per row, training items excluded, best first."""
    import numpy as np

    for row, hist in enumerate(histories):
        scores[row, hist] = -np.inf
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def _cornac_recommend(model, train: dict[str, list[str]], users: list[str], k: int,
                      batch: int = 1024) -> dict[str, list[str]]:
    """Top-``k`` unseen items per user over all of Cornac's items; users without history get ``[]``."""
    item_ids = list(model.iid_map.keys())
    known = [u for u in users if train.get(u)]
    recs: dict[str, list[str]] = {u: [] for u in users}
    for start in range(0, len(known), batch):
        chunk = known[start:start + batch]
        histories = _cornac_histories(model, train, chunk)
        scores = _cornac_scores(model, histories)
        top = _top_k(scores, histories, min(k, scores.shape[1]))
        recs.update({u: [item_ids[i] for i in row if i not in set(hist)]
                     for u, row, hist in zip(chunk, top, histories, strict=True)})
    return recs


def _run_cornac(train: dict[str, list[str]], users: list[str], budget_s: float, k: int, seed: int) -> dict[str, Any]:
    """Cornac's SASRec: probe one epoch, fit the epochs the budget allows, rank all items."""
    try:
        import cornac
        import torch
    except ImportError as err:
        raise RuntimeError(f"cornac-sasrec needs Cornac: pip install -r {HERE / 'requirements.txt'} ({err})") from err
    torch.set_num_threads(THREADS)
    settings = _cornac_settings(seed)
    data = _cornac_dataset(train)
    model, probe_s = _cornac_fit(data, settings, 1)
    epochs = epochs_for_budget(budget_s, probe_s)
    fit_s = probe_s
    if epochs > 1:
        model, fit_s = _cornac_fit(data, settings, epochs)
    used = {**settings, "n_epochs": epochs, "sample_alpha": model.sample_alpha, "threads": THREADS,
            "loss_note": "softmax over the batch's positives + 256 shared popularity^0.5 negatives, one example "
                         "per prefix"}
    return {"recommendations": _cornac_recommend(model, train, users, k), "epochs": epochs, "fit_seconds": fit_s,
            "probe_seconds": probe_s, "settings": used,
            "version": f"cornac {cornac.__version__}, torch {torch.__version__}"}


# --- RecTools (own venv, subprocess) --------------------------------------------------------------

def _run_rectools(train: dict[str, list[str]], users: list[str], budget_s: float, k: int,
                  seed: int) -> dict[str, Any]:
    """RecTools' SASRecModel, fitted in benchmarks/.venv-rectools by rectools_child.py."""
    if not RECTOOLS_PY.exists():
        raise RuntimeError(f"rectools-sasrec needs its own venv {RECTOOLS_PY.parent.parent}: "
                           f"run bash {HERE / 'install_rectools.sh'} (RecTools pins numpy<2, attrs<24)")
    job = {"train": train, "users": users, "budget_s": budget_s, "k": k, "seed": seed, "threads": THREADS,
           "settings": PUBLISHED}
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "job.json", Path(tmp) / "result.json"
        src.write_text(json.dumps(job))
        proc = subprocess.run([str(RECTOOLS_PY), str(RECTOOLS_CHILD), str(src), str(dst)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"rectools_child.py failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        return json.loads(dst.read_text())


# --- Smoke run ------------------------------------------------------------------------------------

def load_s3rec(path: str | Path) -> dict[str, list[str]]:
    """An S3-Rec file (``user item item ...`` per line, in time order) as user -> items."""
    seqs = {}
    for line in Path(path).read_text().splitlines():
        if parts := line.split():
            seqs[parts[0]] = parts[1:]
    return seqs


def leave_one_out(seqs: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Training sequences (all but the last item) and each user's last item as the test target."""
    return {u: s[:-1] for u, s in seqs.items() if len(s) > 1}, {u: s[-1] for u, s in seqs.items() if len(s) > 1}


def ndcg_hr(recs: dict[str, list[str]], targets: dict[str, str], k: int = 10) -> tuple[float, float]:
    """Mean NDCG@k and HR@k with one target per user."""
    ndcg = hits = 0.0
    for user, target in targets.items():
        top = recs.get(user, [])[:k]
        if target in top:
            hits += 1
            ndcg += 1 / math.log2(top.index(target) + 2)
    return ndcg / len(targets), hits / len(targets)


def main() -> None:
    """Leave-one-out on one S3-Rec file for one peer; prints the metrics and the run's facts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", help="S3-Rec sequences file, e.g. amazon-2014-s3rec/Beauty.txt")
    parser.add_argument("--peer", choices=PEERS, required=True)
    parser.add_argument("--budget", type=float, default=60.0, help="training wall seconds")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train, targets = leave_one_out(load_s3rec(args.path))
    start = time.perf_counter()
    out = run_peer(args.peer, train, list(targets), args.budget, k=10, seed=args.seed)
    ndcg, hr = ndcg_hr(out["recommendations"], targets)
    facts = {k: v for k, v in out.items() if k != "recommendations"}
    print(json.dumps({"ndcg@10": ndcg, "hr@10": hr, "users": len(targets),
                      "wall_seconds": time.perf_counter() - start, **facts}, indent=2, default=str))


if __name__ == "__main__":
    sys.exit(main())
