"""fuserec at scale on one machine: generated shop logs of 1M, 10M and 50M interactions.

For each size (``fuserec.data.synth.SIZES``: the same generator parameters at every size), each
stage runs in a process of its own, so that its wall seconds and peak RSS are its own:

- ``ingest``: read the Parquet shards, validate, map ids, build the dataset (``load_files``);
  also reports the bytes of the final CSR (row pointer, item indices, ratings) plus id maps, and
  of the timestamps the dataset holds beside the CSR;
- ``als`` (fuserec's ALS) and ``implicit-als`` (implicit's ALS called directly on the same CSR,
  same settings): the fit, and seconds per iteration;
- ``sparse-ease``: EASE's sparse form (SANSA) fit on the train side of a temporal per-user 80/20
  split, and its NDCG@10 over ``EVAL_USERS`` seeded test users; where the whole XᵀX fits the
  memory budget, also the incomplete factorisation from all of XᵀX rather than from each item's
  largest co-counts (``whole gram``), to show what the pruning costs and saves. Where the fit
  refuses for memory, ``nnz_per_item`` is halved (down to ``MIN_NNZ_PER_ITEM``), as its message
  says to, and the row reports the value that fitted;
- ``dense-ease-guard``: EASE asked for its dense form: the seconds until it refuses (or, where the
  dense form fits the memory budget, fits), and whether it refused;
- ``reranker``: the default fused re-ranker's fit (``encoder`` auto);
- ``encode-minilm`` (up to ``MINILM_MAX_ITEMS`` items) and ``encode-static``: every item title;
- ``recommend``: the ALS artifact's top 10 for every user, in bounded chunks, written as Parquet
  (``fuserec recommend --all``);
- ``serve``: ``fuserec serve`` over the ALS artifact, text search through its faiss index and the
  user route under open-loop load, with the search answers' recall against exact
  (``serve_at_scale.py``);
- ``dry-run``: ``fuserec train --dry-run`` on the ``train`` stage's configuration: its own seconds,
  and the total seconds and largest peak it estimates, to set beside the ``train`` row;
- ``train``: ``fuserec train`` with the default fused re-ranker from a configuration like
  ``examples/own-files.toml`` (temporal split per user, ``compare = ["als", "popularity"]``):
  wall seconds and peak RSS of the whole command, and each model's NDCG@10 on the same test
  users with the re-ranker's paired t-test against each.

Besides the fixed sizes, ``USERS:ITEMS:EVENTS`` is any shape, ``shop-200k`` is the shape of the
log that crashed the default model (200,000 users, 60,000 items, 885,000 events), and a size
with ``-faults`` appended is that size
with every fault injected (``Faults.all()``; the training configuration then drops bad rows and
bots, and writes them to a file). The log with faults is the clean log of the same seed with the
faults added, so its ``train`` row also gives the re-ranker's NDCG@10 over the clean run's.

Stages are resumable: a (size, stage, system) row already in the ``--json`` file is kept and not
run again (``--force`` reruns). Generated logs are kept under ``--work``.

    python benchmarks/scale.py [--sizes 1M 10M 50M] [--stages ...] [--work DIR] [--json PATH] [--force]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from common import row, write_json  # noqa: E402

STAGES = ("ingest", "als", "implicit-als", "sparse-ease", "dense-ease-guard", "reranker", "encode-minilm",
          "encode-static", "recommend", "serve", "dry-run", "train")
SYSTEM = {"implicit-als": "implicit"}
MINILM_MAX_ITEMS = 200_000
MIN_NNZ_PER_ITEM = 10  # the sparse-ease stage halves nnz_per_item down to this while the fit refuses
GUARD_MIN_ITEMS = 200_000  # the guard stage runs where dense EASE is far past any budget
SHAPES = {"shop-200k": (200_000, 60_000, 885_000)}  # besides fuserec.data.synth.SIZES
EVAL_USERS = 10_000
ALS = {"factors": 64, "iterations": 15, "regularization": 0.01, "alpha": 1.0}


# ---- the stages, each run in a child process --------------------------------------------------
def _load(folder: Path):
    from fuserec.data.files import load_files

    return load_files(folder / "events", folder / "items.parquet", item_id_column="item", name=folder.name,
                      rating_scale=(1, 5), invalid="drop")


def _stage_ingest(folder: Path) -> dict[str, float]:
    start = time.perf_counter()
    ds = _load(folder)
    seconds = time.perf_counter() - start
    ids = ds.users.nbytes + ds.items.nbytes
    rows = ds.event_rows  # the CSR the log was read into; the matrix's own arrays otherwise
    if rows is not None:
        csr = rows.indptr.nbytes + rows.items.nbytes + (rows.ratings.nbytes if rows.ratings is not None else 0)
        times = rows.timestamps.nbytes if rows.timestamps is not None else 0
    else:
        m = ds.matrix("rating")
        csr, times = m.data.nbytes + m.indices.nbytes + m.indptr.nbytes, 0
    return {"seconds": seconds, "csr_and_id_maps_gb": (csr + ids) / 1e9, "timestamps_gb": times / 1e9,
            "interactions": float(len(ds))}


def _stage_als(folder: Path) -> dict[str, float]:
    from fuserec.artifacts import save
    from fuserec.models import ALS as FuserecALS

    ds = _load(folder)
    start = time.perf_counter()
    model = FuserecALS(**ALS, random_state=0).fit(ds)
    seconds = time.perf_counter() - start
    save(folder / "als-artifact", model, ds)
    return {"seconds": seconds, "seconds_per_iteration": seconds / ALS["iterations"]}


def _stage_implicit_als(folder: Path) -> dict[str, float]:
    import numpy as np
    import scipy.sparse as sp
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    ds = _load(folder)
    matrix = sp.csr_matrix(ds.matrix("binary"), dtype=np.float32)
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(random_state=0, **ALS)
        start = time.perf_counter()
        model.fit(matrix, show_progress=False)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "seconds_per_iteration": seconds / ALS["iterations"]}


def _stage_sparse_ease(folder: Path) -> dict[str, float]:
    from fuserec._core import memory
    from fuserec.data.split import temporal_per_user_split
    from fuserec.evaluation import evaluate_ranking
    from fuserec.models import sparse_ease

    split = temporal_per_user_split(_load(folder), 0.2)
    metrics: dict[str, float] = {}
    variants = {"": True}
    if memory.fits(sparse_ease.gram_bytes(split.train.matrix("binary"))):
        variants[" whole gram"] = False  # where XᵀX fits: also the incomplete factor from all of it
    for label, prune in variants.items():
        sparse_ease.PRUNE_INCOMPLETE = prune
        start = time.perf_counter()
        model = _fit_within_budget(split.train)
        metrics[f"seconds{label}"] = time.perf_counter() - start
        metrics[f"nnz_per_item{label}"] = float(model.nnz_per_item)
        metrics[f"ndcg@10{label}"] = evaluate_ranking(model, split, max_users=EVAL_USERS).metrics["ndcg@10"]
        metrics[f"weights_gb{label}"] = model.item_weights_.nbytes / 1e9
    return metrics


def _fit_within_budget(train: Any) -> Any:
    """EASE's sparse form at its default ``nnz_per_item``, halved after each refusal for memory, as
    its message tells a user to do; the refusals' seconds count in the stage's."""
    from fuserec.errors import MemoryBudgetError
    from fuserec.models import EASE

    nnz = EASE().nnz_per_item
    while True:
        try:
            return EASE(form="sparse", dtype="float32", nnz_per_item=nnz).fit(train)
        except MemoryBudgetError as exc:
            if nnz // 2 < MIN_NNZ_PER_ITEM:
                raise
            print(f"nnz_per_item={nnz}: {exc}; trying {nnz // 2}", flush=True)
            nnz //= 2


def _stage_dense_ease_guard(folder: Path) -> dict[str, float]:
    from fuserec.errors import MemoryBudgetError
    from fuserec.models import EASE

    ds = _load(folder)
    model = EASE(form="dense", dtype="float32")
    start = time.perf_counter()
    try:
        model.fit(ds)
        refused, message = 0.0, ""
    except MemoryBudgetError as exc:
        refused, message = 1.0, str(exc)
    seconds = time.perf_counter() - start
    print(f"dense EASE on {ds.n_items:,} items: {message or 'fitted'}", flush=True)
    return {"seconds": seconds, "refused": refused, "estimate_gb": model.dense_bytes(ds.n_items) / 1e9}


def _stage_reranker(folder: Path) -> dict[str, float]:
    from fuserec.config.schema import EncoderConfig
    from fuserec.registry import build_model

    ds = _load(folder)
    encoder = EncoderConfig().for_items(ds.n_items)
    start = time.perf_counter()
    build_model({"name": "reranker", "encoder": encoder}).fit(ds)
    return {"seconds": time.perf_counter() - start}


def _encode(folder: Path, name: str) -> dict[str, float]:
    import pandas as pd

    from fuserec.semantic import get_encoder

    titles = pd.read_parquet(folder / "items.parquet", columns=["title"])["title"].tolist()
    encoder = get_encoder(name)
    start = time.perf_counter()
    encoder.encode(titles)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "texts_per_second": len(titles) / seconds}


def _stage_recommend(folder: Path) -> dict[str, float]:
    out = folder / "recommendations.parquet"
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "fuserec"), "recommend", "--model", str(folder / "als-artifact"),
                    "--all", "--k", "10", "--out", str(out)], check=True)
    seconds = time.perf_counter() - start
    import pyarrow.parquet as pq

    return {"seconds": seconds, "rows": float(pq.ParquetFile(out).metadata.num_rows),
            "recall@10 vs exact": _recall_vs_exact(folder, out)}


def _recall_vs_exact(folder: Path, out: Path, n_users: int = 1_000) -> float:
    """Share of the exact top 10 (unseen items; ties at the tenth score included) among the written
    lists of ``n_users`` seeded users."""
    import numpy as np
    import pandas as pd

    from fuserec.artifacts import load
    from fuserec.serving.retrieval import recall_with_ties

    model = load(folder / "als-artifact").model
    n_users = min(n_users, len(model.user_factors_))
    users = np.random.default_rng(0).choice(len(model.user_factors_), size=n_users, replace=False)
    user_ids = np.asarray(model.users_.ids).astype(str)
    written = pd.read_parquet(out, columns=["user", "item"])
    item_pos = {str(i): n for n, i in enumerate(model.items_.ids)}
    lists = written[written["user"].isin(set(user_ids[users]))].groupby("user")["item"].apply(list)
    answered = np.full((n_users, 10), -np.inf)
    kth = np.empty(n_users)
    for n, u in enumerate(users):
        scores = model.item_factors_ @ model.user_factors_[u]
        scores[model.seen_[u].indices] = -np.inf
        kth[n] = np.partition(scores, -10)[-10]
        found = [scores[item_pos[i]] for i in lists.get(user_ids[u], [])][:10]
        answered[n, :len(found)] = found
    return recall_with_ties(answered, kth)


def _stage_serve(folder: Path) -> dict[str, float]:
    from serve_at_scale import stage_serve

    return stage_serve(folder)


RUNNERS = {"ingest": _stage_ingest, "als": _stage_als, "implicit-als": _stage_implicit_als,
           "sparse-ease": _stage_sparse_ease, "dense-ease-guard": _stage_dense_ease_guard,
           "reranker": _stage_reranker,
           "encode-minilm": lambda f: _encode(f, "minilm"), "encode-static": lambda f: _encode(f, "static"),
           "recommend": _stage_recommend, "serve": _stage_serve}


# ---- the parent: data, one child per stage, rows --------------------------------------------------
def _generate(work: Path, size: str) -> Path:
    from fuserec.data.synth import Faults, SynthSpec, synthesize

    folder = work / size
    if not (folder / "synth.json").exists():
        print(f"{size}: generating into {folder}", flush=True)
        base = size.removesuffix("-faults")
        faults = Faults.all() if size.endswith("-faults") else Faults()
        shape = SHAPES.get(base) or (tuple(int(n) for n in base.split(":")) if base.count(":") == 2 else None)
        spec = SynthSpec(*shape, faults=faults) if shape else SynthSpec.named(base, faults=faults)  # type: ignore[misc]
        synthesize(spec, folder)
    return folder


TRAIN_CONFIG = """k = [10, 20]
compare = ["als", "popularity"]

[data]
interactions = "{folder}/events"
items = "{folder}/items.parquet"
item_id_column = "item"
duplicates = "mean"
rating_scale = [1, 5]
invalid = "drop"
bots = "drop"
rejects = "{folder}/rejected-rows.csv"

[split]
method = "temporal-per-user"

[model]
name = "reranker"
"""


def _train_command(folder: Path) -> list[str]:
    config = folder / "train.toml"
    config.write_text(TRAIN_CONFIG.format(folder=folder))
    return [str(Path(sys.executable).parent / "fuserec"), "train", "--config", str(config), "--out",
            str(folder / "reranker-artifact"), "--report", str(folder / "train-report.json")]


def _dry_run_command(folder: Path) -> list[str]:
    return _train_command(folder)[:-2] + ["--dry-run", "--report", str(folder / "dry-run-report.json")]


def _dry_run_metrics(folder: Path, seconds: float) -> dict[str, float]:
    report = json.loads((folder / "dry-run-report.json").read_text())
    return {"seconds": seconds, "estimate_seconds": report["seconds"],
            "estimate_peak_gb": max(r["peak_gb"] for r in report["dry_run"])}


def _train_metrics(folder: Path, seconds: float) -> dict[str, float]:
    report = json.loads((folder / "train-report.json").read_text())
    metrics = {"seconds": seconds, "users": float(report["rows"][0].get("users", 0))}
    for r in report["rows"]:
        metrics[f"ndcg@10 {r['model']}"] = r["metrics"]["ndcg@10"]
    for t in report["paired_tests"]:
        metrics[f"p vs {t['other']}"] = t["p"]
    return metrics


def _against_clean(rows: list[dict[str, Any]]) -> None:
    """Give each ``-faults`` train row the re-ranker's NDCG@10 over the clean run's, where both
    finished: the log with faults is the clean log of the same seed plus the faults, and the bots
    are dropped, so both measure the same users."""
    key = "ndcg@10 reranker"
    clean = {r["size"]: r["metrics"] for r in rows if r["stage"] == "train" and r.get("ok") and key in r["metrics"]}
    for r in rows:
        base = clean.get(r["size"].removesuffix("-faults"))
        if r["stage"] == "train" and r["size"].endswith("-faults") and r["size"] in clean and base:
            r["metrics"][f"{key} / clean"] = r["metrics"][key] / base[key]


def _run_child(stage: str, folder: Path) -> tuple[dict[str, float], float, int]:
    """Run ``stage`` on ``folder`` in a child process: its metrics, its peak RSS in GB, its exit status."""
    result = folder / f".{stage}.json"
    result.unlink(missing_ok=True)
    commands = {"train": _train_command, "dry-run": _dry_run_command}
    command = commands[stage](folder) if stage in commands else \
        [sys.executable, __file__, "--child", stage, str(folder), str(result)]
    start = time.perf_counter()
    proc = subprocess.Popen(command)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stage in commands:
        read = {"train": _train_metrics, "dry-run": _dry_run_metrics}[stage]
        metrics = read(folder, seconds) if proc.returncode == 0 else {"seconds": seconds}
    else:
        metrics = json.loads(result.read_text()) if result.exists() else {}
    return metrics, usage.ru_maxrss * 1024 / 1e9, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="*", default=["1M", "10M", "50M"])
    parser.add_argument("--stages", nargs="*", default=list(STAGES), choices=STAGES)
    parser.add_argument("--work", default="/tmp/fuserec-scale")
    parser.add_argument("--json")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stage, folder, out = args.child
        Path(out).write_text(json.dumps(RUNNERS[stage](Path(folder))))
        return
    rows: list[dict[str, Any]] = []
    if args.json and Path(args.json).exists():
        rows = json.loads(Path(args.json).read_text())["rows"]
    done = {(r["size"], r["stage"], r["system"]) for r in rows if r.get("ok")}
    for size in args.sizes:
        folder = _generate(Path(args.work), size)
        for stage in args.stages:
            system = SYSTEM.get(stage, "fuserec")
            if (size, stage, system) in done and not args.force:
                continue
            n_items = json.loads((folder / "synth.json").read_text())["spec"]["n_items"]
            if (stage == "encode-minilm" and n_items > MINILM_MAX_ITEMS) or \
                    (stage == "dense-ease-guard" and n_items < GUARD_MIN_ITEMS):
                continue
            print(f"{size}: {stage} ...", flush=True)
            metrics, peak, code = _run_child(stage, folder)
            metrics["peak_rss_gb"] = peak
            rows = [r for r in rows if (r["size"], r["stage"], r["system"]) != (size, stage, system)]
            rows.append(row(system, stage, f"synth-{size}", "all data", metrics, size=size, stage=stage,
                            ok=code == 0, exit_code=code))
            print(f"{size}: {stage}: exit {code}, {metrics.get('seconds', float('nan')):.1f} s, "
                  f"peak {peak:.2f} GB", flush=True)
            _against_clean(rows)
            write_json(rows, args.json)  # after every stage: a later crash keeps what was measured
    if args.json and rows:
        _against_clean(rows)
        write_json(rows, args.json)


if __name__ == "__main__":
    main()
