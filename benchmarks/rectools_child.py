"""Fit RecTools' SASRecModel in benchmarks/.venv-rectools; run by sequential_peers.run_peer("rectools-sasrec").

    .venv-rectools/bin/python benchmarks/rectools_child.py JOB.json RESULT.json

JOB.json: {"train": {user: [item, ...]}, "users": [...], "budget_s", "k", "seed", "threads", "settings"}
(settings as sequential_peers.PUBLISHED). RESULT.json: run_peer's return value. A 1-epoch probe fit
is timed, then a fresh model is fitted for the epochs the budget allows.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytorch_lightning as pl
import rectools
import torch
from rectools import Columns
from rectools.dataset import Dataset
from rectools.models import SASRecModel
from rectools.models.nn.item_net import IdEmbeddingsItemNet

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sequential_peers import epochs_for_budget  # noqa: E402


def build_dataset(train: dict[str, list[str]]) -> Dataset:
    """RecTools Dataset of the sequences; datetime = position in seconds keeps each user's order."""
    rows = [(u, item, pos) for u, items in train.items() for pos, item in enumerate(items)]
    df = pd.DataFrame(rows, columns=[Columns.User, Columns.Item, "pos"])
    df[Columns.Weight] = 1.0
    df[Columns.Datetime] = pd.to_datetime(df.pop("pos"), unit="s")
    return Dataset.construct(df)


def model_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    """SASRecModel's keyword arguments for the published settings (epochs set later)."""
    return {"n_factors": settings["factors"], "n_blocks": settings["blocks"], "n_heads": settings["heads"],
            "dropout_rate": settings["dropout"], "session_max_len": settings["max_len"], "loss": "sampled_softmax",
            "n_negatives": settings["negatives"], "lr": settings["lr"], "batch_size": settings["batch_size"],
            "deterministic": True, "verbose": 0, "recommend_torch_device": "cpu"}


def fit(dataset: Dataset, kwargs: dict[str, Any], epochs: int, seed: int) -> tuple[SASRecModel, float]:
    """A SASRecModel fitted for ``epochs`` epochs from ``seed``, and its wall seconds."""
    pl.seed_everything(seed, workers=True, verbose=False)
    model = SASRecModel(epochs=epochs, item_net_block_types=(IdEmbeddingsItemNet,), **kwargs)
    start = time.perf_counter()
    model.fit(dataset)
    return model, time.perf_counter() - start


def recommend(model: SASRecModel, dataset: Dataset, users: list[str], k: int,
              train: dict[str, list[str]]) -> dict[str, list[str]]:
    """Top-``k`` unseen items per user over all items; users without training items get ``[]``."""
    known = [u for u in users if train.get(u)]
    reco = model.recommend(users=known, dataset=dataset, k=k, filter_viewed=True)
    reco = reco.sort_values([Columns.User, Columns.Rank], kind="stable")
    recs: dict[str, list[str]] = {u: [] for u in users}
    recs.update({u: list(items) for u, items in reco.groupby(Columns.User, sort=False)[Columns.Item]})
    return recs


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Probe one epoch, fit the epochs ``job["budget_s"]`` allows, recommend."""
    torch.set_num_threads(job["threads"])
    dataset = build_dataset(job["train"])
    kwargs = model_kwargs(job["settings"])
    model, probe_s = fit(dataset, kwargs, 1, job["seed"])
    epochs = epochs_for_budget(job["budget_s"], probe_s)
    fit_s = probe_s
    if epochs > 1:
        model, fit_s = fit(dataset, kwargs, epochs, job["seed"])
    return {"recommendations": recommend(model, dataset, job["users"], job["k"], job["train"]), "epochs": epochs,
            "fit_seconds": fit_s, "probe_seconds": probe_s,
            "settings": {**kwargs, "epochs": epochs, "item_net_block_types": ["IdEmbeddingsItemNet"],
                         "threads": job["threads"], "seed": job["seed"],
                         "loss_note": "sampled softmax: each position's positive vs 256 uniform catalogue negatives"},
            "version": f"rectools {rectools.__version__}, torch {torch.__version__}, "
                       f"pytorch-lightning {pl.__version__}"}


def main() -> None:
    """Read the job file, run it, write the result file."""
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)
    job = json.loads(Path(sys.argv[1]).read_text())
    Path(sys.argv[2]).write_text(json.dumps(run(job)))


if __name__ == "__main__":
    main()
