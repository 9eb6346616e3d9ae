"""Rating prediction on MovieLens 100K's canonical folds u1..u5, fuserec beside Surprise.

Rows: RMSE and MAE mean ± std over the folds, and fit seconds per fold, for our models and
Surprise's BaselineOnly, SVD, SVD++ and KNNBaseline, all on the same files in the same run.

    python benchmarks/rating_ml100k.py [--folds u1 u2 ...] [--json PATH] [--no-peers]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, row, write_json  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import ml100k_folds  # noqa: E402
from fuserec.evaluation import evaluate_rating  # noqa: E402
from fuserec.models import BaselineOnly, BiasedMF, Blend, KNNBaseline, SVDpp  # noqa: E402

DATASET = "ml-100k"


def our_models() -> dict:
    return {
        "BaselineOnly": BaselineOnly(),
        "KNNBaseline (item, pearson_baseline)": KNNBaseline(),
        "KNNBaseline (user, pearson_baseline)": KNNBaseline(user_based=True),
        "BiasedMF (SGD)": BiasedMF(verbose=False),
        "SVD++": SVDpp(verbose=False),
        "Blend (ridge, FWLS)": Blend(),
    }


def surprise_models() -> dict:
    from surprise import SVD
    from surprise import BaselineOnly as SBaseline
    from surprise import KNNBaseline as SKNN
    from surprise import SVDpp as SSVDpp

    return {
        "BaselineOnly": SBaseline(verbose=False),
        "SVD (defaults)": SVD(random_state=0),
        "SVD (tuned: 100 f, 40 ep, lr .007, reg .08)": SVD(n_factors=100, n_epochs=40, lr_all=0.007, reg_all=0.08,
                                                            random_state=0),
        "SVD++ (defaults)": SSVDpp(random_state=0),
        "KNNBaseline (defaults)": SKNN(verbose=False),
        "KNNBaseline (item, pearson_baseline)": SKNN(sim_options={"name": "pearson_baseline", "user_based": False},
                                                     verbose=False),
    }


def run_surprise(folder: Path, folds: list[str]) -> list[dict]:
    from surprise import Dataset as SDataset
    from surprise import Reader, accuracy
    from surprise.model_selection import PredefinedKFold

    reader = Reader("ml-100k")
    data = SDataset.load_from_folds([(str(folder / f"{f}.base"), str(folder / f"{f}.test")) for f in folds], reader)
    rows = []
    for fold, (trainset, testset) in enumerate(PredefinedKFold().split(data)):
        for name, algo in surprise_models().items():
            start = time.perf_counter()
            algo.fit(trainset)
            fit = time.perf_counter() - start
            start = time.perf_counter()
            pred = algo.test(testset)
            predict = time.perf_counter() - start
            rows.append(row("surprise", name, DATASET, "u1-u5", {"rmse": accuracy.rmse(pred, verbose=False),
                                                                 "mae": accuracy.mae(pred, verbose=False)},
                            fit, predict, fold=fold))
    return rows


def run_ours(folder: Path, folds: list[str]) -> list[dict]:
    ds = load_dataset(DATASET, folder.parent, download=False)
    rows = []
    for fold, split in enumerate(ml100k_folds(ds, folder, folds)):
        for name, model in our_models().items():
            start = time.perf_counter()
            model.fit(split.train)
            fit = time.perf_counter() - start
            m = evaluate_rating(model, split)
            rows.append(row("fuserec", name, DATASET, "u1-u5", {"rmse": m.metrics["rmse"], "mae": m.metrics["mae"]},
                            fit, m.predict_seconds, fold=fold))
    return rows


def summary_table(rows: list[dict], title: str) -> Table:
    t = Table(title=title)
    for col, just in (("system", "left"), ("model", "left"), ("RMSE", "right"), ("MAE", "right"),
                      ("fit s / fold", "right")):
        t.add_column(col, justify=just)
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["system"], r["model"]), []).append(r)
    ordered = sorted(groups.items(), key=lambda kv: np.mean([r["metrics"]["rmse"] for r in kv[1]]))
    for (system, model), rs in ordered:
        rmse = np.array([r["metrics"]["rmse"] for r in rs])
        mae = np.array([r["metrics"]["mae"] for r in rs])
        fit = np.mean([r["fit_seconds"] for r in rs])
        t.add_row(system, model, f"{rmse.mean():.4f} ± {rmse.std():.4f}", f"{mae.mean():.4f} ± {mae.std():.4f}",
                  f"{fit:.2f}")
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", nargs="+", default=[f"u{i}" for i in range(1, 6)])
    parser.add_argument("--json", help="write rows in the shared schema here")
    parser.add_argument("--no-peers", action="store_true", help="skip Surprise")
    args = parser.parse_args()
    folder = data_dir() / "ml-100k"
    rows = run_ours(folder, args.folds)
    if not args.no_peers:
        try:
            rows += run_surprise(folder, args.folds)
        except ImportError:
            print("scikit-surprise not installed: peer rows skipped (pip install scikit-surprise==1.1.5)")
    Console().print(summary_table(rows, f"ml-100k rating prediction, folds {', '.join(args.folds)} "
                                        "(mean ± std over folds; this machine)"))
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
