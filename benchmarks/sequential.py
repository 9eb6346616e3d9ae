"""Sequential recommendation on the S3-Rec Amazon 2014 sequences (Beauty, Sports), leave-one-out.

Each user's last item is the test target; the model is fit on the rest, and a sequence model
carves each user's last training item as its validation target. Every target is ranked against
the whole catalogue (no sampled negatives), with the user's training items excluded. NDCG@10 and
HR@10 (a hit of the one target in the top ten) over users, with 95% intervals over users, the
fit's wall seconds and the epochs it kept. The order-blind models (EASE, ALS, popularity) run on
the same split.

    python benchmarks/sequential.py [--datasets beauty-s3rec sports-s3rec] [--models ...] [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, row, write_json  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import leave_last_split  # noqa: E402
from fuserec.evaluation import Experiment  # noqa: E402
from fuserec.registry import build_model  # noqa: E402

DATASETS = ("beauty-s3rec", "sports-s3rec")
SPLIT = "leave-one-out, full ranking"
MODELS: dict[str, tuple[str, Any]] = {  # label → (kind, registry spec)
    "SASRec (ids)": ("sequential", "sasrec"),
    "EASE": ("classic", "ease"),
    "ALS": ("classic", "als"),
    "Popularity": ("classic", "popularity"),
}


def run(dataset: str, labels: list[str]) -> list[dict[str, Any]]:
    """One row per model on ``dataset``'s leave-one-out split."""
    ds = load_dataset(dataset, data_dir(), download=False)
    split = leave_last_split(ds, 1)
    models = {label: build_model(MODELS[label][1]) for label in labels}
    res = Experiment([split], models, ks=[10], dataset=dataset, split_name=SPLIT).run(keep_models=True)
    rows = []
    for r in res.rows:
        model = res.models[(r["model"], split.fold)]
        ci = r.get("ci95") or {}
        rows.append(row("fuserec", r["model"], dataset, SPLIT,
                        {"ndcg@10": r["metrics"]["ndcg@10"], "hr@10": r["metrics"]["hitrate@10"]},
                        r["fit_seconds"], r["predict_seconds"], kind=MODELS[r["model"]][0],
                        ci95={"ndcg@10": ci.get("ndcg@10"), "hr@10": ci.get("hitrate@10")},
                        epochs=getattr(model, "best_epoch_", None), users=int(r.get("users") or 0)))
    return rows


def merged(path: str | None, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` over those already in ``path``: a (dataset, system, model) row run again replaces
    the old one, and rows of other datasets or models are kept, so datasets can run one at a time."""
    if not path or not Path(path).exists():
        return rows
    import json

    new = {(r["dataset"], r["system"], r["model"]) for r in rows}
    old = [r for r in json.loads(Path(path).read_text())["rows"] if (r["dataset"], r["system"], r["model"]) not in new]
    return old + rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = [r for dataset in args.datasets for r in run(dataset, args.models)]
    rows = merged(args.json, rows)
    t = Table(title=f"Sequential recommendation, {SPLIT} (this machine)")
    for col in ("dataset", "model", "NDCG@10", "HR@10", "fit s", "epochs"):
        t.add_column(col, justify="left" if col in ("dataset", "model") else "right")
    for r in rows:
        t.add_row(r["dataset"], r["model"], f"{r['metrics']['ndcg@10']:.4f}", f"{r['metrics']['hr@10']:.4f}",
                  f"{r['fit_seconds']:.0f}", "" if r["epochs"] is None else str(r["epochs"]))
    Console().print(t)
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
