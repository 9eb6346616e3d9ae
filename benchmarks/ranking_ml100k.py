"""Top-N ranking, fuserec beside implicit, Cornac and LightFM, every model tuned the same way.

Protocol: all interactions are positives; ml-100k is split at random 80/20 (seed 0),
ml-latest-small and MovieTweetings-100K in time (the latest 20% are the test). Every system's
grid (stated below and in the JSON rows) is searched on a validation split carved from train
only (random 10%, or the latest 10% for temporal splits) by NDCG@10; the best setting is refit
on all of train and scored once on test, by full ranking over all items with train items
excluded, by the same code for every system.

    python benchmarks/ranking_ml100k.py [--dataset ml-100k|ml-latest-small|movietweetings-100k] [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, row, write_json  # noqa: E402
from peers import CornacPeer, ImplicitPeer, LightFMPeer  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import random_split, temporal_split  # noqa: E402
from fuserec.evaluation import Experiment  # noqa: E402
from fuserec.registry import build_model  # noqa: E402
from fuserec.tuning import tune  # noqa: E402

warnings.filterwarnings("ignore", module="implicit")
SPLITS = {"ml-100k": "random", "ml-latest-small": "temporal", "movietweetings-100k": "temporal"}


BPR_MF = {"name": "mf", "loss": "bpr", "epochs": 30, "init_std": 0.01, "reg": 0.01, "verbose": False}
METRICS = ("precision@10", "recall@10", "ndcg@10", "recall@20", "map@10", "coverage@20")


def contenders() -> list[tuple[str, str, object, dict]]:
    """(system, label, model, grid) for every row: fuserec's models built from the registry, the
    peers' wrapped in the same interface."""
    return [
        ("fuserec", "Popularity", build_model("popularity"), {}),
        ("fuserec", "ItemKNN (cosine)", build_model("itemknn"), {"k": [50, 100, 200]}),
        ("fuserec", "ItemKNN (BM25)", build_model("itemknn:similarity=bm25"), {"k": [50, 100, 200]}),
        ("fuserec", "ALS", build_model("als"),
         {"factors": [64, 128], "regularization": [0.01, 0.1], "alpha": [1.0, 5.0]}),
        ("fuserec", "BiasedMF (BPR loss)", build_model(BPR_MF), {"factors": [64, 128], "lr": [0.02, 0.05]}),
        ("fuserec", "RP3beta", build_model("rp3beta"), {"alpha": [0.6, 0.8, 1.0], "beta": [0.4, 0.6]}),
        ("fuserec", "EASE", build_model("ease"), {"reg": [100.0, 300.0, 1000.0]}),
        # its weights are chosen on its own validation split from train: no outer grid
        ("fuserec", "ScoreBlend (EASE + RP3beta + MF-BPR + Pop)", build_model({"name": "score-blend", "models": {
            "ease": {"name": "ease", "reg": 300.0}, "rp3beta": {"name": "rp3beta"},
            "mf-bpr": {**BPR_MF, "factors": 128, "lr": 0.05}, "popularity": {"name": "popularity"}}}), {}),
        ("implicit", "ALS", ImplicitPeer("als"),
         {"params": [{"factors": f, "regularization": r, "alpha": a} for f in (64, 128) for r in (0.01, 0.1)
                     for a in (1.0, 5.0)]}),
        ("implicit", "BPR", ImplicitPeer("bpr"),
         {"params": [{"factors": f, "learning_rate": lr, "iterations": 100} for f in (64, 128)
                     for lr in (0.01, 0.05)]}),
        ("implicit", "ItemKNN (cosine)", ImplicitPeer("cosine"), {"params": [{"K": k} for k in (50, 100, 200)]}),
        ("implicit", "ItemKNN (BM25)", ImplicitPeer("bm25"), {"params": [{"K": k} for k in (50, 100, 200)]}),
        ("cornac", "EASE", CornacPeer("EASE"),
         {"params": [{"lamb": v, "posB": p} for v in (100.0, 300.0, 1000.0) for p in (True, False)]}),
        ("cornac", "BPR", CornacPeer("BPR"),
         {"params": [{"k": k, "learning_rate": lr, "max_iter": 100, "lambda_reg": 0.01} for k in (64, 128)
                     for lr in (0.01, 0.05)]}),
        ("lightfm", "WARP", LightFMPeer(), {"no_components": [64, 128], "item_alpha": [0.0, 1e-6]}),
    ]


def available(system: str) -> bool:
    module = {"implicit": "implicit", "cornac": "cornac", "lightfm": "lightfm"}.get(system)
    if module is None:
        return True
    try:
        __import__(module)
        return True
    except ImportError:
        print(f"{module} is not installed: its rows are skipped (make bench installs it)")
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="ml-100k", choices=sorted(SPLITS))
    parser.add_argument("--json", help="write rows in the shared schema here")
    parser.add_argument("--only", nargs="*", help="systems to run (default: all)")
    args = parser.parse_args()
    ds = load_dataset(args.dataset, data_dir(), download=False)
    temporal = SPLITS[args.dataset] == "temporal"
    split = temporal_split(ds, 0.2) if temporal else random_split(ds, 0.2, seed=0)
    split_name = "temporal 80/20" if temporal else "random 80/20 seed 0"
    console = Console()
    console.print(f"{ds}; {split}; tuning on validation carved from train, NDCG@10")
    rows = []
    for system, label, estimator, grid in contenders():
        if args.only and system not in args.only or not available(system):
            continue
        if "temporal" in estimator.get_params():
            estimator.set_params(temporal=temporal)  # its inner validation follows the outer protocol
        start = time.perf_counter()
        if grid:
            result = tune(estimator, split.train, grid, task="ranking", metric="ndcg@10", temporal=temporal,
                          verbose=False)
            model = result.best_model(estimator)
            params = result.best_params
        else:
            model, params = estimator, {}
        tune_seconds = time.perf_counter() - start
        res = Experiment([split], {label: model}, ks=[10, 20], dataset=args.dataset, split_name=split_name,
                         system=system, console=console).run(keep_models=True)
        fitted, m, r = res.models[(label, split.fold)], res.measurements[0], res.rows[0]
        start = time.perf_counter()
        fitted.recommend_indices(np.arange(ds.n_users), 10)
        metrics = {k: m.metrics[k] for k in METRICS} | {"topk_all_users_seconds": time.perf_counter() - start}
        rows.append(row(system, label, args.dataset, split_name, metrics, r["fit_seconds"], r["predict_seconds"],
                        params=params.get("params", params), grid=dict(grid),
                        ci95={"ndcg@10": list(m.ci95["ndcg@10"])}, tune_seconds=tune_seconds))
        console.print(f"  {system:9s} {label:22s} ndcg@10 {metrics['ndcg@10']:.4f}  fit {r['fit_seconds']:.2f}s  "
                      f"{params}"[:200])
    table = Table(title=f"{args.dataset}: top-10 ranking, {split_name}, full ranking, train items excluded "
                        "(tuned on validation from train; this machine)")
    for col in ("system", "model", "P@10", "R@10", "NDCG@10 (95% CI)", "fit s", f"top-10 all {ds.n_users} users s"):
        table.add_column(col, justify="left" if col in ("system", "model") else "right")
    best = max(r["metrics"]["ndcg@10"] for r in rows)
    for r in sorted(rows, key=lambda r: -r["metrics"]["ndcg@10"]):
        lo, hi = r["ci95"]["ndcg@10"]
        nd = f"{r['metrics']['ndcg@10']:.4f} ±{(hi - lo) / 2:.4f}"
        if r["metrics"]["ndcg@10"] == best:
            nd = f"[bold green]{nd}[/]"
        table.add_row(r["system"], r["model"], f"{r['metrics']['precision@10']:.4f}",
                      f"{r['metrics']['recall@10']:.4f}", nd, f"{r['fit_seconds']:.2f}",
                      f"{r['metrics']['topk_all_users_seconds']:.3f}")
    console.print(table)
    ours = [r for r in rows if r["system"] == "fuserec"]
    peers = [r for r in rows if r["system"] != "fuserec"]
    if ours and peers:
        ours = max(ours, key=lambda r: r["metrics"]["ndcg@10"])
        peer = max(peers, key=lambda r: r["metrics"]["ndcg@10"])
        ratio = ours["metrics"]["ndcg@10"] / peer["metrics"]["ndcg@10"]
        console.print(f"best fuserec: {ours['model']} {ours['metrics']['ndcg@10']:.4f}; best peer: {peer['system']} "
                      f"{peer['model']} {peer['metrics']['ndcg@10']:.4f}; ratio {ratio:.4f}")
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
