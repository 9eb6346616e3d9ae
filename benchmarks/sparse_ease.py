"""Sparse EASE (SANSA) against dense EASE where the dense form still fits: MovieTweetings-100K.

Both at EASE's default ridge, float32; the sparse form at its default density and at a lower and
a higher one. Full ranking, train items excluded, NDCG@10 and Recall@20 over test users, on the
fusion benchmark's split for this dataset (temporal 80/20) and on a random 80/20 split. The
``ratio_to_dense`` metric is the sparse row's NDCG@10 over the dense row's in the same split.

    python benchmarks/sparse_ease.py [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, row, write_json  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import random_split, temporal_split  # noqa: E402
from fuserec.evaluation import Experiment  # noqa: E402
from fuserec.models import EASE  # noqa: E402

DATASET = "movietweetings-100k"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json")
    args = parser.parse_args()
    ds = load_dataset(DATASET, data_dir(), download=False)
    splits = {"temporal 80/20": temporal_split(ds, 0.2), "random 80/20 seed 0": random_split(ds, 0.2, seed=0)}
    default = EASE().nnz_per_item
    models = {"dense": EASE(dtype="float32", form="dense")}
    models |= {f"sparse, nnz_per_item={n}": EASE(dtype="float32", form="sparse", nnz_per_item=n)
               for n in (default // 2, default, default * 2)}
    rows = []
    for split_name, split in splits.items():
        res = Experiment([split], models, ks=[10, 20], dataset=DATASET, split_name=split_name).run(keep_models=True)
        dense = res.rows[0]["metrics"]["ndcg@10"]
        for r in res.rows:
            model = res.models[(r["model"], split.fold)]
            weights = model.item_weights_
            metrics = {"ndcg@10": r["metrics"]["ndcg@10"], "recall@20": r["metrics"]["recall@20"],
                       "ratio_to_dense": r["metrics"]["ndcg@10"] / dense, "weights_mb": weights.nbytes / 1e6}
            rows.append(row("fuserec", f"EASE {r['model']}", DATASET, split_name, metrics, r["fit_seconds"],
                            r["predict_seconds"], ci95=r["ci95"], n_items=ds.n_items))
    t = Table(title=f"{DATASET} ({ds.n_items:,} items): sparse EASE (SANSA) against dense, this machine")
    for col in ("split", "model", "NDCG@10", "× dense", "Recall@20", "weights MB", "fit s"):
        t.add_column(col, justify="left" if col in ("split", "model") else "right")
    for r in rows:
        m = r["metrics"]
        t.add_row(r["split"], r["model"], f"{m['ndcg@10']:.4f}", f"{m['ratio_to_dense']:.3f}", f"{m['recall@20']:.4f}",
                  f"{m['weights_mb']:.1f}", f"{r['fit_seconds']:.1f}")
    Console().print(t)
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
